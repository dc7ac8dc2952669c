/**
 * electron-builder.yml's `files` globs pack exactly the built bundles and the tray images: electron-builder runs
 * for real (Linux, unpacked) with a dummy Electron distribution (its binary cannot be downloaded here), and the
 * resulting app.asar is listed. No node_modules go in: scripts/build.mjs bundles every dependency but electron.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { listPackage } from '@electron/asar';
import { makeTempDir } from '../e2e/harness/index.ts';
import { PROJECT_ROOT } from './shell.ts';

async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

test(
  'app.asar holds the built main, preload, renderer (no source maps), tray images and package.json',
  { timeout: 180_000 },
  async (t) => {
    const work = await makeTempDir('packaging');
    t.after(() => work.remove());
    const dist = join(work.path, 'electron-dist');
    await mkdir(dist);
    await writeFile(join(dist, 'electron'), '#!/bin/sh\n');
    await chmod(join(dist, 'electron'), 0o755);
    await writeFile(join(dist, 'version'), '45.4.1');
    const output = join(work.path, 'dist');
    const run = spawnSync(
      process.execPath,
      [
        join(PROJECT_ROOT, 'node_modules/electron-builder/cli.js'),
        '--linux',
        '--dir',
        '--publish',
        'never',
        `-c.electronDist=${dist}`,
        `-c.directories.output=${output}`,
      ],
      { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 150_000 },
    );
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);

    const packed = listPackage(join(output, 'linux-unpacked/resources/app.asar'), { isPack: false })
      .map((path) => path.replace(/\\/g, '/'))
      .filter(
        (path) =>
          !['/out', '/out/main', '/out/preload', '/out/renderer', '/out/icons', '/out/icons/tray'].includes(path),
      );
    const built = [
      'out/main/index.js',
      'out/preload/index.cjs',
      ...(await filesBelow(join(PROJECT_ROOT, 'out/renderer'))).filter((path) => !path.endsWith('.map')),
      ...(await filesBelow(join(PROJECT_ROOT, 'out/icons/tray'))),
      'package.json',
    ].map((path) => `/${relative(PROJECT_ROOT, join(PROJECT_ROOT, relative(PROJECT_ROOT, path)))}`);
    assert.deepEqual([...packed].sort(), built.sort());
    assert.equal(built.filter((path) => path.startsWith('/out/icons/tray/')).length, 16);
  },
);
