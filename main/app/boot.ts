import { dirname, join } from 'node:path';
import {
  BrowserWindow,
  Menu,
  Notification,
  Tray,
  app,
  clipboard,
  dialog,
  nativeImage,
  protocol,
  safeStorage,
  screen,
  session,
  shell,
} from 'electron';
import type { CallInput, CallName, CallOutput } from '../../shared/ipc/contract.ts';
import { createSealedSecretCodec, sealPlainSecrets } from '../certs/sealed-secret-codec.ts';
import { isSealedSecret, type SecretCodec } from '../certs/secret-files.ts';
import { restorableBounds, type DesktopState } from '../config/app-state.ts';
import { createCallHandlers, dispatchCall, type CallHandlers } from '../ipc/dispatch.ts';
import { watchContractEvents } from '../ipc/events.ts';
import { gatewayStatus } from '../ipc/handlers/gateway.ts';
import { createLogger, type Logger } from '../logging/logger.ts';
import { SIGNING_KEY_FILE } from '../security/signing-key.ts';
import { dataPaths, resolveDataDir } from '../config/data-dir.ts';
import { startGateway, type GatewayService } from '../service.ts';
import { loadStaticFiles } from '../web/static-files.ts';
import { createAppProtocolHandler } from './app-protocol.ts';
import { openDesktopState } from './app-state.ts';
import { HIDDEN_ARG, autostartCommand, isAutostartEnabled, setAutostart } from './autostart.ts';
import { serveContractOverIpc, sendEvent } from './ipc.ts';
import {
  connectionNotice,
  createNoticeLimiter,
  refusalFromAttempt,
  refusalNotice,
  type DesktopNotice,
  type NoticeTarget,
} from './notifications.ts';
import { trayIconFile, trayIconState, trayTooltip } from './tray-icons.ts';
import { trayMenuTemplate, trayStatusLine, type TrayActions } from './tray-menu.ts';
import {
  APP_ENTRY_URL,
  APP_SCHEME,
  isExternalLinkAllowed,
  isPermissionAllowed,
  mainWindowOptions,
} from './window-options.ts';
import { writePrivateFile } from '../util/fs-atomic.ts';

/** The built bundles, below the app's folder (the project in development, app.asar when packaged). */
const built = (...parts: string[]): string => join(app.getAppPath(), 'out', ...parts);
/** Saved window bounds are written at most this often while the window is moved or resized. */
const SAVE_BOUNDS_DELAY_MS = 500;
/** A token copied from the tray is wiped from the clipboard after this long, if it is still there. */
const CLIPBOARD_CLEAR_MS = 2 * 60 * 1000;

type Disposer = () => void | Promise<void>;

