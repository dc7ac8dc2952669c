import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BrowserWindow,
  Menu,
  Tray,
  app,
  clipboard,
  dialog,
  nativeImage,
  protocol,
  safeStorage,
  session,
  shell,
} from 'electron';
import type { CallInput, CallName, CallOutput } from '../../shared/ipc/contract.ts';
import { createSealedSecretCodec, sealPlainSecrets } from '../certs/sealed-secret-codec.ts';
import { isSealedSecret, type SecretCodec } from '../certs/secret-files.ts';
import { createCallHandlers, dispatchCall, type CallHandlers } from '../ipc/dispatch.ts';
import { watchContractEvents } from '../ipc/events.ts';
import { gatewayStatus } from '../ipc/handlers/gateway.ts';
import { createLogger, type Logger } from '../logging/logger.ts';
import { SIGNING_KEY_FILE } from '../security/signing-key.ts';
import { dataPaths, resolveDataDir } from '../config/data-dir.ts';
import { startGateway, type GatewayService } from '../service.ts';
import { loadStaticFiles } from '../web/static-files.ts';
import { createAppProtocolHandler } from './app-protocol.ts';
import { serveContractOverIpc, sendEvent } from './ipc.ts';
import { trayMenuTemplate, trayStatusLine, type TrayActions } from './tray-menu.ts';
import {
  APP_ENTRY_URL,
  APP_SCHEME,
  isExternalLinkAllowed,
  isPermissionAllowed,
  mainWindowOptions,
} from './window-options.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const PRELOAD_PATH = join(here, '../preload/index.cjs');
const RENDERER_DIR = join(here, '../renderer');
const TRAY_ICON_PATH = join(here, '../../resources/tray-icon.png');
/** A token copied from the tray is wiped from the clipboard after this long, if it is still there. */
const CLIPBOARD_CLEAR_MS = 2 * 60 * 1000;

type Disposer = () => void | Promise<void>;

/** What main/index.ts keeps of the booted app: a second launch focuses the window. */
export interface BootedApp {
  showWindow(): void;
}

/**
 * The desktop app's boot order, as an explicit list: security, secrets, gateway, IPC, window, events, tray. Each
 * step returns its disposer; quitting disposes in reverse (the tray and the window go first, the gateway drains its
 * tunnels and flushes its logs last of all). A failure to start is shown in a dialog, and the app quits.
 */
export async function boot(): Promise<BootedApp | undefined> {
  const logger = createLogger();
  const disposers: Disposer[] = [];
  try {
    disposers.push(setupSecurity());
    disposers.push(await setupAppProtocol());
    const dataDir = resolveDataDir(undefined);
    const secrets = setupSecrets(logger);
    const service = await startGateway({ dataDir, logger, secretCodec: secrets.codec });
    disposers.push(() => service.stop());
    // Only once this app owns the data directory (a `homegate serve` on it would have held the port): the keys the
    // CLI wrote plain are sealed now, after which the CLI can no longer use them.
    await secrets.sealPlainKeys(dataDir);
    const handlers = createCallHandlers(service, logger);
    const windows = setupWindows();
    disposers.push(windows.dispose);
    disposers.push(serveContractOverIpc(handlers, (sender) => sender === windows.current()?.webContents, logger));
    const tray = setupTray(service, handlers, windows.show, logger);
    disposers.push(tray.dispose);
    disposers.push(
      watchContractEvents(service, (name, payload) => {
        const window = windows.current();
        if (window) sendEvent(window.webContents, name, payload);
        if (name === 'status.changed') tray.refresh();
      }),
    );
    setupQuit(disposers);
    windows.show();
    return { showWindow: windows.show };
  } catch (error) {
    logger.error('Homegate could not start', { error });
    dialog.showErrorBox('Homegate could not start', (error as Error).message ?? String(error));
    for (const dispose of disposers.reverse()) await Promise.resolve(dispose()).catch(() => undefined);
    app.exit(1);
    return undefined;
  }
}

/**
 * Electron's checklist for every web contents the app ever creates: no permissions but the clipboard write our
 * page needs, no <webview>, no navigation away from our page, no new windows (https links go to the browser).
 */
function setupSecurity(): Disposer {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(isPermissionAllowed(permission, details.requestingUrl)),
  );
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    isPermissionAllowed(permission, requestingOrigin),
  );
  const guard = (_event: Electron.Event, contents: Electron.WebContents): void => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (isExternalLinkAllowed(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  };
  app.on('web-contents-created', guard);
  return () => {
    app.off('web-contents-created', guard);
  };
}

/** Our page comes from homegate://app/, answered from the allowlist of built files (never file://). */
async function setupAppProtocol(): Promise<Disposer> {
  const files = await loadStaticFiles(RENDERER_DIR);
  if (!files) throw new Error(`the window's page is missing from ${RENDERER_DIR} (run npm run build)`);
  protocol.handle(APP_SCHEME, createAppProtocolHandler(files));
  return () => protocol.unhandle(APP_SCHEME);
}

/**
 * Private keys are sealed with `safeStorage` (the OS keychain) where it really protects them, and keys the CLI wrote
 * plain are sealed in place. On Linux without a keyring safeStorage falls back to a fixed key ("basic_text"), which
 * protects nothing, so the files stay plain (0600) there and the app says so.
 */
