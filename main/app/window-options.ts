import type { BrowserWindowConstructorOptions, CustomScheme } from 'electron';

export { RENDERER_CSP, RENDERER_CSP_HEADER as APP_CSP_HEADER } from '../web/static-files.ts';

/**
 * The window loads the bundle from our own scheme, not file:// (Electron's checklist: a file:// page may read any
 * file the app can; our scheme answers only the built files, from an allowlist).
 */
export const APP_SCHEME = 'homegate';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * Registered before the app is ready. Standard and secure: a real origin for 'self', web storage, a secure context.
 * Not corsEnabled, fetch-able or CSP-bypassing: nothing outside our page may read from it.
 */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true },
};

/** True for a URL of our own page (the only origin whose frames may call the contract). */
export function isAppUrl(url: string | undefined): boolean {
  if (url === undefined) return false;
  try {
    // Not `.origin`: Node's URL gives 'null' for schemes it does not know; Chromium knows ours once registered.
    const parsed = new URL(url);
    return (
      parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.port === ''
    );
  } catch {
    return false;
  }
}

/**
 * Permissions the page may have: only writing to the clipboard (to copy a token), and only for our own origin.
 * Everything else (camera, notifications, geolocation, HID…) is refused without asking.
 */
export function isPermissionAllowed(permission: string, origin: string | undefined): boolean {
  return permission === 'clipboard-sanitized-write' && isAppUrl(origin);
}

/** Links the page may hand to the OS browser: https only (no file:, no custom schemes that launch programs). */
export function isExternalLinkAllowed(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

/** The main window's options: Electron's security checklist (context isolation, sandbox, no Node in the page). */
export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1100,
    height: 720,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Homegate',
    backgroundColor: '#0f1720',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      enableBlinkFeatures: '',
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: process.env.HOMEGATE_DEVTOOLS === '1',
    },
  };
}
