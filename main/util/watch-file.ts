import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Changes within this window are one change: an editor or an atomic write touches the directory more than once. */
const CHANGE_DEBOUNCE_MS = 100;

/** Stops following the file. */
export type StopWatching = () => void;

/**
 * Calls `changed` (debounced) whenever `path` is written or replaced, by this process or another. Atomic writes
 * replace the file with a new inode, so the directory is watched, not the file. The watcher keeps no process alive.
 * `onError` hears the watcher's later failures (a failure to start throws).
 */
export function watchFile(path: string, changed: () => void, onError?: (error: Error) => void): StopWatching {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dirname(path), { persistent: false }, (_event, fileName) => {
    if (fileName !== name) return;
    clearTimeout(timer);
    timer = setTimeout(changed, CHANGE_DEBOUNCE_MS);
  });
  if (onError) watcher.on('error', onError);
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
