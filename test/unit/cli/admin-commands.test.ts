import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { main } from '../../../main/cli.ts';
import { createSealedSecretCodec } from '../../../main/certs/sealed-secret-codec.ts';
import { silentLogger } from '../../../main/logging/logger.ts';
import { loadOrCreateSigningKey } from '../../../main/security/signing-key.ts';
import { dataPaths } from '../../../main/config/data-dir.ts';
import { readAdminPassword, verifyAdminPassword } from '../../../main/web/admin-password.ts';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly prompts: string[];
}

async function run(args: readonly string[], stdin?: string): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const prompts: string[] = [];
  const code = await main(
    args,
    {
      out: (text) => (stdout += text),
      err: (text) => (stderr += text),
      ...(stdin === undefined
        ? {}
        : {
            readSecret: (prompt: string) => {
              prompts.push(prompt);
              return Promise.resolve(stdin);
            },
          }),
    },
    () => Promise.resolve('SIGTERM'),
  );
  return { code, stdout, stderr, prompts };
}

async function withDataDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'homegate-admin-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('homegate admin set-password', () => {
  test('reads the password from standard input, never argv, and stores only its hash (0600)', async () => {
    await withDataDir(async (dir) => {
      const result = await run(['admin', 'set-password', '--data-dir', dir], 'a long enough password');
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.prompts[0] ?? '', /New web admin password/);
      const path = dataPaths(dir).adminPassword;
      assert.doesNotMatch(await readFile(path, 'utf8'), /long enough/);
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      const record = await readAdminPassword(path);
      assert.ok(record && (await verifyAdminPassword(record, 'a long enough password')));
    });
  });

  test('refuses a short password and takes no password argument', async () => {
    await withDataDir(async (dir) => {
      const short = await run(['admin', 'set-password', '--data-dir', dir], 'short');
      assert.equal(short.code, 1);
      assert.match(short.stderr, /at least 12 characters/);
      const argv = await run(['admin', 'set-password', '--password', 'x', '--data-dir', dir], 'a long enough password');
      assert.equal(argv.code, 2);
    });
  });
});

describe('homegate serve and the web admin password', () => {
  test('the first serve generates a password and prints it once; the next one does not', async () => {
    await withDataDir(async (dir) => {
      const first = await run(['serve', '--listen', '127.0.0.1:0', '--data-dir', dir]);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^Web admin page: https:\/\/127\.0\.0\.1:\d+\/admin\/$/m);
      const password = /^ {4}([A-Za-z0-9_-]{24})$/m.exec(first.stdout)?.[1];
      assert.ok(password, first.stdout);
      assert.doesNotMatch(first.stderr, new RegExp(password), 'never in the log');
      const record = await readAdminPassword(dataPaths(dir).adminPassword);
      assert.ok(record && (await verifyAdminPassword(record, password)));

      const second = await run(['serve', '--listen', '127.0.0.1:0', '--data-dir', dir]);
      assert.equal(second.code, 0, second.stderr);
      assert.doesNotMatch(second.stdout, /generated/);
    });
  });
});

describe('a data directory whose keys the desktop app sealed', () => {
  test('host commands still work from the CLI; key commands say why they cannot', async () => {
    await withDataDir(async (dir) => {
      const codec = createSealedSecretCodec({
        encrypt: (plain) => Buffer.from(plain).reverse(),
        decrypt: (sealed) => Buffer.from(sealed).reverse(),
      });
      await loadOrCreateSigningKey(dataPaths(dir).keys, { logger: silentLogger, secretCodec: codec });
      const added = await run(['hosts', 'add', '--name', 'desk', '--address', '192.0.2.5', '--data-dir', dir]);
      assert.equal(added.code, 0, added.stderr);
      assert.match((await run(['hosts', 'list', '--data-dir', dir])).stdout, /desk/);
      const token = await run(['token', 'paa', '--host', 'desk', '--data-dir', dir]);
      assert.equal(token.code, 1);
      assert.match(token.stderr, /encrypted by the Homegate desktop app with the OS keychain/);
    });
  });
});
