import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Host } from '../../../shared/model/hosts.ts';
import { DEFAULT_LISTEN_PORT, DEFAULT_PAA_TTL_SECONDS, type Settings } from '../../../main/config/schema.ts';
import { SETTINGS_FILE_NAME, SettingsError, SettingsStore } from '../../../main/config/settings-store.ts';
import { createLogger, silentLogger, type Logger } from '../../../main/logging/logger.ts';

const posixOnly = { skip: process.platform === 'win32' ? 'file modes are POSIX' : false };

const DESKTOP: Host = { name: 'desktop', address: '192.168.1.10', port: 3389 };
const LAPTOP: Host = { name: 'laptop', address: '192.168.1.11', port: 3389 };

interface LogRecord {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

function recordingLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => records.push(JSON.parse(line) as LogRecord) });
  return { logger, records };
}

/** Polls `check` until it holds or `timeoutMs` passes (file watching is asynchronous). */
async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const withHost =
  (host: Host) =>
  (settings: Settings): Settings => ({ ...settings, hosts: [...settings.hosts, host] });

describe('SettingsStore', () => {
  let dir: string;
  let file: string;
  const stores: SettingsStore[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-settings-'));
    file = join(dir, SETTINGS_FILE_NAME);
  });

  afterEach(async () => {
    for (const store of stores.splice(0)) store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(logger: Logger = silentLogger): Promise<SettingsStore> {
    const store = await SettingsStore.open(dir, logger);
    stores.push(store);
    return store;
  }

  /** Replaces the settings file the way another process's atomic save does: a sibling file renamed over it. */
  async function writeExternally(content: string): Promise<void> {
    const temp = join(dir, `.external-${Date.now()}.tmp`);
    await writeFile(temp, content, { mode: 0o600 });
    await rename(temp, file);
  }

  async function openRejected(): Promise<SettingsError> {
    let caught: unknown;
    try {
      await open();
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof SettingsError, `expected a SettingsError, got ${String(caught)}`);
    return caught;
  }

  describe('first run and reopening', () => {
    it('creates default settings in a 0600 file on first run', posixOnly, async () => {
      const { logger, records } = recordingLogger();
      const store = await open(logger);
      const settings = store.get();
      assert.equal(store.path, file);
      assert.equal(settings.version, 1);
      assert.match(settings.gatewayId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.deepStrictEqual(settings.hosts, []);
      assert.equal(settings.listen.port, DEFAULT_LISTEN_PORT);
      assert.equal(settings.tokens.paaTtlSeconds, DEFAULT_PAA_TTL_SECONDS);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.deepStrictEqual(JSON.parse(await readFile(file, 'utf8')), settings);
      assert.ok(records.some((r) => r.level === 'info' && r.path === file));
    });

    it('loads the same gatewayId (and everything else) when reopened', async () => {
      const first = (await open()).get();
      const second = (await open()).get();
      assert.equal(second.gatewayId, first.gatewayId);
      assert.deepStrictEqual(second, first);
    });

    it('gives each data directory its own gatewayId', async () => {
      const other = await mkdtemp(join(tmpdir(), 'homegate-settings-other-'));
      try {
        const a = (await open()).get();
        const b = await SettingsStore.open(other, silentLogger);
        assert.notEqual(b.get().gatewayId, a.gatewayId);
        b.close();
      } finally {
        await rm(other, { recursive: true, force: true });
      }
    });

    it('hands out frozen settings', async () => {
      const settings = (await open()).get();
      assert.ok(Object.isFrozen(settings));
      assert.ok(Object.isFrozen(settings.hosts));
      assert.ok(Object.isFrozen(settings.listen));
    });
  });

  describe('update', () => {
    it('validates, saves atomically (0600, replaced by rename, no temp files) and notifies', posixOnly, async () => {
      const store = await open();
      const before = store.get();
      const inodeBefore = (await stat(file)).ino;
      const seen: Array<[Settings, Settings]> = [];
      store.onChange((settings, previous) => seen.push([settings, previous]));

      const saved = await store.update(withHost(DESKTOP));

      assert.deepStrictEqual(saved.hosts, [DESKTOP]);
      assert.equal(saved.gatewayId, before.gatewayId);
      assert.equal(store.get(), saved);
      assert.deepStrictEqual(JSON.parse(await readFile(file, 'utf8')), saved);
      const after = await stat(file);
      assert.equal(after.mode & 0o777, 0o600);
      assert.notEqual(after.ino, inodeBefore, 'a new file was renamed into place, not the old one rewritten');
      assert.deepStrictEqual(await readdir(dir), [SETTINGS_FILE_NAME]);
      assert.deepStrictEqual(seen, [[saved, before]]);
      assert.ok(Object.isFrozen(saved.hosts));

      const reopened = await open();
      assert.deepStrictEqual(reopened.get(), saved);
    });

    it('refuses duplicate host names (in any case) with a message naming the path, and keeps the file', async () => {
      const store = await open();
      await store.update(withHost(DESKTOP));
      const before = await readFile(file);
      const current = store.get();
      let notified = false;
      store.onChange(() => (notified = true));

      await assert.rejects(
        store.update(withHost({ ...LAPTOP, name: 'Desktop' })),
        (error: unknown) =>
          error instanceof SettingsError &&
          error.path === file &&
          error.message.includes('hosts.1.name') &&
          error.message.includes('duplicate host name "Desktop"'),
      );
      assert.deepStrictEqual(await readFile(file), before);
      assert.equal(store.get(), current);
      assert.equal(notified, false);
    });

    it('refuses other invalid settings with the field path', async () => {
      const store = await open();
      await assert.rejects(
        store.update((s) => ({ ...s, listen: { ...s.listen, port: 70000 } })),
        (error: unknown) => error instanceof SettingsError && error.message.includes('listen.port'),
      );
      await assert.rejects(
        store.update(withHost({ name: 'bad name', address: '10.0.0.1', port: 3389 })),
        (error: unknown) => error instanceof SettingsError && error.message.includes('hosts.0.name'),
      );
    });

    it('lands two concurrent updates, in order', async () => {
      const store = await open();
      const [first, second] = await Promise.all([store.update(withHost(DESKTOP)), store.update(withHost(LAPTOP))]);
      assert.deepStrictEqual(first.hosts, [DESKTOP]);
      assert.deepStrictEqual(second.hosts, [DESKTOP, LAPTOP]);
      assert.deepStrictEqual(store.get().hosts, [DESKTOP, LAPTOP]);
      assert.deepStrictEqual((JSON.parse(await readFile(file, 'utf8')) as Settings).hosts, [DESKTOP, LAPTOP]);
    });

    it('carries on after a failed update', async () => {
      const store = await open();
      const failing = store.update(() => {
        throw new Error('change failed');
      });
      const next = store.update(withHost(DESKTOP));
      await assert.rejects(failing, /change failed/);
      assert.deepStrictEqual((await next).hosts, [DESKTOP]);
    });

    it('applies a change to what is on disk now, so an edit by another process is not lost', async () => {
      const store = await open();
      const external = { ...store.get(), hosts: [DESKTOP] };
      await writeExternally(JSON.stringify(external));
      const saved = await store.update(withHost(LAPTOP));
      assert.deepStrictEqual(saved.hosts, [DESKTOP, LAPTOP]);
    });
  });

  describe('a corrupt file', () => {
    const corruptFiles: ReadonlyArray<readonly [string, string, RegExp]> = [
      ['bad JSON', '{ "version": 1, "hosts": [', /not valid JSON/],
      ['JSON that fails the schema', '{ "version": 2, "hosts": "none" }\n', /invalid settings: version/],
      ['an unknown field', JSON.stringify({ surprise: true }), /invalid settings/],
      ['an empty file', '', /not valid JSON/],
    ];
    for (const [label, content, message] of corruptFiles) {
      it(`(${label}) makes open throw SettingsError with a byte-identical backup, leaving the file alone`, async () => {
        await writeFile(file, content, { mode: 0o600 });
        const original = await readFile(file);

        const error = await openRejected();

        assert.equal(error.path, file);
        assert.match(error.message, message);
        assert.ok(error.backupPath !== undefined);
        assert.ok(error.backupPath.startsWith(`${file}.corrupt-`), error.backupPath);
        assert.ok(error.message.includes(error.backupPath), 'the message tells the user where the copy is');
        assert.deepStrictEqual(await readFile(error.backupPath), original);
        assert.deepStrictEqual(await readFile(file), original, 'the original is never replaced');
        assert.equal((await readdir(dir)).length, 2);
      });
    }

    it('refuses a settings file that is far too large, without reading it as settings', async () => {
      await writeFile(file, Buffer.alloc(4 * 1024 * 1024 + 1, 0x20));
      await openRejected();
    });
  });

  describe('watch', () => {
    it('picks up an external edit written by rename and calls onChange', async () => {
      const { logger, records } = recordingLogger();
      const store = await open(logger);
      const before = store.get();
      const changes: Array<[Settings, Settings]> = [];
      store.onChange((settings, previous) => changes.push([settings, previous]));
      store.watch();

      await writeExternally(`${JSON.stringify({ ...before, hosts: [DESKTOP] }, null, 2)}\n`);
      await waitFor('onChange', () => changes.length > 0);

      assert.equal(changes.length, 1);
      assert.deepStrictEqual(changes[0]?.[0].hosts, [DESKTOP]);
      assert.equal(changes[0]?.[1], before);
      assert.deepStrictEqual(store.get().hosts, [DESKTOP]);
      assert.ok(records.some((r) => r.msg === 'settings reloaded'));
    });

    it('keeps the last good settings and logs an error when an external edit is invalid', async () => {
      const { logger, records } = recordingLogger();
      const store = await open(logger);
      const good = store.get();
      let changed = false;
      store.onChange(() => (changed = true));
      store.watch();

      await writeExternally('{ "version": 1, oops');
      await waitFor('an error log line', () => records.some((r) => r.level === 'error'));
      const error = records.find((r) => r.level === 'error');
      assert.equal(error?.path, file);
      assert.match(String(error?.problem), /not valid JSON/);
      assert.equal(store.get(), good);
      assert.equal(changed, false);

      // A later good edit is picked up again.
      await writeExternally(JSON.stringify({ ...good, hosts: [LAPTOP] }));
      await waitFor('the next good edit', () => changed);
      assert.deepStrictEqual(store.get().hosts, [LAPTOP]);
    });

    it('does not notify for its own saves twice, nor after close', async () => {
      const store = await open();
      let changes = 0;
      store.onChange(() => changes++);
      store.watch();
      await store.update(withHost(DESKTOP));
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(changes, 1, 'the watcher sees our own write but the content is unchanged');

      store.close();
      await writeExternally(JSON.stringify({ ...store.get(), hosts: [] }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(changes, 1);
    });
  });
});
