import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogRing, MAX_LOG_LINE_CHARS, teeLogger } from '../../../main/logging/log-ring.ts';
import { createLogger } from '../../../main/logging/logger.ts';

const JWT = 'eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJ4In0.c2lnbmF0dXJl';

function rig(capacity?: number) {
  const written: string[] = [];
  const base = createLogger({ level: 'debug', write: (line) => written.push(line) });
  const ring = new LogRing(capacity);
  return { written, ring, logger: teeLogger(base, ring, {}, () => new Date('2030-01-01T00:00:00Z')) };
}

describe('LogRing and teeLogger (GET /jet/diagnostics/logs)', () => {
  it('writes every line through the base logger, and keeps info and above in the ring', () => {
    const { written, ring, logger } = rig();
    logger.debug('noise');
    logger.info('started', { port: 1 });
    logger.warn('careful');
    logger.error('broken', { error: new Error('boom') });
    assert.equal(written.length, 4);
    const lines = ring.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepStrictEqual(
      lines.map((line) => line.msg),
      ['started', 'careful', 'broken'],
    );
    assert.deepStrictEqual(lines[2]?.error, { name: 'Error', message: 'boom' });
  });

  it('never keeps a secret: secret-named fields are replaced and JWTs are masked anywhere', () => {
    const { ring, logger } = rig();
    logger.info(`client sent ${JWT}`, {
      token: JWT,
      accessToken: 'abc',
      authorization: `Bearer ${JWT}`,
      password: 'hunter2',
      privateKey: 'k',
      nested: { cookie: 'c', note: `see ${JWT}` },
      tokenId: '6f1c2a4e-8d0b-4c7e-9a35-1b2c3d4e5f60',
    });
    const [line = ''] = ring.lines();
    assert.doesNotMatch(line, /eyJ|hunter2|"abc"|Bearer/);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.equal(parsed.token, '[redacted]');
    assert.equal(parsed.password, '[redacted]');
    assert.deepStrictEqual(parsed.nested, { cookie: '[redacted]', note: 'see [redacted-jwt]' });
    assert.equal(parsed.tokenId, '6f1c2a4e-8d0b-4c7e-9a35-1b2c3d4e5f60', 'a jti is an identifier, not a secret');
    assert.equal(parsed.msg, 'client sent [redacted-jwt]');
  });

  it('children carry their bound fields into the ring too', () => {
    const { ring, logger } = rig();
    logger.child({ session: 's1' }).info('open');
    assert.equal((JSON.parse(ring.lines()[0] ?? '{}') as Record<string, unknown>).session, 's1');
  });

  it('keeps the newest lines, oldest first, and cuts very long ones', () => {
    const { ring, logger } = rig(3);
    for (let i = 1; i <= 5; i += 1) logger.info(`line ${i}`);
    assert.deepStrictEqual(
      ring.lines().map((line) => (JSON.parse(line) as { msg: string }).msg),
      ['line 3', 'line 4', 'line 5'],
    );
    logger.info('x'.repeat(MAX_LOG_LINE_CHARS * 2));
    assert.equal(ring.lines().at(-1)?.length, MAX_LOG_LINE_CHARS + 1);
  });
});
