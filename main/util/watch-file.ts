import * as fs from 'node:fs';
import { basename, dirname } from 'node:path';

/** Changes within this window are one change: an editor or an atomic write touches the directory more than once. */
export const CHANGE_DEBOUNCE_MS = 100;
/** How often the polling fall-back stats the file when `fs.watch` cannot be used (inotify limits, some mounts). */
export const POLL_INTERVAL_MS = 1000;

/** Stops following the file. */
export type StopWatching = () => void;

export interface WatchFileOptions {
  /** Hears why the watcher fell back to polling (or why even polling could not start); it never throws. */
  onError?: (error: Error) => void;
  pollIntervalMs?: number;
  /** The fs primitives, replaceable so that a failing `fs.watch` can be exercised. */
  fs?: Pick<typeof fs, 'watch' | 'watchFile' | 'unwatchFile'>;
}

/**
 * Calls `changed` (debounced) whenever `path` is written or replaced, by this process or another. Atomic writes
 * replace the file with a new inode, so the directory is watched, not the file. When `fs.watch` fails to start or
 * fails later (ENOSPC once inotify watches run out), the file is polled with `fs.watchFile` instead. Never throws,
 * and keeps no process alive.
 */
export function watchFile(path: string, changed: () => void, options: WatchFileOptions = {}): StopWatching {
  const primitives = options.fs ?? fs;
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  let watcher: fs.FSWatcher | undefined;
  let polling = false;
  let stopped = false;
  const notify = (): void => {
    clearTimeout(timer);
    timer = setTimeout(changed, CHANGE_DEBOUNCE_MS);
  };
  const onPoll = (current: fs.Stats, previous: fs.Stats): void => {
    if (current.mtimeMs !== previous.mtimeMs || current.ino !== previous.ino || current.size !== previous.size)
      notify();
  };
  const fallBack = (error: Error): void => {
    watcher?.close();
    watcher = undefined;
    if (stopped || polling) return;
    try {
      primitives.watchFile(path, { persistent: false, interval: options.pollIntervalMs ?? POLL_INTERVAL_MS }, onPoll);
      polling = true;
      options.onError?.(new Error(`cannot watch ${path}, polling it instead: ${error.message}`, { cause: error }));
    } catch (pollError) {
      options.onError?.(pollError instanceof Error ? pollError : new Error(String(pollError)));
    }
  };
  try {
    watcher = primitives.watch(dirname(path), { persistent: false }, (_event, fileName) => {
      if (fileName === name) notify();
    });
    watcher.on('error', fallBack);
  } catch (error) {
    fallBack(error instanceof Error ? error : new Error(String(error)));
  }
  return () => {
    stopped = true;
    clearTimeout(timer);
    watcher?.close();
    if (polling) primitives.unwatchFile(path, onPoll);
  };
}
