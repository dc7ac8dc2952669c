/**
 * The electron stand-in: what `import … from 'electron'` gives the desktop shell (main/index.ts, main/app/) and
 * electron-store in the desktop tests, with exactly the API surface they call. It is not Electron. Every object is
 * a strict proxy: touching a member the stand-in does not model throws and is recorded in `standIn.unmodelled`, so
 * a test fails as soon as the shell starts calling something new. Behind the objects:
 * - BrowserWindow is a real Chromium page (playwright-core); `protocol.handle` answers its requests through the
 *   page's request routing; the preload script (the built out/preload/index.cjs, as the window's options name it)
 *   runs in Node with a sandboxed preload's `require` (renderer-process.ts), and what it exposes with
 *   contextBridge reaches the page over a Playwright binding with structured-clone semantics;
 * - `ipcMain.handle` gets an event whose `senderFrame` is the calling frame, with its real URL;
 * - Tray and Menu are recorded as data a test can click; dialogs, notifications, the clipboard and login items
 *   are recorded; safeStorage seals with AES-256-GCM under a key of this process.
 * Chromium cannot load a custom scheme, so a page of a scheme given to `protocol.handle` (homegate://app/…) is
 * loaded in Chromium at https://app.homegate.stand-in/…; every URL the shell sees (senderFrame.url, will-navigate,
 * the protocol handler's request) is mapped back. See test/desktop/README.md for what this cannot model.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { chromium, type Browser, type Frame, type Page, type Route } from 'playwright-core';
import { runPreload, type PreloadWorld } from './renderer-process.ts';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
const STAND_IN_HOST_SUFFIX = '.stand-in';
const BINDING = '__electronStandInBridge';
const CALLBACK = '__electronStandInCallback';

// ---------------------------------------------------------------------------------------------------------------
// Strictness: a member the stand-in lacks throws, and is recorded.

const unmodelled: string[] = [];

function strict<T extends object>(name: string, target: T): T {
  return new Proxy(target, {
    get(object, key, receiver) {
      if (typeof key === 'symbol' || key in object) return Reflect.get(object, key, receiver) as unknown;
      // Promise resolution and console inspection probe `then` / `toJSON`: answer as a plain object would.
      if (key === 'then' || key === 'toJSON') return undefined;
      const member = `${name}.${key}`;
      unmodelled.push(member);
      throw new Error(`electron stand-in: ${member} is not modelled (the shell calls something new)`);
    },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Structured clone, as IPC and contextBridge copy values: an Error keeps only its message (and name), functions
// cannot cross IPC at all.

function cloneForIpc<T>(value: T): T {
  return structuredClone(value);
}

// ---------------------------------------------------------------------------------------------------------------
// What a test controls and reads.

export interface TrayRecord {
  readonly image: string;
  readonly toolTip: string;
  readonly menu: readonly MenuItemRecord[];
  readonly destroyed: boolean;
}

export interface MenuItemRecord {
  readonly label?: string;
  readonly type?: string;
  readonly checked?: boolean;
  readonly enabled?: boolean;
  readonly submenu?: readonly MenuItemRecord[];
  readonly click?: (item: { checked: boolean }, window: undefined, event: object) => void;
}

export interface NotificationRecord {
  readonly title: string;
  readonly body: string;
  shown: boolean;
  closed: boolean;
  /** Clicks it, as the user would in the OS's notification area. */
  click(): void;
}

interface StandInConfig {
  appPath: string;
  userData: string;
  documents: string;
  /** The folder the save dialog answers in (the file name is the dialog's default name). */
  saveDir: string;
  /** When true, app.exit ends this process (a child process running the app); otherwise it is recorded. */
  exitProcess: boolean;
}

const config: StandInConfig = {
  appPath: process.cwd(),
  userData: '',
  documents: '',
  saveDir: '',
  exitProcess: false,
};