/** What main/index.ts keeps of the booted app: a second launch focuses the window. */
export interface BootedApp {
  showWindow(target?: NoticeTarget): void;
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
    const state = openDesktopState({ cwd: app.getPath('userData'), logger });
    const secrets = setupSecrets(logger);
    const service = await startGateway({ dataDir, logger, secretCodec: secrets.codec });
    disposers.push(() => service.stop());
    // Only once this app owns the data directory (a `homegate serve` on it would have held the port): the keys the
    // CLI wrote plain are sealed now, after which the CLI can no longer use them.
    await secrets.sealPlainKeys(dataDir);
    const handlers = createCallHandlers(service, logger, { appState: state });
    const windows = setupWindows(state);
    disposers.push(windows.dispose);
    disposers.push(serveContractOverIpc(handlers, (sender) => sender === windows.current()?.webContents, logger));
    const tray = await setupTray(service, handlers, state, windows.show, logger);
    disposers.push(tray.dispose);
    disposers.push(setupNotifications(service, state, windows.show, logger));
    disposers.push(
      watchContractEvents(
        service,
        (name, payload) => {
          const window = windows.current();
          if (window) sendEvent(window.webContents, name, payload);
          if (name === 'status.changed') tray.refresh();
        },
        // The session list only for a window; a new window's page loads it when it starts.
        { listening: () => windows.current() !== undefined },
      ),
    );
    setupQuit(disposers);
    // Started at login: the app lives in the tray until the user opens it.
    if (!process.argv.includes(HIDDEN_ARG)) windows.show();
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
  const rendererDir = built('renderer');
  const files = await loadStaticFiles(rendererDir);
  if (!files) throw new Error(`the window's page is missing from ${rendererDir} (run npm run build)`);
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

/**
 * One main window, created on demand; closing it leaves the app running in the tray. It opens where it was last
 * (electron-store), maximised if it was, and on a view when a notification asked for one.
 */
function setupWindows(state: DesktopState): {
  show: (target?: NoticeTarget) => void;
  current: () => BrowserWindow | undefined;
  dispose: Disposer;
} {
  let window: BrowserWindow | undefined;
  let saveTimer: NodeJS.Timeout | undefined;
  const save = (from: BrowserWindow): void => {
    clearTimeout(saveTimer);
    saveTimer = undefined;
    if (from.isDestroyed()) return;
    state.setWindow({ bounds: from.getNormalBounds(), maximized: from.isMaximized() });
  };
  const saveSoon = (from: BrowserWindow): void => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => save(from), SAVE_BOUNDS_DELAY_MS);
  };
  const entryUrl = (target: NoticeTarget | undefined): string =>
    target ? `${APP_ENTRY_URL}#${target.view}` : APP_ENTRY_URL;
  const show = (target?: NoticeTarget): void => {
    if (window && !window.isDestroyed()) {
      if (window.isMinimized()) window.restore();
      // Only the fragment changes: the page follows it as an in-page navigation, keeping its state.
      if (target) void window.loadURL(entryUrl(target));
      window.show();
      window.focus();
      return;
    }
    const saved = state.getWindow();
    const bounds = restorableBounds(
      saved.bounds,
      screen.getAllDisplays().map((display) => display.workArea),
    );
    const created = new BrowserWindow({ ...mainWindowOptions(built('preload', 'index.cjs')), ...bounds });
    window = created;
    created.once('ready-to-show', () => {
      if (saved.maximized) created.maximize();
      created.show();
    });
    created.on('resize', () => saveSoon(created));
    created.on('move', () => saveSoon(created));
    created.on('maximize', () => saveSoon(created));
    created.on('unmaximize', () => saveSoon(created));
    created.on('close', () => save(created));
    created.on('closed', () => {
      if (window === created) window = undefined;
    });
    void created.loadURL(entryUrl(target));
  };
  // Closing the last window must not quit: the gateway lives in the tray.
  const keepRunning = (): void => undefined;
  const activate = (): void => show();
  app.on('window-all-closed', keepRunning);
  app.on('activate', activate);
  return {
    show,
    current: () => (window && !window.isDestroyed() ? window : undefined),
    dispose: () => {
      app.off('window-all-closed', keepRunning);
      app.off('activate', activate);
      if (window && !window.isDestroyed()) {
        save(window);
        window.destroy();
      }
    },
  };
}

/** The tray's calls go through dispatchCall like the window's: same validation, same audit trail. */
type TrayCall = <N extends CallName>(name: N, input: CallInput<N>) => Promise<CallOutput<N>>;

/**
 * Tray "Export RDP file": asks where, next to the last export, and writes it for its owner only. Without a public
 * name the dialog says the file works only at home (the message shows on macOS; the menu says it everywhere).
 */
async function exportRdpFromTray(call: TrayCall, state: DesktopState, host: string, homeOnly: boolean): Promise<void> {
  const folder = state.getLastExportFolder() ?? app.getPath('documents');
  const { canceled, filePath } = await dialog.showSaveDialog({
    title: `Export RDP file for ${host}`,
    ...(homeOnly ? { message: 'No public name is set: this file will work only inside your home network.' } : {}),
    defaultPath: join(folder, `${host}.rdp`),
    filters: [{ name: 'Remote Desktop connection', extensions: ['rdp'] }],
  });
  if (canceled || !filePath) return;
  const file = await call('rdp.export', { host, mode: 'gateway' });
  // The file holds an access token: readable by its owner only.
  await writePrivateFile(filePath, Buffer.from(file.contentBase64, 'base64'));
  state.setLastExportFolder(dirname(filePath));
}

/** Tray "Copy access token": a token of the default lifetime, cleared from the clipboard later if still there. */
async function copyTokenFromTray(call: TrayCall, service: GatewayService, host: string): Promise<void> {
  const ttlSeconds = service.context.settings.get().tokens.paaTtlSeconds;
  const { token } = await call('tokens.issue', {
    host,
    ttlSeconds,
    label: 'copied from the tray',
  });
  await clipboard.writeText(token);
  setTimeout(() => {
    void clipboard.readText().then((text) => {
      if (text === token) clipboard.clear();
    });
  }, CLIPBOARD_CLEAR_MS).unref();
}

/**
 * The tray: status, per-host RDP export and token copy, open, pause, start at login, notification preferences,
 * quit. Its icon and tooltip follow the gateway (accepting, live session, paused) and turn to "error" when a tray
 * action failed, until the window is opened.
 */
