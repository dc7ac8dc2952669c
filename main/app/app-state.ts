import { renameSync } from 'node:fs';
import { join } from 'node:path';
import type Conf from 'conf';
import ElectronStore from 'electron-store';
import {
  DEFAULT_TRAY_PREFERENCES,
  NO_ONBOARDING_PROGRESS,
  WINDOW_LIMITS,
  type DesktopState,
  type OnboardingProgress,
  type TrayPreferences,
  type WindowState,
} from '../config/app-state.ts';
import type { Logger } from '../logging/logger.ts';

/** `app-state.json` in Electron's userData. */
export const APP_STATE_NAME = 'app-state';

interface Layout {
  window: { bounds?: { x: number; y: number; width: number; height: number }; maximized: boolean };
  onboarding: { completedSteps: string[]; finished: boolean };
  tray: { notifyOnConnection: boolean; notifyOnRefusal: boolean };
  lastExportFolder?: string;
}

const coordinate = { type: 'integer', minimum: -WINDOW_LIMITS.max, maximum: WINDOW_LIMITS.max } as const;
const size = { type: 'integer', minimum: 1, maximum: WINDOW_LIMITS.max } as const;

/** Checked by electron-store on every read of the file and every write: a value outside it is never saved. */
const SCHEMA = {
  window: {
    type: 'object',
    properties: {
      bounds: {
        type: 'object',
        properties: { x: coordinate, y: coordinate, width: size, height: size },
        required: ['x', 'y', 'width', 'height'],
        additionalProperties: false,
      },
      maximized: { type: 'boolean' },
    },
    required: ['maximized'],
    additionalProperties: false,
    default: { maximized: false },
  },
  onboarding: {
    type: 'object',
    properties: {
      completedSteps: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 64, uniqueItems: true },
      finished: { type: 'boolean' },
    },
    required: ['completedSteps', 'finished'],
    additionalProperties: false,
    default: { completedSteps: [], finished: false },
  },
  tray: {
    type: 'object',
    properties: { notifyOnConnection: { type: 'boolean' }, notifyOnRefusal: { type: 'boolean' } },
    required: ['notifyOnConnection', 'notifyOnRefusal'],
    additionalProperties: false,
    default: { ...DEFAULT_TRAY_PREFERENCES },
  },
  lastExportFolder: { type: 'string', minLength: 1, maxLength: 4096 },
} as const;

/**
 * From the pre-release layout (0.0.x: flat `windowBounds`, `windowMaximized` and one `notifications` switch) to the
 * current one. electron-store runs each migration once, when the app's version passes it.
 */
const MIGRATIONS = {
  '0.1.0': (store: Conf<Layout>) => {
    const legacy = store as unknown as Conf<Record<string, unknown>>;
    const bounds = legacy.get('windowBounds');
    const maximized = legacy.get('windowMaximized');
    if (bounds !== undefined || maximized !== undefined) {
      const window = { maximized: maximized === true } as Layout['window'];
      if (isBounds(bounds)) window.bounds = bounds;
      store.set('window', window);
    }
    const notifications = legacy.get('notifications');
    if (typeof notifications === 'boolean') {
      store.set('tray', { notifyOnConnection: notifications, notifyOnRefusal: notifications });
    }
    for (const key of ['windowBounds', 'windowMaximized', 'notifications']) legacy.delete(key);
  },
};

function isBounds(value: unknown): value is NonNullable<Layout['window']['bounds']> {
  if (typeof value !== 'object' || value === null) return false;
  const { x, y, width, height } = value as Record<string, unknown>;
  return [x, y, width, height].every((n) => Number.isInteger(n) && Math.abs(n as number) <= WINDOW_LIMITS.max);
}

export interface OpenDesktopStateOptions {
  readonly logger: Logger;
  /** The folder to keep the file in: Electron's userData (electron-store's default, given explicitly). */
  readonly cwd: string;
}

/**
 * The desktop app's own state in `app-state.json` (userData), behind electron-store with the schema and migration
 * above. A file that cannot be read or breaks the schema is moved aside (`app-state.json.corrupt-TIME`) and the app
 * starts from defaults: losing a window position must never stop the gateway from starting.
 */
export function openDesktopState(options: OpenDesktopStateOptions): DesktopState {
  const store = openStore(options);
  const set = <K extends keyof Layout>(key: K, value: Layout[K]): void => {
    try {
      store.set(key, value);
    } catch (error) {
      // A value outside the schema (or a full disk): keep what was saved, say so, carry on.
      options.logger.warn('app state not saved', { key, error });
    }
  };
  return {
    getWindow: (): WindowState => {
      const { bounds, maximized } = store.get('window');
      return { bounds: bounds ? { ...bounds } : undefined, maximized };
    },
    setWindow: ({ bounds, maximized }) =>
      set('window', bounds ? { bounds: roundBounds(bounds), maximized } : { maximized }),
    getOnboarding: (): OnboardingProgress => {
      const progress = store.get('onboarding');
      return progress
        ? { completedSteps: [...progress.completedSteps], finished: progress.finished }
        : NO_ONBOARDING_PROGRESS;
    },
    setOnboarding: (progress) =>
      set('onboarding', { completedSteps: [...new Set(progress.completedSteps)], finished: progress.finished }),
    getTray: (): TrayPreferences => ({ ...store.get('tray') }),
    setTray: (preferences) => set('tray', { ...preferences }),
    getLastExportFolder: () => store.get('lastExportFolder'),
    setLastExportFolder: (folder) => set('lastExportFolder', folder),
  };
}

function openStore(options: OpenDesktopStateOptions): ElectronStore<Layout> {
  const create = (): ElectronStore<Layout> =>
    new ElectronStore<Layout>({
      name: APP_STATE_NAME,
      schema: SCHEMA,
      migrations: MIGRATIONS,
      cwd: options.cwd,
    });
  try {
    return create();
  } catch (error) {
    const path = join(options.cwd, `${APP_STATE_NAME}.json`);
    const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      renameSync(path, aside);
    } catch {
      throw error;
    }
    options.logger.warn('app state could not be read: moved aside, starting from defaults', { file: aside, error });
    return create();
  }
}

function roundBounds(bounds: { x: number; y: number; width: number; height: number }) {
  return {
    x: Math.round(bounds.x),
    y: Math.round(bounds.y),
    width: Math.round(bounds.width),
    height: Math.round(bounds.height),
  };
}
