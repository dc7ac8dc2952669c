/**
 * Quit from the tray ends the app's process: the shell (on the electron stand-in, in a child process) drains its
 * tunnels — a live xfreerdp session is told (service message, CLOSE_CHANNEL E_PROXY_CONNECTIONABORTED) — and exits
 * 0 by itself, and the gateway's port is free again.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import {
  SHADOW_SERVER_TOOLS,
  XFREERDP_BASE_ARGS,
  XFREERDP_TOOLS,
  allowHost,
  canConnect,
  describeXfreerdpResult,
  homegateOk,
  makeTempDir,
  skipUnlessTools,
  startShadowServer,
  startXfreerdp,
  withTimeout,
  xfreerdpTarget,
} from '../e2e/harness/index.ts';
import { PROJECT_ROOT } from './shell.ts';

const skip = skipUnlessTools([...new Set(['chromium', ...SHADOW_SERVER_TOOLS, ...XFREERDP_TOOLS])]);

test(
  'Quit tells the live session, closes the tunnel and the process exits 0',
  { skip, timeout: 120_000 },
  async (t) => {
    const shadow = await startShadowServer();
    t.after(() => shadow.stop());
    const work = await makeTempDir('desktop-quit');
    t.after(() => work.remove());
    const dataDir = join(work.path, 'data');
    await allowHost(dataDir, 'shadow', shadow.port);
    // Minted before the app seals the signing key with safeStorage.
    const token = (await homegateOk(dataDir, ['token', 'paa', '--host', 'shadow'])).trim();

    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(PROJECT_ROOT, 'test/desktop/fixtures/quit-child.ts'),
        dataDir,
        join(work.path, 'user'),
        work.path,
      ],
      { cwd: PROJECT_ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    t.after(() => void child.kill('SIGKILL'));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const lines = createInterface({ input: child.stdout });
    const booted = new Promise<number>((resolve) =>
      lines.on('line', (line) => {
        const match = /^booted (\d+)$/.exec(line);
        if (match) resolve(Number(match[1]));
      }),
    );
    const port = await withTimeout(booted, 60_000, 'the app in the child process boots');

    const client = await startXfreerdp([
      xfreerdpTarget('127.0.0.1', shadow.port),
      ...XFREERDP_BASE_ARGS,
      `/g:127.0.0.1:${port}`,
      '/gt:http',
      `/gat:${token}`,
    ]);
    t.after(() => client.stop());
    await client.waitForActive(30_000);

    child.stdin.write('quit\n');
    const [code, signal] = await withTimeout(exited, 30_000, 'the app process exits after Quit');
    assert.deepEqual({ code, signal }, { code: 0, signal: null });
    const result = await client.waitForExit(15_000);
    const output = `${result.stdout}\n${result.stderr}`;
    assert.match(output, /Service message:\nThe gateway is shutting down\.\n/, describeXfreerdpResult(result));
    assert.match(output, /rdg_process_close_packet\b.*\[0x000004D4\]/, describeXfreerdpResult(result));
    assert.equal(await canConnect('127.0.0.1', port, 1_000), false, 'the gateway port is closed');
  },
);