const events = new EventEmitter();
let browser: Promise<Browser> | undefined;
const windows: StandInBrowserWindow[] = [];
const trays: StandInTray[] = [];
const notifications: NotificationRecord[] = [];
const errorBoxes: { title: string; content: string }[] = [];
const saveDialogs: object[] = [];
const externalLinks: string[] = [];
const blockedNavigations: string[] = [];
const refusedPopups: string[] = [];
const schemes = new Map<string, (request: Request) => Response | Promise<Response>>();
const privilegedSchemes: unknown[] = [];
const foreignPages = new Map<string, string>();
let exitCode: number | undefined;
let sandboxEnabled = false;
let lockHeld = false;
let loginItem = { openAtLogin: false };
let clipboardText = '';
const sealKey = randomBytes(32);

let resolveReady: () => void = () => undefined;
let ready = new Promise<void>((resolve) => (resolveReady = resolve));

/** The test's handle on the stand-in. */
export const standIn = {
  configure(options: Partial<StandInConfig>): void {
    Object.assign(config, options);
  },
  /** Electron's `ready`: the shell's whenReady() resolves and it boots. */
  emitReady(): void {
    resolveReady();
  },
  /** A second launch of the app (the OS ran it again while it runs). */
  launchSecondInstance(): boolean {
    if (!lockHeld) return false;
    app.emit('second-instance', {}, ['homegate'], config.appPath);
    return true;
  },
  /** Forgets the previous run, for booting the shell again in the same process (a restart). */
  reset(): void {
    app.removeAllListeners();
    ipcMainHandlers.clear();
    ipcMain.removeAllListeners();
    schemes.clear();
    trays.length = 0;
    windows.length = 0;
    notifications.length = 0;
    errorBoxes.length = 0;
    exitCode = undefined;
    lockHeld = false;
    ready = new Promise<void>((resolve) => (resolveReady = resolve));
  },
  get unmodelled(): readonly string[] {
    return unmodelled;
  },
  get windows(): readonly StandInBrowserWindow[] {
    return windows;
  },
  get tray(): TrayRecord | undefined {
    return trays.at(-1)?.record();
  },
  get notifications(): readonly NotificationRecord[] {
    return notifications;
  },
  get errorBoxes(): readonly { title: string; content: string }[] {
    return errorBoxes;
  },
  get saveDialogs(): readonly object[] {
    return saveDialogs;
  },
  get blockedNavigations(): readonly string[] {
    return blockedNavigations;
  },
  get refusedPopups(): readonly string[] {
    return refusedPopups;
  },
  get privilegedSchemes(): readonly unknown[] {
    return privilegedSchemes;
  },
  get sandboxEnabled(): boolean {
    return sandboxEnabled;
  },
  get exitCode(): number | undefined {
    return exitCode;
  },
  /** Settles when the app calls app.exit, with its code. */
  exited(): Promise<number> {
    if (exitCode !== undefined) return Promise.resolve(exitCode);
    return new Promise((resolve) => events.once('exit', resolve));
  },
  /** Clicks a tray menu item by its label (submenus included), as the user would: checkboxes toggle first. */
  clickTray(label: string): void {
    const tray = trays.at(-1);
    if (!tray) throw new Error('electron stand-in: there is no tray');
    const item = findItem(tray.menu?.items ?? [], label);
    if (!item) throw new Error(`electron stand-in: no tray menu item "${label}"`);
    if (item.enabled === false) throw new Error(`electron stand-in: tray menu item "${label}" is disabled`);
    if (!item.click) throw new Error(`electron stand-in: tray menu item "${label}" does nothing`);
    const checked = item.type === 'checkbox' || item.type === 'radio' ? !item.checked : item.checked === true;
    item.click({ checked }, undefined, {});
  },
  /** A page of a foreign origin the routing serves (for navigation and foreign-frame tests); nothing else is. */
  serveForeignPage(url: string, html: string): void {
    foreignPages.set(url, html);
  },
  /** The Chromium URL of a URL on a scheme given to protocol.handle (identity for others). */
  chromiumUrl,
  async close(): Promise<void> {
    for (const window of windows)
      await window.page
        ?.context()
        .close()
        .catch(() => undefined);
    const launched = browser;
    browser = undefined;
    if (launched) await (await launched).close();
  },
};

