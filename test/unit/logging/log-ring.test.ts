import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogRing, MAX_LOG_LINE_CHARS, teeLogger } from '../../../main/logging/log-ring.ts';
import { createLogger, type Logger } from '../../../main/logging/logger.ts';

const JWT = 'eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJ4In0.c2lnbmF0dXJl';

function rig(capacity?: number) {
  const written: string[] = [];
  const base = createLogger({ level: 'debug', write: (line) => written.push(line) });
  const ring = new LogRing(capacity);
  return { written, ring, logger: teeLogger(base, ring) };
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

  it('serialises a line once for both: stderr and the ring get the same text', () => {
    const { written, ring, logger } = rig();
    logger.child({ tunnel: 't1' }).info('open', { host: 'pc', token: JWT });
    assert.equal(written.length, 1);
    assert.equal(ring.lines()[0], written[0]?.trimEnd());
    assert.doesNotMatch(ring.lines()[0] ?? '', /eyJ/);
  });

  it('a base level above info still fills the ring with info lines, and the base only above its level', () => {
    const written: string[] = [];
    const ring = new LogRing();
    const logger = teeLogger(createLogger({ level: 'warn', write: (line) => written.push(line) }), ring);
    logger.debug('noise');
    logger.info('started');
    logger.error('broken');
    assert.deepStrictEqual(
      written.map((line) => (JSON.parse(line) as { msg: string }).msg),
      ['broken'],
    );
    assert.deepStrictEqual(
      ring.lines().map((line) => (JSON.parse(line) as { msg: string }).msg),
      ['started', 'broken'],
    );
  });

  it('a logger of another kind is teed: it sees every call, the ring a redacted copy of info and above', () => {
    const calls: string[] = [];
    const other: Logger = {
      debug: (msg) => calls.push(`debug ${msg}`),
      info: (msg) => calls.push(`info ${msg}`),
      warn: (msg) => calls.push(`warn ${msg}`),
      error: (msg) => calls.push(`error ${msg}`),
      child: () => other,
    };
    const ring = new LogRing();
    const logger = teeLogger(other, ring).child({ session: 's1' });
    logger.debug('noise');
    logger.info('started', { password: 'hunter2' });
    assert.deepStrictEqual(calls, ['debug noise', 'info started']);
    const [line = ''] = ring.lines();
    assert.doesNotMatch(line, /hunter2/);
    assert.equal((JSON.parse(line) as Record<string, unknown>).session, 's1');
  });
});
