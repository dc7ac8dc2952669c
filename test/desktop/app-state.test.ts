/**
 * The desktop app's own state in electron-store (main/app/app-state.ts), on the electron stand-in (electron-store
 * reads app.getPath and app.getVersion): defaults, the schema on write and on read, the migration from the
 * pre-release layout, and a broken file moved aside. Also the plain helpers the shell uses with it.
 */
import './electron-stand-in/register.ts';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { restorableBounds } from '../../main/config/app-state.ts';
import { createLogger } from '../../main/logging/logger.ts';
import { autostartEntry, isAutostartEnabled, setAutostart } from '../../main/app/autostart.ts';
import {
  createNoticeLimiter,
  refusalFromAttempt,
  refusalNotice,
  MAX_NOTICES_PER_MINUTE,
} from '../../main/app/notifications.ts';
import { makeTempDir } from '../e2e/harness/index.ts';
import { standIn } from './electron-stand-in/main-process.ts';
import { PROJECT_ROOT } from './shell.ts';

const { openDesktopState } = await import('../../main/app/app-state.ts');

function recordingLogger() {
  const lines: { level: string; msg: string }[] = [];
  const logger = createLogger({ write: (line) => void lines.push(JSON.parse(line) as { level: string; msg: string }) });
  return { logger, lines };
}

async function userData(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await makeTempDir('app-state');
  t.after(() => dir.remove());
  standIn.configure({ appPath: PROJECT_ROOT, userData: dir.path });
  return dir.path;
}