function findItem(items: readonly MenuItemRecord[], label: string): MenuItemRecord | undefined {
  for (const item of items) {
    if (item.label === label) return item;
    const inner = item.submenu ? findItem(item.submenu, label) : undefined;
    if (inner) return inner;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// URLs: a handled scheme's page lives in Chromium on an https origin.

function chromiumUrl(url: string): string {
  const parsed = new URL(url);
  const scheme = parsed.protocol.slice(0, -1);
  if (!schemes.has(scheme)) return url;
  return `https://${parsed.host}.${scheme}${STAND_IN_HOST_SUFFIX}${parsed.pathname}${parsed.search}${parsed.hash}`;
}

function shellUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.protocol !== 'https:' || !parsed.hostname.endsWith(STAND_IN_HOST_SUFFIX)) return url;
  const labels = parsed.hostname.slice(0, -STAND_IN_HOST_SUFFIX.length).split('.');
  const scheme = labels.pop();
  if (!scheme || !schemes.has(scheme)) return url;
  return `${scheme}://${labels.join('.')}${parsed.pathname}${parsed.search}${parsed.hash}`;
}

function launchBrowser(): Promise<Browser> {
  browser ??= chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return browser;
}

// ---------------------------------------------------------------------------------------------------------------
// app

class StandInApp extends EventEmitter {
  requestSingleInstanceLock(): boolean {
    if (lockHeld) return false;
    lockHeld = true;
    return true;
  }
  enableSandbox(): void {
    sandboxEnabled = true;
  }
  whenReady(): Promise<void> {
    return ready;
  }
  quit(): void {
    let prevented = false;
    const event = strict('Event', { preventDefault: () => void (prevented = true) });
    this.emit('before-quit', event);
    if (!prevented) this.exit(0);
  }
  exit(code = 0): void {
    exitCode = code;
    lockHeld = false;
    for (const window of [...windows]) if (!window.isDestroyed()) window.destroy();
    events.emit('exit', code);
    if (config.exitProcess) {
      void standIn.close().finally(() => process.exit(code));
    }
  }
  getPath(name: string): string {
    const paths: Record<string, string> = { userData: config.userData, documents: config.documents };
    const path = paths[name];
    if (!path) throw new Error(`electron stand-in: app.getPath('${name}') is not modelled or not configured`);
    return path;
  }
  getAppPath(): string {
    return config.appPath;
  }
  getVersion(): string {
    const { version } = JSON.parse(readFileSync(join(config.appPath, 'package.json'), 'utf8')) as { version: string };
    return version;
  }
  setLoginItemSettings(settings: { openAtLogin: boolean }): void {
    loginItem = { openAtLogin: settings.openAtLogin };
  }
  getLoginItemSettings(): { openAtLogin: boolean } {
    return { ...loginItem };
  }
}

export const app = strict('app', new StandInApp());

// ---------------------------------------------------------------------------------------------------------------
// protocol, session, screen

export const protocol = strict('protocol', {
  registerSchemesAsPrivileged(customSchemes: unknown[]): void {
    privilegedSchemes.push(...customSchemes);
  },
  handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void {
    if (schemes.has(scheme)) throw new Error(`electron stand-in: scheme ${scheme} is already handled`);
    schemes.set(scheme, handler);
  },
  unhandle(scheme: string): void {
    schemes.delete(scheme);
  },
});

type PermissionRequestHandler = (
  contents: unknown,
  permission: string,
  callback: (granted: boolean) => void,
  details: { requestingUrl: string },
) => void;
type PermissionCheckHandler = (contents: unknown, permission: string, origin: string) => boolean;

export const permissionHandlers: { request?: PermissionRequestHandler; check?: PermissionCheckHandler } = {};

export const session = strict('session', {
  defaultSession: strict('Session', {
    setPermissionRequestHandler(handler: PermissionRequestHandler): void {
      permissionHandlers.request = handler;
    },
    setPermissionCheckHandler(handler: PermissionCheckHandler): void {
      permissionHandlers.check = handler;
    },
  }),
});

const WORK_AREA = { x: 0, y: 0, width: 1920, height: 1080 };
export const screen = strict('screen', {
  getAllDisplays: () => [strict('Display', { id: 1, bounds: { ...WORK_AREA }, workArea: { ...WORK_AREA } })],
});

// ---------------------------------------------------------------------------------------------------------------
// ipcMain

