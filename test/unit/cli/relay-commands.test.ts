import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { main } from '../../../main/cli.ts';
import { JRL_FILE_NAME, LOCAL_REVOCATIONS_FILE_NAME } from '../../../main/security/revocation.ts';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(dir: string, args: readonly string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(
    [...args, '--data-dir', dir],
    { out: (text) => (stdout += text), err: (text) => (stderr += text) },
    () => Promise.resolve('SIGTERM'),
  );
  return { code, stdout, stderr };
}

async function withDataDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'homegate-cli-relay-'));
  try {
    const added = await run(dir, ['hosts', 'add', '--name', 'desk', '--address', '192.168.1.20:3390']);
    assert.equal(added.code, 0, added.stderr);
    assert.equal((await run(dir, ['hosts', 'add', '--name', 'spare', '--address', '192.168.1.21'])).code, 0);
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const settingsOf = async (dir: string) =>
  JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8')) as { gatewayId: string };

describe('homegate token association / scope / jrl, revoke, rdp --mode relay', () => {
  test('token association prints only an ASSOCIATION token naming the host, this gateway and the alternates', () =>
    withDataDir(async (dir) => {
      const result = await run(dir, ['token', 'association', '--host', 'desk', '--alt', 'spare', '--ttl', '120']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      const token = result.stdout.trim();
      assert.equal(decodeProtectedHeader(token).cty, 'ASSOCIATION');
      const claims = decodeJwt(token);
      assert.equal(claims.jet_gw_id, (await settingsOf(dir)).gatewayId);
      assert.equal(claims.jet_ap, 'rdp');
      assert.equal(claims.jet_cm, 'fwd');
      assert.equal(claims.dst_hst, 'tcp://desk:3390');
      assert.deepStrictEqual(claims.dst_alt, ['tcp://spare:3389']);
      assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 120);
    }));

  test('token association refuses an unknown host (exit 1) and a missing --host (exit 2)', () =>
    withDataDir(async (dir) => {
      const unknown = await run(dir, ['token', 'association', '--host', 'nope']);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no allowed host named "nope"/);
      assert.equal((await run(dir, ['token', 'association'])).code, 2);
    }));

  test('token scope prints a SCOPE token; an unknown scope is a usage error listing the known ones', () =>
    withDataDir(async (dir) => {
      const result = await run(dir, ['token', 'scope', '--scope', 'gateway.sessions.read']);
      assert.equal(result.code, 0, result.stderr);
      const token = result.stdout.trim();
      assert.equal(decodeProtectedHeader(token).cty, 'SCOPE');
      assert.equal(decodeJwt(token).scope, 'gateway.sessions.read');
      assert.equal(decodeJwt((await run(dir, ['token', 'scope', '--scope', '*'])).stdout.trim()).scope, '*');
      const bad = await run(dir, ['token', 'scope', '--scope', 'gateway.everything']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /gateway\.session\.terminate/);
    }));

  test('revoke adds token ids to the saved local set; token jrl carries the lists plus more', () =>
    withDataDir(async (dir) => {
      const first = randomUUID();
      const second = randomUUID();
      const localSet = async (): Promise<string[]> =>
        (JSON.parse(await readFile(join(dir, LOCAL_REVOCATIONS_FILE_NAME), 'utf8')) as { jti: string[] }).jti;
      const revoked = await run(dir, ['revoke', '--jti', first]);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match(revoked.stdout, new RegExp(`revoked ${first}; the revocation list now holds 1 value`));
      assert.deepStrictEqual(await localSet(), [first]);

      assert.equal((await run(dir, ['revoke', '--jti', second.toUpperCase(), '--jti', first])).code, 0);
      assert.deepStrictEqual(await localSet(), [first, second]);

      const third = randomUUID();
      const jrl = await run(dir, ['token', 'jrl', '--jti', third]);
      assert.equal(jrl.code, 0, jrl.stderr);
      const token = jrl.stdout.trim();
      assert.equal(decodeProtectedHeader(token).cty, 'JRL');
      const claims = decodeJwt(token) as { iat: number; jrl: { jti: string[] } };
      assert.deepStrictEqual(claims.jrl.jti, [first, second, third]);
      assert.ok(claims.iat > 0, 'newer than the provisioner list in force (none yet)');
      // Printing a JRL token changes nothing here.
      assert.deepStrictEqual(await localSet(), [first, second]);
      await assert.rejects(readFile(join(dir, JRL_FILE_NAME)), { code: 'ENOENT' });
    }));

  test('revoke needs --jti, and a UUID', () =>
    withDataDir(async (dir) => {
      assert.equal((await run(dir, ['revoke'])).code, 2);
      const bad = await run(dir, ['revoke', '--jti', 'abc']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /not a token id/);
    }));

  test('rdp --mode relay writes a file with the relay as full address and the token as pcb, no gateway', () =>
    withDataDir(async (dir) => {
      const out = join(dir, 'desk.rdp');
      const result = await run(dir, [
        'rdp',
        '--host',
        'desk',
        '--mode',
        'relay',
        '--relay-address',
        'relay.example:8181',
        '--out',
        out,
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /through the relay at relay\.example:8181/);
      const bytes = await readFile(out);
      assert.deepStrictEqual([...bytes.subarray(0, 2)], [0xff, 0xfe]);
      const lines = bytes.subarray(2).toString('utf16le').split('\r\n');
      assert.ok(lines.includes('full address:s:relay.example:8181'), lines.join('\n'));
      assert.ok(lines.includes('server port:i:8181'));
      assert.ok(lines.includes('gatewayusagemethod:i:0'));
      assert.ok(!lines.some((line) => line.startsWith('gatewayhostname')));
      const pcb = lines.find((line) => line.startsWith('pcb:s:'))?.slice('pcb:s:'.length) ?? '';
      assert.equal(decodeProtectedHeader(pcb).cty, 'ASSOCIATION');
      assert.equal(decodeJwt(pcb).dst_hst, 'tcp://desk:3390');
    }));

  test('rdp --mode relay needs a relay address when the relay is off; other mistakes are usage errors', () =>
    withDataDir(async (dir) => {
      const out = join(dir, 'x.rdp');
      const off = await run(dir, ['rdp', '--host', 'desk', '--mode', 'relay', '--out', out]);
      assert.equal(off.code, 1);
      assert.match(off.stderr, /relay is off/);
      assert.equal((await run(dir, ['rdp', '--host', 'desk', '--mode', 'tunnel', '--out', out])).code, 2);
      assert.equal(
        (await run(dir, ['rdp', '--host', 'desk', '--mode', 'relay', '--gateway-address', 'gw:443', '--out', out]))
          .code,
        2,
      );
      assert.equal((await run(dir, ['rdp', '--host', 'desk', '--relay-address', 'r:1', '--out', out])).code, 2);
      assert.equal(
        (await run(dir, ['rdp', '--host', 'desk', '--mode', 'relay', '--relay-address', 'relay', '--out', out])).code,
        2,
      );
    }));

  test('serve --relay-listen takes HOST:PORT', () =>
    withDataDir(async (dir) => {
      const bad = await run(dir, ['serve', '--listen', '127.0.0.1:0', '--relay-listen', 'nowhere']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--relay-listen takes HOST:PORT/);
    }));

  test('serve --relay-listen starts the relay and says where', () =>
    withDataDir(async (dir) => {
      const result = await run(dir, ['serve', '--listen', '127.0.0.1:0', '--relay-listen', '127.0.0.1:0']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /Homegate relay listening on tcp:\/\/127\.0\.0\.1:\d+\//);
    }));
});
