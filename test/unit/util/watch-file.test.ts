import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { watchFile, type WatchFileOptions } from '../../../main/util/watch-file.ts';

const ENOSPC = Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' });

async function tempFile(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'homegate-watch-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'watched.json');
  await writeFile(path, '{"v":1}');
  return path;
}

/** Follows `path` until `changed` fires once, after `write` has replaced the file (bounded by the test timeout). */
async function seeChange(t: TestContext, path: string, options: WatchFileOptions): Promise<void> {
  const seen = new Promise<void>((resolve) => {
    const stop = watchFile(path, resolve, { pollIntervalMs: 20, ...options });
    t.after(stop);
  });
  // A change that lands within the same mtime tick as the first stat is still one change: size and inode differ.
  await writeFile(`${path}.tmp`, '{"v":22}');
  await rename(`${path}.tmp`, path);
  // The watcher keeps no process alive (by design); the test does, while it waits.
  const keepAlive = setInterval(() => undefined, 1000);
  await seen.finally(() => clearInterval(keepAlive));
}

describe('watchFile: one hardened watcher for settings, revocation, certificates and the admin password', () => {
  it('sees an atomic replace through fs.watch', { timeout: 10_000 }, async (t) => {
    const path = await tempFile(t);
    const errors: Error[] = [];
    await seeChange(t, path, { onError: (error) => errors.push(error), pollIntervalMs: 60_000 });
    assert.deepStrictEqual(errors, []);
  });

  it('falls back to polling when fs.watch cannot start (ENOSPC), and says so', { timeout: 10_000 }, async (t) => {
    const path = await tempFile(t);
    const errors: Error[] = [];
    const failingWatch = (() => {
      throw ENOSPC;
    }) as unknown as typeof fs.watch;
    await seeChange(t, path, { onError: (error) => errors.push(error), fs: { ...fs, watch: failingWatch } });
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.message ?? '', /polling it instead: ENOSPC/);
  });

  it('falls back to polling when a running fs.watch fails later', { timeout: 10_000 }, async (t) => {
    const path = await tempFile(t);
    const errors: Error[] = [];
    let real: fs.FSWatcher | undefined;
    const laterFailingWatch = ((dir: string, options: fs.WatchOptions) => {
      // The real watcher, which then reports an error as inotify would, and hears nothing more.
      real = fs.watch(dir, options);
      setImmediate(() => real?.emit('error', ENOSPC));
      return real;
    }) as unknown as typeof fs.watch;
    const stop = watchFile(path, () => undefined, {
      onError: (error) => errors.push(error),
      fs: { ...fs, watch: laterFailingWatch },
    });
    t.after(stop);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(errors.length, 1, 'the error was heard, not thrown');
    stop();
    await seeChange(t, path, { fs: { ...fs, watch: laterFailingWatch } });
  });

  it('stopping removes the polling listener', async (t) => {
    const path = await tempFile(t);
    const unwatched: string[] = [];
    const stop = watchFile(path, () => undefined, {
      fs: {
        ...fs,
        watch: (() => {
          throw ENOSPC;
        }) as unknown as typeof fs.watch,
        unwatchFile: ((file: string, listener?: () => void) => {
          unwatched.push(file);
          fs.unwatchFile(file, listener);
        }) as typeof fs.unwatchFile,
      },
    });
    stop();
    assert.deepStrictEqual(unwatched, [path]);
  });
});
