/**
 * Boots the desktop shell's real entry (main/index.ts → main/app/boot.ts) in this process against the electron
 * stand-in, on a fresh data directory and userData, with the gateway on loopback. See README.md in this folder.
 */
import './electron-stand-in/register.ts';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { silentLogger } from '../../main/logging/logger.ts';
import { openContext } from '../../main/service.ts';
import { freePort, pollUntil } from '../e2e/harness/index.ts';
import { standIn, type StandInBrowserWindow } from './electron-stand-in/main-process.ts';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SCREENSHOTS = join(PROJECT_ROOT, 'test-artifacts/desktop');
export const UI_TIMEOUT_MS = 15_000;

let runs = 0;

export interface ShellRun {
  readonly gatewayPort: number;
  readonly window: StandInBrowserWindow;
  readonly page: Page;
}

/** Lets the gateway listen on a free loopback port (the default is 0.0.0.0:8443). */
export async function listenOnLoopback(dataDir: string): Promise<number> {
  const port = await freePort();
  const context = await openContext(dataDir, silentLogger);
  try {
    await context.settings.update((settings) => ({ ...settings, listen: { host: '127.0.0.1', port } }));
  } finally {
    context.settings.close();
  }
  return port;
}

/**
 * Imports main/index.ts (again, as a new module instance, after a quit: a restart), emits `ready`, waits for the
 * window. The first run puts the gateway on a free loopback port; a restart keeps it (the app has sealed the keys,
 * so the settings are no longer edited from here).
 */
export async function bootShell(
  dirs: { dataDir: string; userData: string; saveDir: string },
  previous?: ShellRun,
): Promise<ShellRun> {
  process.env.HOMEGATE_DATA_DIR = dirs.dataDir;
  await mkdir(dirs.userData, { recursive: true });
  const gatewayPort = previous?.gatewayPort ?? (await listenOnLoopback(dirs.dataDir));
  standIn.configure({
    appPath: PROJECT_ROOT,
    userData: dirs.userData,
    documents: dirs.userData,
    saveDir: dirs.saveDir,
  });
  runs += 1;
  await import(`../../main/index.ts?run=${runs}`);
  standIn.emitReady();
  const window = await pollUntil(() => Promise.resolve(standIn.windows.find((w) => !w.isDestroyed() && w.visible)), {
    timeoutMs: UI_TIMEOUT_MS,
    intervalMs: 50,
    what: 'the window shows',
    abortIf: () => (standIn.errorBoxes[0] ? `error box: ${JSON.stringify(standIn.errorBoxes[0])}` : undefined),
  });
  const page = await window.pageReady;
  return { gatewayPort, window, page };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
