import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { main } from '../../../main/cli.ts';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(args: readonly string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { out: (text) => (stdout += text), err: (text) => (stderr += text) }, () =>
    Promise.resolve('SIGTERM'),
  );
  return { code, stdout, stderr };
}

async function withDataDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'homegate-cli-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('homegate CLI', () => {
  test('--help and no arguments print usage and succeed', async () => {
    for (const args of [[], ['--help'], ['-h']]) {
      const result = await run(args);
      assert.equal(result.code, 0);
      assert.match(result.stdout, /homegate serve/);
      assert.match(result.stdout, /homegate token paa --host NAME/);
    }
  });

  test('a command’s --help shows its usage', async () => {
    const result = await run(['hosts', 'add', '--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^Usage: homegate hosts add --name NAME --address HOST\[:PORT\]/);
  });

  test('--version prints the package version', async () => {
    const result = await run(['--version']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^\d+\.\d+\.\d+\n$/);
  });

  test('usage errors exit 2 and say what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['hosts', 'add', '--name', 'desk'], /--address is required/],
      [['hosts', 'add', '--name', 'bad name!', '--address', '10.0.0.1'], /--name: use 1 to 63 letters/],
      [['hosts', 'add', '--name', 'desk', '--address', 'host:notaport'], /--address takes HOST\[:PORT\]/],
      [['hosts', 'add', '--name', 'desk', '--address', '10.0.0.1', '--mac', 'zz'], /--mac: use six hex pairs/],
      [['hosts', 'list', '--bogus'], /Unknown option '--bogus'/],
      [['token', 'paa', '--host', 'desk', '--ttl', '5'], /--ttl must be a whole number of seconds from 30/],
      [['serve', '--listen', 'nonsense'], /--listen takes HOST:PORT/],
      [['serve', '--plain-listen', '127.0.0.1'], /--plain-listen takes HOST:PORT/],
      [['hosts', 'list', 'extra'], /unexpected argument "extra"/],
      [['hosts', 'list', '--log-level', 'loud'], /--log-level must be one of/],
    ];
    await withDataDir(async (dir) => {
      for (const [args, message] of cases) {
        const result = await run([...args, '--data-dir', dir]);
        assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
        assert.match(result.stderr, message, args.join(' '));
        assert.equal(result.stdout, '');
      }
    });
  });

  test('hosts add, list and remove round-trip through the data directory', async () => {
    await withDataDir(async (dir) => {
      assert.equal(
        (await run(['hosts', 'add', '--name', 'desk', '--address', '192.168.1.20', '--data-dir', dir])).code,
        0,
      );
      const second = await run(['hosts', 'add', '--name', 'nas', '--address', '[fd00::5]:3390', '--data-dir', dir]);
      assert.equal(second.code, 0);
      assert.match(second.stdout, /added nas → \[fd00::5\]:3390/);

      const duplicate = await run(['hosts', 'add', '--name', 'DESK', '--address', '10.0.0.1', '--data-dir', dir]);
      assert.equal(duplicate.code, 1);
      assert.match(duplicate.stderr, /a host named "DESK" already exists/);

      const listed = await run(['hosts', 'list', '--json', '--data-dir', dir]);
      assert.deepEqual(JSON.parse(listed.stdout), [
        { name: 'desk', address: '192.168.1.20', port: 3389 },
        { name: 'nas', address: 'fd00::5', port: 3390 },
      ]);
      const table = await run(['hosts', 'list', '--data-dir', dir]);
      assert.match(table.stdout, /desk\s+192\.168\.1\.20:3389/);

      assert.equal((await run(['hosts', 'remove', '--name', 'desk', '--data-dir', dir])).code, 0);
      const missing = await run(['hosts', 'remove', '--name', 'desk', '--data-dir', dir]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no allowed host named "desk" \(allowed: nas\)/);
    });
  });

  test('token paa prints only a PAA token for that host', async () => {
    await withDataDir(async (dir) => {
      await run(['hosts', 'add', '--name', 'desk', '--address', '192.168.1.20', '--data-dir', dir]);
      const result = await run(['token', 'paa', '--host', 'desk', '--ttl', '120', '--data-dir', dir]);
      assert.equal(result.code, 0, result.stderr);
      const token = result.stdout.trim();
      assert.equal(result.stdout, `${token}\n`);
      assert.equal(decodeProtectedHeader(token).cty, 'PAA');
      const claims = decodeJwt(token);
      assert.deepEqual(claims.hosts, ['desk']);
      assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 120);
      const settings = JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8')) as { gatewayId: string };
      assert.equal(claims.jet_gw_id, settings.gatewayId);

      const unknown = await run(['token', 'paa', '--host', 'nope', '--data-dir', dir]);
      assert.equal(unknown.code, 1);
      assert.equal(unknown.stdout, '');
    });
  });

  test('rdp writes a UTF-16LE file that uses the gateway with a token', async () => {
    await withDataDir(async (dir) => {
      await run(['hosts', 'add', '--name', 'desk', '--address', '192.168.1.20:3390', '--data-dir', dir]);
      const out = join(dir, 'desk.rdp');
      const result = await run([
        'rdp',
        '--host',
        'desk',
        '--out',
        out,
        '--gateway-address',
        'gw.example.com',
        '--no-sign',
        '--data-dir',
        dir,
      ]);
      assert.equal(result.code, 0, result.stderr);
      const bytes = await readFile(out);
      assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xfe]);
      const text = bytes.subarray(2).toString('utf16le');
      assert.match(text, /^full address:s:desk\r\nserver port:i:3390\r\ngatewayhostname:s:gw\.example\.com:443\r\n/);
      assert.match(text, /\r\ngatewaycredentialssource:i:5\r\n/);
      const token = /gatewayaccesstoken:s:(\S+)\r\n/.exec(text)?.[1];
      assert.ok(token);
      assert.deepEqual(decodeJwt(token).hosts, ['desk']);
    });
  });

  test('a corrupt settings file is reported, backed up and left as it was', async () => {
    await withDataDir(async (dir) => {
      const path = join(dir, 'settings.json');
      await writeFile(path, '{ "version": 1, oops');
      const result = await run(['hosts', 'list', '--data-dir', dir]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /settings\.json is not valid JSON/);
      assert.match(result.stderr, /a copy was saved to .*settings\.json\.corrupt-/);
      assert.equal(await readFile(path, 'utf8'), '{ "version": 1, oops');
      const backups = (await readdir(dir)).filter((name) => name.startsWith('settings.json.corrupt-'));
      assert.equal(backups.length, 1);
    });
  });

  test('serve prints its URL and certificate fingerprint, and stops on the signal', async () => {
    await withDataDir(async (dir) => {
      const result = await run(['serve', '--listen', '127.0.0.1:0', '--data-dir', dir]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^Homegate gateway listening on https:\/\/127\.0\.0\.1:\d+\/$/m);
      assert.match(result.stdout, /^Certificate SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}$/m);
      assert.match(result.stderr, /received SIGTERM, shutting down/);
    });
  });

  test('serve --plain-listen also serves plain HTTP and warns that only a trusted proxy may reach it', async () => {
    await withDataDir(async (dir) => {
      const result = await run([
        'serve',
        '--listen',
        '127.0.0.1:0',
        '--plain-listen',
        '127.0.0.1:0',
        '--data-dir',
        dir,
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^Homegate gateway listening on https:\/\/127\.0\.0\.1:\d+\/$/m);
      assert.match(
        result.stdout,
        /^Homegate plain HTTP listening on http:\/\/127\.0\.0\.1:\d+\/ \(only for a trusted/m,
      );
      assert.match(
        result.stderr,
        /^\{"level":"warn",.*"msg":"plain HTTP listener on: it must only be reachable by a trusted/m,
      );
    });
  });

  test('serve reports a listen address in use', async () => {
    await withDataDir(async (dir) => {
      const { createServer } = await import('node:net');
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const { port } = blocker.address() as { port: number };
      try {
        const result = await run(['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dir]);
        assert.equal(result.code, 1);
        assert.match(result.stderr, /already in use/);
      } finally {
        blocker.close();
      }
    });
  });
});
