/**
 * scripts/start.sh, the README's first command: the tray app where an Electron binary and a display are present,
 * the headless gateway otherwise, with one line saying which and why. A stand-in Electron executable (a shell
 * script, through ELECTRON_OVERRIDE_DIST_PATH as the electron package itself honours it) records how it was run.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeTempDir } from '../e2e/harness/index.ts';
import { PROJECT_ROOT } from './shell.ts';

/** Runs start.sh until it exits or prints a line matching `until` (then stops it); answers its stdout. */
function startScript(env: NodeJS.ProcessEnv, until?: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(PROJECT_ROOT, 'scripts/start.sh')], { env, detached: true });
    let out = '';
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`start.sh did not finish: ${out}`));
    }, 150_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (until?.test(out)) process.kill(-child.pid!, 'SIGTERM');
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

test(
  'start.sh starts the tray app with an Electron binary and a display, else the headless gateway',
  { timeout: 400_000 },
  async (t) => {
    const work = await makeTempDir('start-script');
    t.after(() => work.remove());
    const dist = join(work.path, 'electron-dist');
    await mkdir(dist);
    await writeFile(join(dist, 'electron'), '#!/bin/sh\necho "electron ran with: $*"\n');
    await chmod(join(dist, 'electron'), 0o755);
    const base = { ...process.env, HOMEGATE_DATA_DIR: join(work.path, 'data'), DISPLAY: '', WAYLAND_DISPLAY: '' };

    const app = await startScript({ ...base, ELECTRON_OVERRIDE_DIST_PATH: dist, DISPLAY: ':99' });
    const lines = app.trim().split('\n');
    assert.match(lines[0] ?? '', /^start\.sh: starting the Homegate tray app \(Electron binary and a display found: /);
    assert.equal(lines[1], 'electron ran with: .');

    const noDisplay = await startScript({ ...base, ELECTRON_OVERRIDE_DIST_PATH: dist }, /\n/);
    assert.match(noDisplay, /^start\.sh: starting the headless gateway \(homegate serve\): no display/);

    const noBinary = await startScript({ ...base, ELECTRON_OVERRIDE_DIST_PATH: join(work.path, 'none') }, /\n/);
    assert.match(noBinary, /^start\.sh: starting the headless gateway \(homegate serve\): no Electron binary at /);
  },
);