describe('app state (electron-store)', () => {
  test('defaults, then what was saved, in app-state.json in userData', async (t) => {
    const cwd = await userData(t);
    const state = openDesktopState({ cwd, logger: recordingLogger().logger });
    assert.deepEqual(state.getWindow(), { bounds: undefined, maximized: false });
    assert.deepEqual(state.getOnboarding(), { completedSteps: [], finished: false });
    assert.deepEqual(state.getTray(), { notifyOnConnection: true, notifyOnRefusal: true });
    assert.equal(state.getLastExportFolder(), undefined);
    state.setWindow({ bounds: { x: 10.4, y: 20, width: 900, height: 700 }, maximized: true });
    state.setOnboarding({ completedSteps: ['host', 'host', 'certificate'], finished: false });
    state.setTray({ notifyOnConnection: false, notifyOnRefusal: true });
    state.setLastExportFolder('/home/me/Desktop');
    const again = openDesktopState({ cwd, logger: recordingLogger().logger });
    assert.deepEqual(again.getWindow(), { bounds: { x: 10, y: 20, width: 900, height: 700 }, maximized: true });
    assert.deepEqual(again.getOnboarding(), { completedSteps: ['host', 'certificate'], finished: false });
    assert.deepEqual(again.getTray(), { notifyOnConnection: false, notifyOnRefusal: true });
    assert.equal(again.getLastExportFolder(), '/home/me/Desktop');
    const file = JSON.parse(await readFile(join(cwd, 'app-state.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(file.tray, { notifyOnConnection: false, notifyOnRefusal: true });
  });

  test('a value outside the schema is not saved: the last good one stays, and the log says so', async (t) => {
    const cwd = await userData(t);
    const { logger, lines } = recordingLogger();
    const state = openDesktopState({ cwd, logger });
    state.setWindow({ bounds: { x: 0, y: 0, width: 800, height: 600 }, maximized: false });
    state.setWindow({ bounds: { x: 0, y: 0, width: 1e9, height: 600 }, maximized: false });
    assert.equal(state.getWindow().bounds?.width, 800);
    state.setLastExportFolder('x'.repeat(5000));
    assert.equal(state.getLastExportFolder(), undefined);
    assert.equal(lines.filter((line) => line.msg === 'app state not saved').length, 2);
  });

  test('the pre-release layout is migrated once', async (t) => {
    const cwd = await userData(t);
    await writeFile(
      join(cwd, 'app-state.json'),
      JSON.stringify({
        windowBounds: { x: 5, y: 6, width: 1000, height: 800 },
        windowMaximized: true,
        notifications: false,
      }),
    );
    const state = openDesktopState({ cwd, logger: recordingLogger().logger });
    assert.deepEqual(state.getWindow(), { bounds: { x: 5, y: 6, width: 1000, height: 800 }, maximized: true });
    assert.deepEqual(state.getTray(), { notifyOnConnection: false, notifyOnRefusal: false });
    const file = JSON.parse(await readFile(join(cwd, 'app-state.json'), 'utf8')) as Record<string, unknown>;
    assert.equal('windowBounds' in file, false);
    assert.equal('notifications' in file, false);
    assert.deepEqual(file.__internal__, { migrations: { version: '0.1.0' } });
  });

  for (const [name, content] of [
    ['is not JSON', '{"window": '],
    ['breaks the schema', JSON.stringify({ window: { maximized: 'yes' } })],
  ] as const) {
    test(`a file that ${name} is moved aside and the app starts from defaults`, async (t) => {
      const cwd = await userData(t);
      await writeFile(join(cwd, 'app-state.json'), content);
      const { logger, lines } = recordingLogger();
      const state = openDesktopState({ cwd, logger });
      assert.deepEqual(state.getWindow(), { bounds: undefined, maximized: false });
      const aside = (await readdir(cwd)).filter((file) => file.startsWith('app-state.json.corrupt-'));
      assert.equal(aside.length, 1);
      // Kept as it was (electron-store may have stamped its migration version into it first).
      const kept = await readFile(join(cwd, aside[0] ?? ''), 'utf8');
      if (kept !== content) {
        assert.deepEqual(
          (JSON.parse(kept) as { window: unknown }).window,
          (JSON.parse(content) as { window: unknown }).window,
        );
      }
      assert.ok(lines.some((line) => line.level === 'warn' && /moved aside/.test(line.msg)));
    });
  }
});

describe('what the shell does with it', () => {
  test('saved bounds are restored when they are on a display, else only the size', () => {
    const screen = [{ x: 0, y: 0, width: 1920, height: 1080 }];
    assert.deepEqual(restorableBounds(undefined, screen), {});
    assert.deepEqual(restorableBounds({ x: 100, y: 50, width: 900, height: 600 }, screen), {
      x: 100,
      y: 50,
      width: 900,
      height: 600,
    });
    // A monitor that was unplugged: the size stays, the OS places the window.
    assert.deepEqual(restorableBounds({ x: 2500, y: 50, width: 900, height: 600 }, screen), {
      width: 900,
      height: 600,
    });
    assert.deepEqual(restorableBounds({ x: 0, y: 0, width: 100, height: 100 }, screen), {
      x: 0,
      y: 0,
      width: 720,
      height: 480,
    });
  });

  test('the XDG autostart entry: quoted Exec with --hidden, written, switched off by removing it', async (t) => {
    const entry = autostartEntry('/opt/Home gate/homegate "x" $HOME 100%');
    assert.match(entry, /^\[Desktop Entry\]\nType=Application\n/);
    assert.ok(entry.includes('Exec="/opt/Home gate/homegate \\"x\\" \\$HOME 100%%" --hidden\n'));
    const dir = await makeTempDir('autostart');
    t.after(() => dir.remove());
    const path = join(dir.path, 'autostart', 'homegate.desktop');
    assert.equal(await isAutostartEnabled(path), false);
    await setAutostart(true, '/usr/bin/homegate', path);
    assert.equal(await isAutostartEnabled(path), true);
    await writeFile(path, `${await readFile(path, 'utf8')}Hidden=true\n`);
    assert.equal(await isAutostartEnabled(path), false);
    await setAutostart(false, '/usr/bin/homegate', path);
    assert.equal(await isAutostartEnabled(path), false);
  });

  test('refusal notices say why, and a flood is summed up', () => {
    const refusal = refusalFromAttempt({
      id: 'a1',
      time: '2026-12-02T10:00:00.000Z',
      stage: 'host',
      code: 'token-other-host',
      cause: 'The token does not name this host.',
      fix: 'Export a new file for desk.',
      client: '198.51.100.7',
      transport: 'websocket',
      host: 'desk',
    });
    assert.deepEqual(refusalNotice(refusal), {
      title: 'Connection refused to desk',
      body: '198.51.100.7: The token does not name this host.',
      target: { view: 'audit', time: '2026-12-02T10:00:00.000Z' },
    });
    let now = 0;
    const limit = createNoticeLimiter(() => now);
    const notice = refusalNotice(refusal);
    const passed = Array.from({ length: MAX_NOTICES_PER_MINUTE + 3 }, () => limit(notice)).filter(Boolean);
    assert.equal(passed.length, MAX_NOTICES_PER_MINUTE);
    now = 60_000;
    assert.equal(limit(notice)?.body, '198.51.100.7: The token does not name this host. (3 more not shown)');
  });
});
