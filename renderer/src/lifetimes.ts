import { formatSeconds } from './format.ts';

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Lifetimes offered for short-lived tokens and .rdp files (the contract allows a day at most for files). */
export const SHORT_LIFETIMES_SECONDS = [5 * MINUTE, 15 * MINUTE, HOUR, 8 * HOUR, DAY] as const;

/** Lifetimes offered for per-device tokens (the contract allows 90 days at most). */
export const DEVICE_LIFETIMES_SECONDS = [7 * DAY, 30 * DAY, 90 * DAY] as const;

export interface LifetimeOption {
  readonly seconds: number;
  readonly label: string;
}

/** The preset list, plus the configured default when it is not one of them (it is then marked as the default). */
export function lifetimeOptions(presets: readonly number[], defaultSeconds: number | undefined): LifetimeOption[] {
  const seconds = new Set(presets);
  if (defaultSeconds !== undefined) seconds.add(defaultSeconds);
  return [...seconds]
    .sort((a, b) => a - b)
    .map((value) => ({
      seconds: value,
      label: value === defaultSeconds ? `${formatSeconds(value)} (default)` : formatSeconds(value),
    }));
}
