/**
 * The `lifecycle` section of settings.json: files written before it existed still load with its defaults, partial
 * sections are completed, bad values are refused with the field named, and the values reach a tunnel in the units
 * it takes (`tunnelLifecycle`).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  LifecycleSchema,
  MAX_GATEWAY_MESSAGE_CHARS,
  SettingsFileSchema,
  defaultLifecycleSettings,
  defaultSettings,
  describeIssues,
} from '../../../main/config/schema.ts';
import { SETTINGS_FILE_NAME, SettingsError, SettingsStore } from '../../../main/config/settings-store.ts';
import { DEFAULT_TUNNEL_LIFECYCLE, lifecycleTickMs } from '../../../main/gateway/tunnel.ts';
import { silentLogger } from '../../../main/logging/logger.ts';
import { tunnelLifecycle } from '../../../main/service.ts';

/** A settings file as an older version wrote it: no `lifecycle` key at all. */
function olderFile(): Record<string, unknown> {
  const older: Record<string, unknown> = { ...defaultSettings() };
  delete older.lifecycle;
  return older;
}

describe('settings: lifecycle', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-lifecycle-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('defaults: setup 30 s, keepalive 30 s, no idle timeout, a day of lifetime, tokens checked at connect', () => {
    assert.deepStrictEqual(defaultLifecycleSettings(), {
      setupTimeoutSeconds: 30,
      keepaliveSeconds: 30,
      idleTimeoutMinutes: 0,
      maxSessionMinutes: 24 * 60,
      endSessionsAtTokenExpiry: false,
      consentMessage: '',
      serviceMessage: '',
    });
  });

  it('loads a settings file written before `lifecycle` existed, with the defaults', async () => {
    await writeFile(join(dir, SETTINGS_FILE_NAME), JSON.stringify(olderFile(), null, 2));
    const store = await SettingsStore.open(dir, silentLogger);
    try {
      assert.deepStrictEqual(store.get().lifecycle, defaultLifecycleSettings());
    } finally {
      store.close();
    }
  });

  it('completes a partial section and keeps fractional minutes', () => {
    const settings = SettingsFileSchema.parse({ ...olderFile(), lifecycle: { idleTimeoutMinutes: 0.5 } });
    assert.deepStrictEqual(settings.lifecycle, { ...defaultLifecycleSettings(), idleTimeoutMinutes: 0.5 });
  });

  const refusals: ReadonlyArray<readonly [string, Record<string, unknown>, RegExp]> = [
    ['a misspelt key', { idleTimeoutMinute: 5 }, /Unrecognized key/],
    ['a negative idle timeout', { idleTimeoutMinutes: -1 }, /lifecycle\.idleTimeoutMinutes/],
    ['a lifetime over a week', { maxSessionMinutes: 7 * 24 * 60 + 1 }, /lifecycle\.maxSessionMinutes/],
    ['a keepalive under a second', { keepaliveSeconds: 0.5 }, /lifecycle\.keepaliveSeconds/],
    ['a setup timeout of 0', { setupTimeoutSeconds: 0 }, /lifecycle\.setupTimeoutSeconds/],
    ['a non-boolean expiry policy', { endSessionsAtTokenExpiry: 'yes' }, /lifecycle\.endSessionsAtTokenExpiry/],
    [
      'an overlong service message',
      { serviceMessage: 'x'.repeat(MAX_GATEWAY_MESSAGE_CHARS + 1) },
      /lifecycle\.serviceMessage/,
    ],
    ['a consent message with a NUL', { consentMessage: 'a\0b' }, /lifecycle\.consentMessage: contains a NUL/],
    ['a service message with a lone surrogate', { serviceMessage: 'a\ud800b' }, /lifecycle\.serviceMessage/],
  ];
  for (const [label, lifecycle, message] of refusals) {
    it(`refuses ${label}, naming the field`, () => {
      const result = SettingsFileSchema.safeParse({ ...olderFile(), lifecycle });
      if (result.success) assert.fail('accepted');
      assert.match(describeIssues(result.error), message);
    });
  }

  it('accepts a message of exactly the limit, with emoji and line breaks', () => {
    const text = `${'😀'.repeat(10)}\n${'é'.repeat(MAX_GATEWAY_MESSAGE_CHARS - 21)}`;
    assert.equal(text.length, MAX_GATEWAY_MESSAGE_CHARS);
    assert.equal(LifecycleSchema.parse({ serviceMessage: text }).serviceMessage, text);
  });

  it('a running store refuses an invalid lifecycle update and keeps the last good settings', async () => {
    const store = await SettingsStore.open(dir, silentLogger);
    try {
      await assert.rejects(
        store.update((s) => ({ ...s, lifecycle: { ...s.lifecycle, idleTimeoutMinutes: -5 } })),
        SettingsError,
      );
      assert.equal(store.get().lifecycle.idleTimeoutMinutes, 0);
    } finally {
      store.close();
    }
  });
});

describe('tunnelLifecycle: settings → what a tunnel takes', () => {
  it('converts minutes and seconds to milliseconds and passes the policy and messages through', () => {
    assert.deepStrictEqual(
      tunnelLifecycle({
        setupTimeoutSeconds: 5,
        keepaliveSeconds: 20,
        idleTimeoutMinutes: 0.5,
        maxSessionMinutes: 60,
        endSessionsAtTokenExpiry: true,
        consentMessage: 'c',
        serviceMessage: 's',
      }),
      {
        setupTimeoutMs: 5_000,
        keepaliveIntervalMs: 20_000,
        idleTimeoutMs: 30_000,
        maxSessionMs: 3_600_000,
        endAtTokenExpiry: true,
        consentMessage: 'c',
        serviceMessage: 's',
      },
    );
  });

  it('the default settings give the default tunnel lifecycle, apart from the one-day lifetime', () => {
    assert.deepStrictEqual(tunnelLifecycle(defaultLifecycleSettings()), {
      ...DEFAULT_TUNNEL_LIFECYCLE,
      maxSessionMs: 24 * 3_600_000,
    });
  });

  it('checks once a second, or at a quarter of a shorter limit (at least every 20 ms)', () => {
    assert.equal(lifecycleTickMs(DEFAULT_TUNNEL_LIFECYCLE), 1_000);
    assert.equal(lifecycleTickMs({ ...DEFAULT_TUNNEL_LIFECYCLE, idleTimeoutMs: 600 }), 150);
    assert.equal(lifecycleTickMs({ ...DEFAULT_TUNNEL_LIFECYCLE, keepaliveIntervalMs: 0, maxSessionMs: 10 }), 20);
    assert.equal(lifecycleTickMs({ ...DEFAULT_TUNNEL_LIFECYCLE, keepaliveIntervalMs: 0 }), 1_000);
  });
});
