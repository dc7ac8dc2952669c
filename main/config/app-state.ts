/**
 * The desktop app's own state (not the gateway's): where its window was, how far first-run onboarding got, the
 * tray's preferences and the last folder an RDP file was exported to. The desktop app keeps it with electron-store
 * in Electron's userData (main/app/app-state.ts); settings.json, which the CLI shares, holds only the gateway's
 * settings. Plain types here, so the contract's handlers can take the onboarding part injected in both shells.
 */

/** How far first-run onboarding got: the steps done (by id), and whether the user finished or dismissed it. */
export interface OnboardingProgress {
  readonly completedSteps: readonly string[];
  readonly finished: boolean;
}

export const NO_ONBOARDING_PROGRESS: OnboardingProgress = { completedSteps: [], finished: false };

/** What a contract handler needs of the app's state: onboarding progress, read and saved. */
export interface AppStateStore {
  getOnboarding(): OnboardingProgress;
  setOnboarding(progress: OnboardingProgress): void | Promise<void>;
}

export interface WindowBounds {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The main window as it was last: its normal (unmaximised) bounds, and whether it was maximised. */
export interface WindowState {
  readonly bounds: WindowBounds | undefined;
  readonly maximized: boolean;
}

export interface TrayPreferences {
  /** A native notification when a client connects. */
  readonly notifyOnConnection: boolean;
  /** A native notification when a connection is refused, with the reason. */
  readonly notifyOnRefusal: boolean;
}

export const DEFAULT_TRAY_PREFERENCES: TrayPreferences = { notifyOnConnection: true, notifyOnRefusal: true };

/** The whole of the desktop app's state, as the app reads and saves it. */
export interface DesktopState extends AppStateStore {
  getWindow(): WindowState;
  setWindow(state: WindowState): void;
  getTray(): TrayPreferences;
  setTray(preferences: TrayPreferences): void;
  getLastExportFolder(): string | undefined;
  setLastExportFolder(folder: string): void;
}

/** A window smaller than this, or larger, is not restored as it was saved. */
export const WINDOW_LIMITS = { minWidth: 720, minHeight: 480, max: 16_384 } as const;

/**
 * The bounds to open the window with: the saved ones when they are sane and still on a display (a monitor that was
 * unplugged leaves a window nobody can reach), else only the saved size, centred by the OS, else nothing.
 */
export function restorableBounds(
  saved: WindowBounds | undefined,
  workAreas: readonly WindowBounds[],
): Partial<WindowBounds> {
  if (!saved) return {};
  const width = clamp(saved.width, WINDOW_LIMITS.minWidth, WINDOW_LIMITS.max);
  const height = clamp(saved.height, WINDOW_LIMITS.minHeight, WINDOW_LIMITS.max);
  // Visible enough to grab: the window's top strip (its title bar) overlaps a display by at least 48 px each way.
  const grabbable = workAreas.some(
    (area) =>
      overlap(saved.x, saved.x + width, area.x, area.x + area.width) >= 48 &&
      overlap(saved.y, saved.y + 48, area.y, area.y + area.height) >= 24,
  );
  return grabbable ? { x: saved.x, y: saved.y, width, height } : { width, height };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(value)));
}

function overlap(start: number, end: number, areaStart: number, areaEnd: number): number {
  return Math.max(0, Math.min(end, areaEnd) - Math.max(start, areaStart));
}
