import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const JWT = 'eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJ4In0.c2lnbmF0dXJl';
const SECRETS = [
  JWT,
  'hunter2-password',
  'Bearer-abc',
  'cookie-value-123',
  'PRIVATE-KEY-BYTES',
  'paa-cookie-xyz',
  'pass-phrase-789',
  'instance-secret-456',
];

// A child process logs real secrets through the real logger with its default stderr destination, teed into the
// diagnostics ring (as `startGateway` does), then prints the ring on stdout.
const SCRIPT = `
import { createLogger } from './main/logging/logger.ts';
import { LogRing, teeLogger } from './main/logging/log-ring.ts';
const ring = new LogRing();
class Peer {
  constructor() {
    this.name = 'pc';
    this.credentials = { secret: 'instance-secret-456' };
  }
}
const logger = teeLogger(createLogger({ level: 'debug' }), ring).child({ session: 's1' });
const fields = {
  token: ${JSON.stringify(JWT)},
  password: 'hunter2-password',
  headers: { authorization: 'Bearer-abc', cookie: 'cookie-value-123', 'set-cookie': ['cookie-value-123'] },
  tls: { privateKey: 'PRIVATE-KEY-BYTES' },
  paaCookie: 'paa-cookie-xyz',
  key: { passphrase: 'pass-phrase-789' },
  peer: new Peer(),
  at: new Date('2030-01-01T00:00:00Z'),
  request: { deeper: { still: { clientSecret: 'hunter2-password' } } },
  note: 'sent ${JWT}',
  tokenId: 'jti-1',
};
logger.debug('debug line', fields);
logger.info('info line', fields);
logger.error('error line', { ...fields, error: new Error('boom') });
process.stdout.write(JSON.stringify(ring.lines()));
`;

function run(): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', SCRIPT],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => (error ? reject(new Error(stderr, { cause: error })) : resolve({ stdout, stderr })),
    );
  });
}

describe('logger redaction (stderr and the diagnostics ring)', () => {
  it('a secret logged through the real logger reaches neither stderr nor the ring', async () => {
    const { stdout, stderr } = await run();
    const stderrLines = stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const ringLines = (JSON.parse(stdout) as string[]).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepStrictEqual(
      stderrLines.map((line) => line.msg),
      ['debug line', 'info line', 'error line'],
    );
    assert.deepStrictEqual(
      ringLines.map((line) => line.msg),
      ['info line', 'error line'],
    );
    for (const secret of SECRETS) {
      assert.ok(!stderr.includes(secret), `stderr holds ${secret}`);
      assert.ok(!stdout.includes(secret), `the ring holds ${secret}`);
    }
    for (const line of [...stderrLines, ...ringLines]) {
      assert.equal(line.token, '[redacted]');
      assert.equal(line.password, '[redacted]');
      assert.deepStrictEqual(line.headers, {
        authorization: '[redacted]',
        cookie: '[redacted]',
        'set-cookie': '[redacted]',
      });
      assert.deepStrictEqual(line.tls, { privateKey: '[redacted]' });
      assert.equal(line.note, 'sent [redacted-jwt]');
      assert.deepStrictEqual(line.key, { passphrase: '[redacted]' });
      assert.deepStrictEqual(line.peer, { name: 'pc', credentials: '[redacted]' }, 'a class instance is scrubbed too');
      assert.equal(line.at, '2030-01-01T00:00:00.000Z', 'what has a toJSON is written through it');
      assert.equal(line.tokenId, 'jti-1');
      assert.equal(line.session, 's1');
      assert.equal(typeof line.time, 'string');
    }
    assert.deepStrictEqual(stderrLines[2]?.error, { name: 'Error', message: 'boom' });
  });
});
