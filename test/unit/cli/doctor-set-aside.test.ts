import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { main } from '../../../main/cli.ts';
import type { DoctorReport } from '../../../main/cli/doctor-command.ts';
import { dataPaths } from '../../../main/config/data-dir.ts';
import { ReachabilityFile } from '../../../main/doctor/reachability-file.ts';
import { MAX_SET_ASIDE_LISTED } from '../../../main/doctor/set-aside-files.ts';
import { silentLogger } from '../../../main/logging/logger.ts';
import { IssuedTokenRegistry } from '../../../main/security/issued-tokens.ts';

async function doctor(dataDir: string, json = true): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(['doctor', ...(json ? ['--json'] : []), '--data-dir', dataDir], {
    out: (chunk) => (out += chunk),
    err: () => undefined,
  });
  return { code, out };
}

describe('homegate doctor: files set aside as unreadable', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-doctor-aside-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('none: one ok line', async () => {
    const { code, out } = await doctor(dir);
    assert.equal(code, 0);
    const data = (JSON.parse(out) as DoctorReport).checks.filter((check) => check.area === 'data');
    assert.deepEqual(data, [{ area: 'data', status: 'ok', message: 'no unreadable file was set aside' }]);
  });

  test('a corrupt reachability.json and issued-tokens.json, as the gateway sets them aside, are listed with the fix', async () => {
    const paths = dataPaths(dir);
    await writeFile(paths.reachability, '{ not json');
    await writeFile(paths.issuedTokens, JSON.stringify({ version: 7 }));
    assert.deepEqual(await new ReachabilityFile(paths.reachability, silentLogger).read(), []);
    assert.equal((await IssuedTokenRegistry.open(paths.issuedTokens, silentLogger)).size, 0);
    const copies = (await readdir(dir)).filter((name) => name.includes('.corrupt-')).sort();
    assert.equal(copies.length, 2);

    const { code, out } = await doctor(dir);
    assert.equal(code, 0);
    const data = (JSON.parse(out) as DoctorReport).checks.filter((check) => check.area === 'data');
    assert.equal(data.length, 2);
    const reachability = data.find((check) => check.message.includes('reachability.json'));
    const issued = data.find((check) => check.message.includes('issued-tokens.json'));
    assert.equal(reachability?.status, 'warn');
    assert.match(
      reachability.message,
      /^the hosts' last reachability \(reachability\.json\) could not be used on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; it was kept as reachability\.json\.corrupt-\S+; it was started again/,
    );
    assert.ok(copies.some((copy) => reachability.message.includes(copy)));
    assert.equal(reachability.fix, 'Nothing else to do; delete the copy when you like.');
    assert.equal(issued?.status, 'warn');
    assert.ok(copies.some((copy) => issued.message.includes(copy)));
    assert.match(issued.fix ?? '', /homegate revoke --jti ID/);

    const text = await doctor(dir, false);
    assert.match(text.out, /\n {2}warn {2}data: the hosts' last reachability \(reachability\.json\) could not be used/);
    assert.match(text.out, /\n {8}fix: Nothing else to do; delete the copy when you like\.\n/);
  });

  test('unreadable settings: the doctor still answers, says so, and lists the copy', async () => {
    await writeFile(join(dir, 'settings.json'), '{"version": 1, "listen": ');
    const { code, out } = await doctor(dir);
    assert.equal(code, 0);
    const report = JSON.parse(out) as DoctorReport;
    assert.deepEqual(
      report.checks.map((check) => `${check.area} ${check.status}`),
      ['data fail', 'data warn'],
    );
    assert.match(report.checks[0]?.message ?? '', /a copy was saved to .*settings\.json\.corrupt-.*not checked$/);
    assert.match(
      report.checks[1]?.message ?? '',
      /^the settings \(settings\.json\) could not be used on .*left it in place$/,
    );
  });

  test('many copies: the newest are listed, the older counted in one line', async () => {
    for (let index = 0; index < MAX_SET_ASIDE_LISTED + 3; index += 1) {
      const minute = String(index).padStart(2, '0');
      await writeFile(join(dir, `reachability.json.corrupt-2026-12-01T10-${minute}-00-000Z`), 'x');
    }
    await writeFile(join(dir, 'reachability.json.corrupt-not-a-time'), 'x');
    const data = (JSON.parse((await doctor(dir)).out) as DoctorReport).checks.filter((check) => check.area === 'data');
    assert.equal(data.length, MAX_SET_ASIDE_LISTED + 1);
    assert.match(
      data[0]?.message ?? '',
      /on 2026-12-01 10:12:00 UTC; it was kept as reachability\.json\.corrupt-2026-12-01T10-12-00-000Z;/,
    );
    assert.match(data.at(-1)?.message ?? '', /^3 older unreadable files were set aside in /);
  });
});
