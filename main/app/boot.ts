import { BrowserWindow, Menu, Tray, app, nativeImage, shell } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCallHandlers } from '../ipc/dispatch.ts';
import { createLogger } from '../logging/logger.ts';
import { startGateway } from '../service.ts';
import { serveContractOverIpc, sendEvent } from './ipc.ts';
import { mainWindowOptions } from './window-options.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const PRELOAD_PATH = join(here, '../preload/index.cjs');
const RENDERER_PATH = join(here, '../renderer/index.html');
const TRAY_ICON_PATH = join(here, '../../resources/tray-icon.png');

/**
 * The desktop app's boot order: gateway, IPC, window, tray. Each step returns its disposer; quitting disposes in
 * reverse (stop listening and drain tunnels last of all, after the UI is gone).
 */
export async function boot(): Promise<void> {
  const logger = createLogger();
  const disposers: (() => void | Promise<void>)[] = [];

  const service = await startGateway({ dataDir: app.getPath('userData'), logger });
  disposers.push(() => service.stop());

  let window: BrowserWindow | undefined;
  const handlers = createCallHandlers(service);
  disposers.push(serveContractOverIpc(handlers, (sender) => sender === window?.webContents, logger));

  const openWindow = (): void => {
    if (window && !window.isDestroyed()) {
      window.show();
      window.focus();
      return;
    }
    window = new BrowserWindow(mainWindowOptions(PRELOAD_PATH));
    const contents = window.webContents;
    // The window shows our bundled page only: navigation elsewhere and new windows are refused; links go to the OS.
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (url.startsWith('https://')) void shell.openExternal(url);
      return { action: 'deny' };
    });
    window.once('ready-to-show', () => window?.show());
    void window.loadFile(RENDERER_PATH);
  };

  const pushSessions = (): void => {
    if (window && !window.isDestroyed()) sendEvent(window.webContents, 'sessions.changed', service.sessions.list());
  };
  for (const event of ['start', 'update', 'end'] as const) disposers.push(service.sessions.on(event, pushSessions));

  const tray = new Tray(nativeImage.createFromPath(TRAY_ICON_PATH));
  tray.setToolTip(`Homegate — listening on port ${service.address.port}`);
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: `Listening on port ${service.address.port}`, enabled: false },
      { type: 'separator' },
      { label: 'Open Homegate', click: openWindow },
      { label: 'Quit', click: () => app.quit() },
    ]),
  );
  disposers.push(() => tray.destroy());

  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault();
    void (async () => {
      for (const dispose of disposers.reverse()) await dispose();
      app.exit(0);
    })();
  });
  // Closing the window keeps the gateway running in the tray.
  app.on('window-all-closed', () => undefined);
  openWindow();
}
