import type { MenuItemConstructorOptions } from 'electron';
import type { GatewayStatus } from '../../shared/ipc/contract.ts';
import { formatHostAndPort } from '../../shared/model/hosts.ts';
import type { TrayPreferences } from '../config/app-state.ts';

/** Hosts listed in the tray menu; the window lists them all. */
export const MAX_TRAY_HOSTS = 20;

/** What the tray menu shows. */
export interface TrayState {
  readonly status: GatewayStatus;
  readonly hosts: readonly string[];
  /** Whether the app starts at login (login items on macOS and Windows, an XDG autostart entry on Linux). */
  readonly openAtLogin: boolean;
  readonly notify: TrayPreferences;
  /** No public name is set, so an exported file names this machine's LAN name: it works only at home. */
  readonly homeOnly: boolean;
}

/** The tray's word that exported files reach the gateway only from inside the home network. */
export const HOME_ONLY_ENTRY = 'Exported files work only at home: set a public name…';

/** What its entries do (boot.ts binds them to dialogs, the clipboard and the gateway). */
export interface TrayActions {
  exportRdpFile(host: string): void;
  copyAccessToken(host: string): void;
  openWindow(): void;
  setPaused(paused: boolean): void;
  setOpenAtLogin(openAtLogin: boolean): void;
  setNotify(preferences: TrayPreferences): void;
  quit(): void;
}

/** One line for the menu and the tooltip: where the gateway listens, whether it is paused, how many sessions. */
export function trayStatusLine(status: GatewayStatus): string {
  const where = status.listening
    ? `Listening on ${formatHostAndPort(status.listening.host, status.listening.port)}`
    : 'Not listening';
  const sessions = `${status.liveSessions} live session${status.liveSessions === 1 ? '' : 's'}`;
  return `${status.paused ? 'Paused — ' : ''}${where} · ${sessions}`;
}

/** The tray menu. Plain data (no Electron values), so tests check it without Electron. */
export function trayMenuTemplate(state: TrayState, actions: TrayActions): MenuItemConstructorOptions[] {
  const hosts = state.hosts.slice(0, MAX_TRAY_HOSTS);
  const more: MenuItemConstructorOptions[] =
    state.hosts.length > hosts.length
      ? [{ label: `${state.hosts.length - hosts.length} more in the window…`, click: () => actions.openWindow() }]
      : [];
  const hostEntries: MenuItemConstructorOptions[] =
    hosts.length === 0
      ? [{ label: 'No hosts yet: add one in Homegate', enabled: false }]
      : [
          ...(state.homeOnly ? [{ label: HOME_ONLY_ENTRY, click: () => actions.openWindow() }] : []),
          ...hosts.map((host): MenuItemConstructorOptions => ({
            label: `Export RDP file for ${host}…`,
            click: () => actions.exportRdpFile(host),
          })),
          ...more,
          {
            label: 'Copy access token',
            submenu: hosts.map((host) => ({ label: host, click: () => actions.copyAccessToken(host) })),
          },
        ];
  return [
    { label: trayStatusLine(state.status), enabled: false },
    { type: 'separator' },
    ...hostEntries,
    { type: 'separator' },
    { label: 'Open Homegate', click: () => actions.openWindow() },
    {
      label: 'Pause gateway',
      type: 'checkbox',
      checked: state.status.paused,
      click: (item) => actions.setPaused(item.checked),
    },
    {
      label: 'Start at login',
      type: 'checkbox',
      checked: state.openAtLogin,
      click: (item) => actions.setOpenAtLogin(item.checked),
    },
    {
      label: 'Notify when a client connects',
      type: 'checkbox',
      checked: state.notify.notifyOnConnection,
      click: (item) => actions.setNotify({ ...state.notify, notifyOnConnection: item.checked }),
    },
    {
      label: 'Notify when a connection is refused',
      type: 'checkbox',
      checked: state.notify.notifyOnRefusal,
      click: (item) => actions.setNotify({ ...state.notify, notifyOnRefusal: item.checked }),
    },
    { type: 'separator' },
    { label: 'Quit Homegate', click: () => actions.quit() },
  ];
}
