import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { createLogger } from '../../../main/logging/logger.ts';
import {
  EXPIRED_TOKEN_RETENTION_MS,
  ISSUED_TOKENS_FILE_NAME,
  IssuedTokenLimitError,
  IssuedTokenRegistry,
  MAX_ISSUED_TOKENS,
} from '../../../main/security/issued-tokens.ts';

const HOUR_MS = 60 * 60 * 1000;

describe('IssuedTokenRegistry', () => {
  let dir: string;
  let path: string;
  let nowMs: number;
  const now = (): Date => new Date(nowMs);
  const errors: string[] = [];
  const logger = createLogger({ write: (line) => errors.push(line) });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-issued-'));
    path = join(dir, ISSUED_TOKENS_FILE_NAME);
    nowMs = Date.parse('2026-11-23T12:00:00Z');
    errors.length = 0;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const token = (jti: string, ttlMs = HOUR_MS) => ({
    jti,
    kind: 'paa' as const,
    host: 'desk',
    label: 'laptop',
    singleUse: false,
    issuedAt: now(),
    expiresAt: new Date(nowMs + ttlMs),
  });

  test('records metadata, lists newest first, and persists it (0600) for the next start', async () => {
    const registry = await IssuedTokenRegistry.open(path, logger, now);
    await registry.record(token('a'));
    nowMs += 1000;
    const second = await registry.record({ ...token('b'), kind: 'device', device: 'phone', label: undefined });
    assert.deepEqual(
      registry.list().map((entry) => entry.jti),
      ['b', 'a'],
    );
    assert.deepEqual(second, {
      jti: 'b',
      kind: 'device',
      host: 'desk',
      label: undefined,
      device: 'phone',
      singleUse: false,
      issuedAt: '2026-11-23T12:00:01.000Z',
      expiresAt: '2026-11-23T13:00:01.000Z',
      revokedAt: undefined,
    });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const reopened = await IssuedTokenRegistry.open(path, logger, now);
    assert.deepEqual(reopened.list(), registry.list());
  });

  test('marks a token revoked once; unknown ids are not ours', async () => {
    const registry = await IssuedTokenRegistry.open(path, logger, now);
    await registry.record(token('0D3C9A52-aaaa'));
    const revoked = await registry.markRevoked('0d3c9a52-AAAA');
    assert.equal(revoked?.revokedAt, '2026-11-23T12:00:00.000Z');
    nowMs += 5000;
    assert.equal((await registry.markRevoked('0d3c9a52-aaaa'))?.revokedAt, '2026-11-23T12:00:00.000Z');
    assert.equal(await registry.markRevoked('other'), undefined);
    assert.equal(
      (await IssuedTokenRegistry.open(path, logger, now)).get('0d3c9a52-aaaa')?.revokedAt,
      revoked?.revokedAt,
    );
  });

  test('knows when a token has expired (with the clock leeway), for pruning the revocation list', async () => {
    const registry = await IssuedTokenRegistry.open(path, logger, now);
    await registry.record(token('short', 1000));
    assert.equal(registry.hasExpired('short'), false);
    nowMs += 1000 + 30_000;
    assert.equal(registry.hasExpired('short'), false, 'within the leeway');
    nowMs += 60_000;
    assert.equal(registry.hasExpired('short'), true);
    assert.equal(registry.hasExpired('unknown'), false);
  });

  test('forgets tokens expired longer ago than the retention; when full of valid tokens it refuses', async () => {
    const registry = await IssuedTokenRegistry.open(path, logger, now);
    await registry.record(token('old', 1000));
    nowMs += EXPIRED_TOKEN_RETENTION_MS + 2000;
    await registry.record(token('new'));
    assert.deepEqual(
      registry.list().map((entry) => entry.jti),
      ['new'],
    );

    const full = {
      version: 1,
      tokens: Array.from({ length: MAX_ISSUED_TOKENS }, (_, index) => ({
        jti: `t${index}`,
        kind: 'paa',
        host: 'desk',
        singleUse: false,
        issuedAt: now().toISOString(),
        expiresAt: new Date(nowMs + HOUR_MS).toISOString(),
      })),
    };
    await writeFile(path, JSON.stringify(full));
    const crowded = await IssuedTokenRegistry.open(path, logger, now);
    await assert.rejects(crowded.record(token('one-more')), IssuedTokenLimitError);
    nowMs += 2 * HOUR_MS;
    await crowded.record(token('after-expiry'));
    assert.equal(crowded.size, MAX_ISSUED_TOKENS);
    assert.equal(crowded.list()[0]?.jti, 'after-expiry');
  });

  test('a file it cannot use is copied aside and reported; the registry starts empty', async () => {
    await writeFile(path, '{"version":1,"tokens":[{"jti":"x","token":"eyJ..."}]}');
    const registry = await IssuedTokenRegistry.open(path, logger, now);
    assert.equal(registry.size, 0);
    const backups = (await readdir(dir)).filter((name) => name.startsWith(`${ISSUED_TOKENS_FILE_NAME}.corrupt-`));
    assert.equal(backups.length, 1);
    assert.match(await readFile(join(dir, backups[0] ?? ''), 'utf8'), /eyJ/);
    assert.match(errors.join(''), /issued-token list cannot be used/);
  });
  test('a token another process (the command line) records is listed after refresh, and kept by later changes', async () => {
    const gateway = await IssuedTokenRegistry.open(path, logger, now);
    await gateway.record(token('from-ui'));
    const cli = await IssuedTokenRegistry.open(path, logger, now);
    await cli.record(token('from-cli'));
    assert.deepEqual(
      gateway.list().map((t) => t.jti),
      ['from-ui'],
      'not read yet',
    );
    await gateway.refresh();
    assert.deepEqual(
      gateway.list().map((t) => t.jti),
      ['from-cli', 'from-ui'],
    );
    await cli.record(token('from-cli-2'));
    await gateway.markRevoked('from-ui');
    const onDisk = await IssuedTokenRegistry.open(path, logger, now);
    assert.deepEqual(
      onDisk.list().map((t) => [t.jti, t.revokedAt !== undefined]),
      [
        ['from-cli-2', false],
        ['from-cli', false],
        ['from-ui', true],
      ],
    );
  });
});
