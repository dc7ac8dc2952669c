import { join } from 'node:path';
import type { GatewayStatus } from '../../shared/ipc/contract.ts';

/** What the tray icon shows, most urgent first: something failed, paused, a session is live, accepting. */
export const TRAY_ICON_STATES = ['error', 'paused', 'live', 'accepting'] as const;
export type TrayIconState = (typeof TRAY_ICON_STATES)[number];

export function trayIconState(status: GatewayStatus, failure: string | undefined): TrayIconState {
  if (failure !== undefined) return 'error';
  if (status.paused) return 'paused';
  return status.liveSessions > 0 ? 'live' : 'accepting';
}

/**
 * The tray image for a state, from the icons scripts/icons.mjs generates at build time (out/icons/tray/). macOS
 * takes black-and-alpha Template images, which it tints for light and dark menu bars; Windows and Linux take
 * coloured ones. Electron finds the `…@2x.png` next to the file by itself on high-DPI screens.
 */
export function trayIconFile(iconsDir: string, state: TrayIconState, platform: NodeJS.Platform): string {
  return join(iconsDir, 'tray', `${state}${platform === 'darwin' ? 'Template' : ''}.png`);
}

const STATE_WORDS: Readonly<Record<TrayIconState, string>> = {
  error: 'needs attention',
  paused: 'paused',
  live: 'in use',
  accepting: 'ready',
};

/** The tooltip: what the icon means, then the status line (or what failed). */
export function trayTooltip(state: TrayIconState, statusLine: string, failure: string | undefined): string {
  return `Homegate ${STATE_WORDS[state]} — ${failure ?? statusLine}`;
}
