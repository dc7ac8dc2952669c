import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../main/logging/logger.ts';
import { ISSUED_TOKENS_FILE_NAME, IssuedTokenRegistry } from '../../main/security/issued-tokens.ts';

const WRITER = fileURLToPath(new URL('../helpers/issued-token-writer.ts', import.meta.url));
const WRITERS = 3;
const PER_WRITER = 25;
const SEEDED = 25;

/** A writer process, once it has opened the registry and waits for the go. */
function startWriter(path: string, prefix: string): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path, prefix, String(PER_WRITER)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.once('data', () => resolve({ child, exited }));
    void exited.then((code) => reject(new Error(`writer ${prefix} exited ${code} before it was ready`)));
  });
}

describe('issued-tokens.json with writers in several processes at once', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-issued-race-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('no issued or revoked entry is lost while other processes record tokens', async () => {
    const path = join(dir, ISSUED_TOKENS_FILE_NAME);
    // The gateway's registry, with tokens it will revoke while the writers (the command line) record theirs.
    const gateway = await IssuedTokenRegistry.open(path, silentLogger);
    const issuedAt = new Date();
    const expiresAt = new Date(issuedAt.getTime() + 3_600_000);
    for (let index = 0; index < SEEDED; index += 1) {
      await gateway.record({ jti: `seed-${index}`, kind: 'paa', host: 'desk', singleUse: false, issuedAt, expiresAt });
    }
    const writers = await Promise.all(Array.from({ length: WRITERS }, (_, index) => startWriter(path, `cli${index}`)));
    for (const writer of writers) writer.child.stdin?.end('go\n');
    await Promise.all(
      Array.from({ length: SEEDED }, async (_, index) => {
        await gateway.markRevoked(`seed-${index}`);
        await gateway.record({ jti: `ui-${index}`, kind: 'paa', host: 'desk', singleUse: false, issuedAt, expiresAt });
      }),
    );
    assert.deepEqual(
      await Promise.all(writers.map((writer) => writer.exited)),
      writers.map(() => 0),
    );

    const saved = JSON.parse(await readFile(path, 'utf8')) as { tokens: { jti: string; revokedAt?: string }[] };
    const byJti = new Map(saved.tokens.map((entry) => [entry.jti, entry]));
    const expected = [
      ...Array.from({ length: SEEDED }, (_, index) => [`seed-${index}`, `ui-${index}`]).flat(),
      ...Array.from({ length: WRITERS }, (_, w) => Array.from({ length: PER_WRITER }, (_, i) => `cli${w}-${i}`)).flat(),
    ];
    assert.deepEqual(
      expected.filter((jti) => !byJti.has(jti)),
      [],
      'every issued token is in the file',
    );
    assert.deepEqual(
      Array.from({ length: SEEDED }, (_, index) => `seed-${index}`).filter((jti) => !byJti.get(jti)?.revokedAt),
      [],
      'every revocation is in the file',
    );
    assert.equal(saved.tokens.length, expected.length, 'no token twice');
    await gateway.refresh();
    assert.equal(gateway.size, expected.length, 'the gateway lists them all');
  });
});