function setupSecrets(logger: Logger): {
  readonly codec: SecretCodec;
  readonly sealPlainKeys: (dataDir: string) => Promise<void>;
} {
  const available =
    safeStorage.isEncryptionAvailable() &&
    (process.platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text');
  if (!available) {
    logger.warn('no OS keychain: private keys stay in plain 0600 files');
    return {
      codec: {
        seal: (plain) => plain,
        // Keys sealed on an earlier run cannot be opened now: say so rather than call them corrupt.
        open: (stored) => {
          if (isSealedSecret(stored)) throw new Error('the OS keychain that sealed it is not available now');
          return stored;
        },
      },
      sealPlainKeys: () => Promise.resolve(),
    };
  }
  // safeStorage seals strings; base64 carries the key files' bytes through unchanged.
  const codec = createSealedSecretCodec({
    encrypt: (plain) => safeStorage.encryptString(plain.toString('base64')),
    decrypt: (sealed) => Buffer.from(safeStorage.decryptString(sealed), 'base64'),
  });
  return {
    codec,
    sealPlainKeys: async (dataDir) => {
      const sealed = await sealPlainSecrets(dataPaths(dataDir), SIGNING_KEY_FILE, codec);
      if (sealed.length > 0) logger.info('sealed private keys with the OS keychain', { files: sealed });
    },
  };
}

/** One main window, created on demand; closing it leaves the app running in the tray. */
function setupWindows(): { show: () => void; current: () => BrowserWindow | undefined; dispose: Disposer } {
  let window: BrowserWindow | undefined;
  const show = (): void => {
    if (window && !window.isDestroyed()) {
      if (window.isMinimized()) window.restore();
      window.show();
      window.focus();
      return;
    }
    const created = new BrowserWindow(mainWindowOptions(PRELOAD_PATH));
    window = created;
    created.once('ready-to-show', () => created.show());
    created.on('closed', () => {
      if (window === created) window = undefined;
    });
    void created.loadURL(APP_ENTRY_URL);
  };
  // Closing the last window must not quit: the gateway lives in the tray.
  const keepRunning = (): void => undefined;
  app.on('window-all-closed', keepRunning);
  app.on('activate', show);
  return {
    show,
    current: () => (window && !window.isDestroyed() ? window : undefined),
    dispose: () => {
      app.off('window-all-closed', keepRunning);
      app.off('activate', show);
      if (window && !window.isDestroyed()) window.destroy();
    },
  };
}

/** The tray: status, per-host RDP export and token copy, open, pause, start at login, quit. */
function setupTray(
  service: GatewayService,
  handlers: CallHandlers,
  showWindow: () => void,
  logger: Logger,
): { refresh: () => void; dispose: Disposer } {
  const tray = new Tray(nativeImage.createFromPath(TRAY_ICON_PATH));
  // The tray's calls go through dispatchCall like the window's: same validation, same audit trail.
  const call = async <N extends CallName>(name: N, input: CallInput<N>): Promise<CallOutput<N>> =>
    (await dispatchCall(handlers, name, input, logger, { via: 'app' })) as CallOutput<N>;
  const fail = (what: string) => (error: unknown) => {
    logger.error(`tray: ${what} failed`, { error });
    dialog.showErrorBox(`Homegate: ${what} failed`, (error as Error).message ?? String(error));
  };
  const loginItems = process.platform === 'darwin' || process.platform === 'win32';

  const actions: TrayActions = {
    exportRdpFile: (host) => {
      void (async () => {
        const { canceled, filePath } = await dialog.showSaveDialog({
          title: `Export RDP file for ${host}`,
          defaultPath: `${host}.rdp`,
          filters: [{ name: 'Remote Desktop connection', extensions: ['rdp'] }],
        });
        if (canceled || !filePath) return;
        const file = await call('rdp.export', {
          host,
          mode: 'gateway',
          options: { screenMode: 'fullscreen', multiMonitor: false, clipboard: true, drives: false, audio: 'local' },
        });
        // The file holds an access token: readable by its owner only.
        await writeFile(filePath, Buffer.from(file.contentBase64, 'base64'), { mode: 0o600 });
      })().catch(fail('Export RDP file'));
    },
    copyAccessToken: (host) => {
      void (async () => {
        const ttlSeconds = service.context.settings.get().tokens.paaTtlSeconds;
        const { token } = await call('tokens.issue', {
          host,
          ttlSeconds,
          label: 'copied from the tray',
          singleUse: false,
        });
        await clipboard.writeText(token);
        setTimeout(() => {
          void clipboard.readText().then((text) => {
            if (text === token) clipboard.clear();
          });
        }, CLIPBOARD_CLEAR_MS).unref();
      })().catch(fail('Copy access token'));
    },
    openWindow: showWindow,
    setPaused: (paused) => void call('gateway.setPaused', { paused }).then(refresh, fail('Pause gateway')),
    setOpenAtLogin: (openAtLogin) => {
      app.setLoginItemSettings({ openAtLogin });
      refresh();
    },
    quit: () => app.quit(),
  };

  function refresh(): void {
    if (tray.isDestroyed()) return;
    const status = gatewayStatus(service);
    const state = {
      status,
      hosts: service.context.settings.get().hosts.map((host) => host.name),
      openAtLogin: loginItems ? app.getLoginItemSettings().openAtLogin : undefined,
    };
    tray.setToolTip(`Homegate — ${trayStatusLine(status)}`);
    tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(state, actions)));
  }

  refresh();
  const stopFollowingHosts = service.context.settings.onChange(() => refresh());
  return {
    refresh,
    dispose: () => {
      stopFollowingHosts();
      tray.destroy();
    },
  };
}

/** Quitting (tray, OS) disposes everything in reverse, then exits. */
function setupQuit(disposers: Disposer[]): void {
  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault();
    void (async () => {
      for (const dispose of [...disposers].reverse()) {
        try {
          await dispose();
        } catch {
          // Keep going: the gateway must still stop and flush.
        }
      }
      app.exit(0);
    })();
  });
}