type InvokeHandler = (event: object, ...args: unknown[]) => unknown;
const ipcMainHandlers = new Map<string, InvokeHandler>();

class StandInIpcMain extends EventEmitter {
  handle(channel: string, handler: InvokeHandler): void {
    if (ipcMainHandlers.has(channel)) {
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    }
    ipcMainHandlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    ipcMainHandlers.delete(channel);
  }
}

export const ipcMain = strict('ipcMain', new StandInIpcMain());

/** ipcRenderer.invoke as it arrives in main: cloned arguments, an event naming the sender and its frame. */
async function invokeMain(sender: StandInWebContents, frame: Frame, channel: string, args: unknown[]) {
  const handler = ipcMainHandlers.get(channel);
  if (!handler)
    throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
  const event = strict('IpcMainInvokeEvent', {
    sender,
    senderFrame: sender.frameFor(frame),
    processId: 1,
    frameId: sender.frameIdFor(frame),
  });
  try {
    return cloneForIpc(await handler(event, ...cloneForIpc(args)));
  } catch (error) {
    throw new Error(`Error invoking remote method '${channel}': ${String(error)}`, { cause: error });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// BrowserWindow and webContents, on a Chromium page

interface WindowOptions {
  width?: number;
  height?: number;
  x?: number;
  y?: number;
  show?: boolean;
  webPreferences?: { preload?: string; contextIsolation?: boolean; sandbox?: boolean; nodeIntegration?: boolean };
  [option: string]: unknown;
}

type WindowOpenHandler = (details: { url: string }) => { action: 'allow' | 'deny' };

class StandInWebFrame {
  constructor(
    readonly frame: Frame,
    readonly routingId: number,
  ) {}
  get url(): string {
    return shellUrl(this.frame.url());
  }
  get parent(): StandInWebFrame | null {
    return null;
  }
}

class StandInWebContents extends EventEmitter {
  readonly id: number;
  destroyed = false;
  windowOpenHandler: WindowOpenHandler | undefined;
  world: PreloadWorld | undefined;
  /** The URL a loadURL is navigating to (loadURL emits no will-navigate). */
  pendingLoad: string | undefined;
  readonly frameTable = new WeakMap<Frame, StandInWebFrame>();
  nextFrameId = 1;

  constructor(
    readonly window: StandInBrowserWindow,
    id: number,
  ) {
    super();
    this.id = id;
  }

  frameFor(frame: Frame): StandInWebFrame {
    let main = this.frameTable.get(frame);
    if (!main) {
      main = strict('WebFrameMain', new StandInWebFrame(frame, this.nextFrameId++));
      this.frameTable.set(frame, main);
    }
    return main;
  }
  frameIdFor(frame: Frame): number {
    return this.frameFor(frame).routingId;
  }
  get mainFrame(): StandInWebFrame {
    const page = this.window.page;
    if (!page) throw new Error('electron stand-in: the window has no page yet');
    return this.frameFor(page.mainFrame());
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    this.world?.deliver(channel, cloneForIpc(args));
  }
  setWindowOpenHandler(handler: WindowOpenHandler): void {
    this.windowOpenHandler = handler;
  }
  async loadURL(url: string): Promise<void> {
    const page = await this.window.pageReady;
    this.pendingLoad = url;
    await page.goto(chromiumUrl(url));
  }
}

export class StandInBrowserWindow extends EventEmitter {
  static nextId = 1;
  readonly id = StandInBrowserWindow.nextId++;
  readonly options: WindowOptions;
  readonly webContents: StandInWebContents;
  readonly pageReady: Promise<Page>;
  page: Page | undefined;
  visible = false;
  focused = false;
  maximized = false;
  destroyed = false;
  bounds: { x: number; y: number; width: number; height: number };
  /** Page errors and console errors in the window, for tests to assert none. */
  readonly pageErrors: string[] = [];
  shownOnce = false;

  constructor(options: WindowOptions) {
    super();
    this.options = options;
    this.bounds = {
      x: options.x ?? Math.round((WORK_AREA.width - (options.width ?? 800)) / 2),
      y: options.y ?? Math.round((WORK_AREA.height - (options.height ?? 600)) / 2),
      width: options.width ?? 800,
      height: options.height ?? 600,
    };
    const self = strict('BrowserWindow', this);
    this.webContents = strict('WebContents', new StandInWebContents(self, this.id));
    windows.push(self);
    this.pageReady = this.openPage(self);
    // Unawaited by the shell: a failure shows in the test through the page never loading.
    this.pageReady.catch((error: unknown) => this.pageErrors.push(String(error)));
    app.emit('web-contents-created', strict('Event', {}), this.webContents);
    return self;
  }

  async openPage(self: StandInBrowserWindow): Promise<Page> {
    const context = await (
      await launchBrowser()
    ).newContext({
      viewport: { width: this.bounds.width, height: this.bounds.height },
    });
    const preloadPath = this.options.webPreferences?.preload;
    if (!preloadPath || !existsSync(preloadPath)) {
      throw new Error(`electron stand-in: the window's preload script ${String(preloadPath)} does not exist`);
    }
    const page = await context.newPage();
    this.page = page;
    let world: PreloadWorld | undefined;
    // The preload runs for each new document of the main frame, before the page's own scripts (renderer-process.ts).
    const runWorld = (): PreloadWorld => {
      world = runPreload(preloadPath, {
        invoke: (frame, channel, args) => invokeMain(this.webContents, frame, channel, args),
      });
      this.webContents.world = world;
      return world;
    };
    const manifest = runWorld().manifest();
    await context.exposeBinding(BINDING, async (source, request: unknown) => {
      if (!world) throw new Error('no preload world');
      return world.handle(source.frame, request, (frame, id, args) =>
        frame.evaluate(
          ([name, callbackId, values]) =>
            (globalThis as unknown as Record<string, (id: number, args: unknown[]) => void>)[name]?.(
              callbackId,
              values,
            ),
          [CALLBACK, id, args] as const,
        ),
      );
    });
    // The function's source goes to the page; tsx's transform may name functions with a `__name` helper there.
    const options = JSON.stringify({ binding: BINDING, callback: CALLBACK, manifest });
    await context.addInitScript({
      content: `(() => { const __name = (f) => f; (${pageBridge.toString()})(${options}); })();`,
    });
    await context.route('**/*', (route) => this.routeRequest(route, runWorld));
    page.on('pageerror', (error) => this.pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') this.pageErrors.push(`${message.text()} ${message.location().url}`);
    });
    page.on('load', () => {
      this.webContents.emit('did-finish-load');
      if (!this.shownOnce) {
        this.shownOnce = true;
        self.emit('ready-to-show');
      }
    });
    return page;
  }

  async routeRequest(route: Route, newWorld: () => PreloadWorld): Promise<void> {
    const request = route.request();
    const url = shellUrl(request.url());
    const frame = requestFrame(request);
    if (request.isNavigationRequest() && frame?.page() !== this.page) {
      // A new window (window.open, target=_blank): Electron asks the window-open handler first.
      const decision = this.webContents.windowOpenHandler?.({ url }) ?? { action: 'allow' };
      if (decision.action === 'deny') {
        refusedPopups.push(url);
        for (const other of this.page?.context().pages() ?? []) if (other !== this.page) void other.close();
        return route.abort('aborted');
      }
    }
    const isDocument = request.isNavigationRequest() && frame === this.page?.mainFrame();
    if (isDocument) {
      if (this.webContents.pendingLoad !== undefined && sameDocumentUrl(this.webContents.pendingLoad, url)) {
        this.webContents.pendingLoad = undefined;
      } else {
        let prevented = false;
        const event = strict('Event', { url, preventDefault: () => void (prevented = true) });
        this.webContents.emit('will-navigate', event, url);
        if (prevented) {
          blockedNavigations.push(url);
          return route.abort('aborted');
        }
      }
      newWorld();
    }
    const scheme = url.split(':', 1)[0] ?? '';
    const handler = schemes.get(scheme);
    if (handler) {
      const response = await handler(new Request(url, { method: request.method(), headers: request.headers() }));
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => (headers[name] = value));
      return route.fulfill({ status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) });
    }
    const foreign = foreignPages.get(url);
    if (foreign !== undefined) return route.fulfill({ status: 200, contentType: 'text/html', body: foreign });
    // Nothing else exists: the stand-in has no network.
    return route.abort('connectionrefused');
  }

  loadURL(url: string): Promise<void> {
    return this.webContents.loadURL(url);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {
    this.visible = true;
  }
  show(): void {
    this.visible = true;
  }
  focus(): void {
    this.focused = true;
  }
  maximize(): void {
    this.maximized = true;
    this.emit('maximize');
  }
  isMaximized(): boolean {
    return this.maximized;
  }
  getNormalBounds(): { x: number; y: number; width: number; height: number } {
    return { ...this.bounds };
  }
  /** The user moves or resizes the window (a test): the page's viewport follows, and the events fire. */
  async setBoundsByUser(bounds: { x: number; y: number; width: number; height: number }): Promise<void> {
    this.bounds = { ...bounds };
    await this.page?.setViewportSize({ width: bounds.width, height: bounds.height });
    this.emit('move');
    this.emit('resize');
  }
  /** The user closes the window (its close button). */
  closeByUser(): void {
    let prevented = false;
    this.emit('close', strict('Event', { preventDefault: () => void (prevented = true) }));
    if (!prevented) this.destroy();
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.webContents.destroyed = true;
    void this.page
      ?.context()
      .close()
      .catch(() => undefined);
    this.emit('closed');
    if (windows.every((window) => window.isDestroyed())) app.emit('window-all-closed');
  }
}

