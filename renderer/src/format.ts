/** Pure formatting helpers for what the UI shows: sizes, durations and times. No DOM, no Node. */

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/** `1536` → `1.5 KB`; decimal places only where they carry information. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${Number(value.toFixed(digits))} ${BYTE_UNITS[unit]}`;
}

/** A running clock for a session: `0:42`, `12:05`, `3:07:09`, `2d 4:00:00`. */
export function formatDuration(milliseconds: number): string {
  const total = Math.max(0, Math.floor(milliseconds / 1000));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  const clock = hours > 0 || days > 0 ? `${hours}:${pad(minutes)}:${pad(seconds)}` : `${minutes}:${pad(seconds)}`;
  return days > 0 ? `${days}d ${clock}` : clock;
}

/** A lifetime in words: `90 s`, `15 min`, `8 h`, `1 h 30 min`, `30 days`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours < 48) return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
  const days = Math.round(hours / 24);
  return `${days} days`;
}

const RELATIVE_STEPS: readonly [limitSeconds: number, unit: Intl.RelativeTimeFormatUnit, seconds: number][] = [
  [60, 'second', 1],
  [3600, 'minute', 60],
  [86_400, 'hour', 3600],
  [86_400 * 45, 'day', 86_400],
  [86_400 * 365, 'month', 86_400 * 30],
  [Infinity, 'year', 86_400 * 365],
];

const relativeFormat = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** `in 3 hours`, `5 minutes ago`, `tomorrow`: how far `iso` is from `now`. */
export function formatRelative(iso: string, now: number): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return '—';
  const deltaSeconds = Math.round((time - now) / 1000);
  const magnitude = Math.abs(deltaSeconds);
  // Clocks of the page and the gateway differ by a little; "in 1 second" for something that just happened reads wrong.
  if (magnitude < 10) return 'just now';
  for (const [limit, unit, size] of RELATIVE_STEPS) {
    if (magnitude < limit) return relativeFormat.format(Math.round(deltaSeconds / size), unit);
  }
  return '—';
}

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const secondsFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function formatDateTime(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? '—' : dateTimeFormat.format(time);
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

export function formatDate(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? '—' : dateFormat.format(time);
}

/** A time of day to the minute (`07:49 PM`): what a person reads at a glance. */
export function formatTime(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? '—' : timeFormat.format(Math.round(time / 60_000) * 60_000);
}

/** A time of day to the second, for records such as the audit log where the order within a minute matters. */
export function formatTimeSeconds(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? '—' : secondsFormat.format(time);
}

/** Whole days from `now` until `iso` (negative when past). */
export function daysUntil(iso: string, now: number): number {
  return Math.floor((Date.parse(iso) - now) / 86_400_000);
}

/** Base64 → bytes without Node's Buffer (the renderer has none). */
export function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Bytes → base64 in slices, so a large PFX does not overflow the argument list of `String.fromCharCode`. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  const SLICE = 0x8000;
  for (let i = 0; i < bytes.length; i += SLICE) {
    binary += String.fromCharCode(...bytes.subarray(i, i + SLICE));
  }
  return btoa(binary);
}