async function setupTray(
  service: GatewayService,
  handlers: CallHandlers,
  state: DesktopState,
  showWindow: () => void,
  logger: Logger,
): Promise<{ refresh: () => void; dispose: Disposer }> {
  const iconsDir = built('icons');
  const tray = new Tray(nativeImage.createFromPath(trayIconFile(iconsDir, 'accepting', process.platform)));
  const call: TrayCall = async <N extends CallName>(name: N, input: CallInput<N>) =>
    (await dispatchCall(handlers, name, input, logger, { via: 'app' })) as CallOutput<N>;
  let failure: string | undefined;
  const homeOnly = (): boolean => service.context.settings.get().publicNames.length === 0;
  const fail = (what: string) => (error: unknown) => {
    logger.error(`tray: ${what} failed`, { error });
    failure = `${what} failed`;
    refresh();
    dialog.showErrorBox(`Homegate: ${what} failed`, (error as Error).message ?? String(error));
  };
  // Login items are Electron's on macOS and Windows; Linux gets an XDG autostart entry.
  const xdgAutostart = process.platform !== 'darwin' && process.platform !== 'win32';
  let openAtLogin = xdgAutostart ? await isAutostartEnabled() : app.getLoginItemSettings().openAtLogin;

  const actions: TrayActions = {
    exportRdpFile: (host) => void exportRdpFromTray(call, state, host, homeOnly()).catch(fail('Export RDP file')),
    copyAccessToken: (host) => void copyTokenFromTray(call, service, host).catch(fail('Copy access token')),
    openWindow: () => {
      failure = undefined;
      refresh();
      showWindow();
    },
    setPaused: (paused) => void call('gateway.setPaused', { paused }).then(refresh, fail('Pause gateway')),
    setOpenAtLogin: (enabled) => {
      void (async () => {
        if (xdgAutostart) await setAutostart(enabled, autostartCommand());
        else app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_ARG] });
        openAtLogin = enabled;
        refresh();
      })().catch(fail('Start at login'));
    },
    setNotify: (preferences) => {
      state.setTray(preferences);
      refresh();
    },
    quit: () => app.quit(),
  };

  function refresh(): void {
    if (tray.isDestroyed()) return;
    const status = gatewayStatus(service);
    const icon = trayIconState(status, failure);
    const menu = {
      status,
      hosts: service.context.settings.get().hosts.map((host) => host.name),
      openAtLogin,
      notify: state.getTray(),
      homeOnly: homeOnly(),
    };
    tray.setImage(nativeImage.createFromPath(trayIconFile(iconsDir, icon, process.platform)));
    tray.setToolTip(trayTooltip(icon, trayStatusLine(status), failure));
    tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(menu, actions)));
  }

  // A click on the icon opens the window (on Linux many trays only show the menu, which has "Open Homegate").
  tray.on('click', () => actions.openWindow());
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

/**
 * Native notifications, as the tray preferences ask: a client connected (a click opens the window on the sessions),
 * a connection was refused, with why (a click opens the audit log). A flood is summed up (createNoticeLimiter).
 */
function setupNotifications(
  service: GatewayService,
  state: DesktopState,
  showWindow: (target?: NoticeTarget) => void,
  logger: Logger,
): Disposer {
  if (!Notification.isSupported()) {
    logger.info('this desktop shows no notifications');
    return () => undefined;
  }
  const limit = createNoticeLimiter();
  // Kept until clicked or closed: a notification that is garbage-collected loses its click handler.
  const shown = new Set<Notification>();
  const raise = (notice: DesktopNotice): void => {
    const passed = limit(notice);
    if (!passed) return;
    const notification = new Notification({ title: passed.title, body: passed.body });
    shown.add(notification);
    notification.on('click', () => {
      shown.delete(notification);
      showWindow(passed.target);
    });
    notification.on('close', () => shown.delete(notification));
    notification.show();
  };
  const disposers = [
    service.sessions.on('start', (session) => {
      if (state.getTray().notifyOnConnection) raise(connectionNotice(session));
    }),
    // The connection doctor's failed attempts: every refusal, and TLS failures before any request, with the cause.
    service.attempts.onAttempt((attempt) => {
      if (state.getTray().notifyOnRefusal) raise(refusalNotice(refusalFromAttempt(attempt)));
    }),
  ];
  return () => {
    for (const dispose of disposers) dispose();
    for (const notification of shown) notification.close();
    shown.clear();
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