/** The frame a request is for; none for a popup's first request (its page does not exist yet). */
function requestFrame(request: ReturnType<Route['request']>): Frame | undefined {
  try {
    return request.frame();
  } catch {
    return undefined;
  }
}

function sameDocumentUrl(a: string, b: string): boolean {
  return a.split('#')[0] === b.split('#')[0];
}

export const BrowserWindow = StandInBrowserWindow;

/**
 * The page side of the preload bridge, run in every frame before the page's scripts (Playwright init script). As a
 * sandboxed preload with contextIsolation, what preload exposed appears in the main frame only (subframes get no
 * preload: nodeIntegrationInSubFrames is off). Functions are proxies over the binding; page functions passed in
 * (event listeners) are kept here and called back by id; an Error thrown in Node arrives as a new Error with the
 * message only, as contextBridge copies it.
 */
function pageBridge(options: { binding: string; callback: string; manifest: Record<string, unknown> }): void {
  const scope = globalThis as unknown as Record<string, unknown>;
  const binding = scope[options.binding] as (
    request: unknown,
  ) => Promise<{ ok: boolean; value?: unknown; message?: string }>;
  const callbacks = new Map<number, (...args: unknown[]) => unknown>();
  let nextCallback = 1;
  Object.defineProperty(scope, options.callback, {
    value: (id: number, args: unknown[]) => callbacks.get(id)?.(...args),
    enumerable: false,
  });
  const encode = (value: unknown): unknown => {
    if (typeof value === 'function') {
      const id = nextCallback++;
      callbacks.set(id, value as (...args: unknown[]) => unknown);
      return { __standInCallback: id };
    }
    return value;
  };
  const decode = (value: unknown): unknown => {
    if (value && typeof value === 'object' && '__standInFunction' in value) {
      const id = (value as { __standInFunction: number }).__standInFunction;
      return (...args: unknown[]) => call({ op: 'function', id, args: args.map(encode) });
    }
    return value;
  };
  const call = async (request: unknown): Promise<unknown> => {
    const reply = await binding(request);
    if (!reply.ok) throw new Error(reply.message);
    return decode(reply.value);
  };
  const build = (key: string, shape: unknown, path: string[]): unknown => {
    if (shape === 'function') {
      return (...args: unknown[]) => {
        const reply = call({ op: 'call', key, path, args: args.map(encode) });
        // A listener registration answers synchronously in Electron (its disposer): here the disposer is a promise
        // of one, wrapped so that calling it works the same.
        return path.at(-1) === 'on' ? () => void reply.then((off) => (off as () => unknown)()) : reply;
      };
    }
    if (shape && typeof shape === 'object') {
      const object: Record<string, unknown> = {};
      for (const [name, inner] of Object.entries(shape)) object[name] = build(key, inner, [...path, name]);
      return Object.freeze(object);
    }
    return shape;
  };
  if (scope.top !== scope.self) return;
  for (const [key, shape] of Object.entries(options.manifest)) {
    Object.defineProperty(scope, key, { value: build(key, shape, []), enumerable: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Tray, Menu, nativeImage

class StandInImage {
  constructor(readonly path: string) {}
  isEmpty(): boolean {
    return !existsSync(this.path);
  }
}

export const nativeImage = strict('nativeImage', {
  createFromPath: (path: string) => strict('NativeImage', new StandInImage(path)),
});

class StandInMenu {
  constructor(readonly items: readonly MenuItemRecord[]) {}
}

export const Menu = strict('Menu', {
  buildFromTemplate: (template: readonly MenuItemRecord[]) => strict('Menu', new StandInMenu(template)),
});

class StandInTray extends EventEmitter {
  image: string;
  toolTip = '';
  menu: StandInMenu | undefined;
  destroyed = false;

  constructor(image: StandInImage) {
    super();
    // Stricter than Electron (which shows an empty icon): a missing image is a bug to see.
    if (image.isEmpty()) throw new Error(`electron stand-in: the tray image ${image.path} does not exist`);
    this.image = image.path;
    const self = strict('Tray', this);
    trays.push(self);
    return self;
  }
  setImage(image: StandInImage): void {
    if (image.isEmpty()) throw new Error(`electron stand-in: the tray image ${image.path} does not exist`);
    this.image = image.path;
  }
  setToolTip(toolTip: string): void {
    this.toolTip = toolTip;
  }
  setContextMenu(menu: StandInMenu): void {
    this.menu = menu;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
  }
  record(): TrayRecord {
    return { image: this.image, toolTip: this.toolTip, menu: this.menu?.items ?? [], destroyed: this.destroyed };
  }
}

export const Tray = StandInTray;

// ---------------------------------------------------------------------------------------------------------------
// dialog, clipboard, shell, safeStorage, Notification

export const dialog = strict('dialog', {
  showSaveDialog(options: { defaultPath?: string }): Promise<{ canceled: boolean; filePath: string }> {
    saveDialogs.push(options);
    if (!config.saveDir) return Promise.resolve({ canceled: true, filePath: '' });
    return Promise.resolve({
      canceled: false,
      filePath: join(config.saveDir, basename(options.defaultPath ?? 'file')),
    });
  },
  showErrorBox(title: string, content: string): void {
    errorBoxes.push({ title, content });
  },
});

export const clipboard = strict('clipboard', {
  writeText: (text: string) => void (clipboardText = text),
  readText: () => clipboardText,
  clear: () => void (clipboardText = ''),
});

export const shell = strict('shell', {
  openExternal: (url: string) => {
    externalLinks.push(url);
    return Promise.resolve();
  },
});

export const safeStorage = strict('safeStorage', {
  isEncryptionAvailable: () => true,
  getSelectedStorageBackend: () => 'gnome_libsecret',
  encryptString(plain: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', sealKey, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  },
  decryptString(sealed: Buffer): string {
    const decipher = createDecipheriv('aes-256-gcm', sealKey, sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
  },
});

class StandInNotification extends EventEmitter {
  static isSupported(): boolean {
    return true;
  }
  readonly record: NotificationRecord;

  constructor(options: { title: string; body: string }) {
    super();
    const self = strict('Notification', this);
    this.record = {
      title: options.title,
      body: options.body,
      shown: false,
      closed: false,
      click: () => void self.emit('click', strict('Event', {})),
    };
    return self;
  }
  show(): void {
    this.record.shown = true;
    notifications.push(this.record);
  }
  close(): void {
    this.record.closed = true;
    this.emit('close', strict('Event', {}));
  }
}

export const Notification = StandInNotification;

/** electron-store does `import electron from 'electron'` and destructures app, ipcMain and shell. */
export default strict('electron', {
  app,
  ipcMain,
  shell,
  BrowserWindow,
  Menu,
  Notification,
  Tray,
  clipboard,
  dialog,
  nativeImage,
  protocol,
  safeStorage,
  screen,
  session,
});
