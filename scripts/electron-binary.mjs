// Prints the Electron executable that `electron .` would run, or why there is none, without downloading it (the
// electron package's own index.js downloads a missing binary). Exit 0 with the path, 1 with the reason. Used by
// scripts/start.sh and the real-Electron smoke test.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('../node_modules/electron/', import.meta.url));

export function electronBinary(env = process.env) {
  const pathFile = join(PACKAGE_DIR, 'path.txt');
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : 'electron';
    const path = join(env.ELECTRON_OVERRIDE_DIST_PATH, relative);
    return existsSync(path) ? { path } : { reason: `no Electron binary at ${path} (ELECTRON_OVERRIDE_DIST_PATH)` };
  }
  if (!existsSync(pathFile)) {
    return { reason: 'the Electron binary is not installed (node node_modules/electron/install.js downloads it)' };
  }
  const path = join(PACKAGE_DIR, 'dist', readFileSync(pathFile, 'utf8'));
  return existsSync(path) ? { path } : { reason: `the Electron binary is missing from ${path}` };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const found = electronBinary();
  console.log(found.path ?? found.reason);
  process.exitCode = found.path ? 0 : 1;
}
