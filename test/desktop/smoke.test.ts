/**
 * The app on real Electron, where the binary is installed (the desktop workflow on Windows, macOS and Ubuntu
 * runners; on Linux under xvfb): it boots, the page loads over homegate://app/, one contract call succeeds,
 * safeStorage seals the signing key where the OS keychain protects it, and a window showing a foreign page is
 * refused. Without the binary (this project's own machines, even under CI=true: it cannot be downloaded there) the
 * test is skipped with one line saying why: the one skip CI allows. The stand-in tests cover the shell here.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { _electron, type ElectronApplication } from 'playwright-core';
import { electronBinary } from '../../scripts/electron-binary.mjs';
import { makeTempDir } from '../e2e/harness/index.ts';
import { PROJECT_ROOT, UI_TIMEOUT_MS, listenOnLoopback, screenshot } from './shell.ts';

const found = electronBinary();
if (!found.path) console.log(`real-Electron smoke test skipped: ${found.reason ?? 'no Electron binary'}`);

let launched: ElectronApplication | undefined;
after(() => launched?.close());

test(
  'real Electron: boot, homegate://app/, a contract call, the sealed key, a foreign page refused',
  {
    skip: found.path ? false : `no Electron binary: ${found.reason ?? ''}`,
    timeout: 120_000,
  },
  async (t) => {
    const data = await makeTempDir('electron-smoke');
    t.after(() => data.remove());
    const dataDir = join(data.path, 'data');
    await listenOnLoopback(dataDir);
    const app = await _electron.launch({
      executablePath: found.path,
      args: [PROJECT_ROOT, `--user-data-dir=${join(data.path, 'user')}`],
      cwd: PROJECT_ROOT,
      env: { ...process.env, HOMEGATE_DATA_DIR: dataDir },
      timeout: UI_TIMEOUT_MS,
    });
    launched = app;
    const page = await app.firstWindow({ timeout: UI_TIMEOUT_MS });
    await page.waitForURL(/^homegate:\/\/app\/index\.html/, { timeout: UI_TIMEOUT_MS });
    await page.getByRole('heading', { name: 'Sessions', level: 1 }).waitFor({ timeout: UI_TIMEOUT_MS });
    const status = await page.evaluate<{ ok: boolean; result?: { listening: { host: string } } }>(
      "window.homegate['gateway.status'](undefined)",
    );
    assert.equal(status.ok, true);
    assert.equal(status.result?.listening.host, '127.0.0.1');
    await screenshot(page, 'electron-smoke');

    const keychain = await app.evaluate(
      ({ safeStorage }) =>
        safeStorage.isEncryptionAvailable() &&
        (process.platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text'),
    );
    const key = await readFile(join(dataDir, 'keys', 'token-signing-key.json'), 'utf8');
    if (keychain) assert.ok(key.startsWith('homegate-sealed:v1'), 'the signing key is sealed with safeStorage');
    else {
      console.log('no OS keychain on this runner (safeStorage basic_text): the signing key stays a plain 0600 file');
      assert.ok(!key.startsWith('homegate-sealed:v1'));
    }

    // Another window, with our preload, showing a page that is not ours: main answers it nothing.
    const preload = join(PROJECT_ROOT, 'out/preload/index.cjs');
    const foreign = await app.evaluate(async ({ BrowserWindow }, preloadPath) => {
      const window = new BrowserWindow({
        show: false,
        webPreferences: { preload: preloadPath, sandbox: true, contextIsolation: true },
      });
      await window.loadURL('data:text/html,<p>not Homegate</p>');
      const reply: unknown = await window.webContents.executeJavaScript("window.homegate['hosts.list'](undefined)");
      window.destroy();
      return reply;
    }, preload);
    assert.deepEqual(foreign, { ok: false, error: { code: 'forbidden', message: 'forbidden' } });
  },
);
