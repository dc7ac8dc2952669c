import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  base64ToBytes,
  bytesToBase64,
  daysUntil,
  formatBytes,
  formatDuration,
  formatRelative,
  formatSeconds,
} from '../../renderer/src/format.ts';
import { lifetimeOptions, SHORT_LIFETIMES_SECONDS } from '../../renderer/src/lifetimes.ts';

describe('renderer formatting', () => {
  it('formats byte counts for people', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(10 * 1024 * 1024 + 300_000), '10.3 MB');
    assert.equal(formatBytes(187_432_112), '179 MB');
    assert.equal(formatBytes(-1), '—');
  });

  it('formats a running session clock', () => {
    assert.equal(formatDuration(42_000), '0:42');
    assert.equal(formatDuration(12 * 60_000 + 5000), '12:05');
    assert.equal(formatDuration(3_725_000), '1:02:05');
    assert.equal(formatDuration(2 * 86_400_000 + 4 * 3_600_000), '2d 4:00:00');
    assert.equal(formatDuration(-5), '0:00');
  });

  it('formats lifetimes and lists the configured default among the presets', () => {
    assert.equal(formatSeconds(45), '45 s');
    assert.equal(formatSeconds(900), '15 min');
    assert.equal(formatSeconds(5400), '1 h 30 min');
    assert.equal(formatSeconds(30 * 86_400), '30 days');
    const options = lifetimeOptions(SHORT_LIFETIMES_SECONDS, 1200);
    assert.deepEqual(
      options.map((o) => o.label),
      ['5 min', '15 min', '20 min (default)', '1 h', '8 h', '24 h'],
    );
    assert.equal(lifetimeOptions(SHORT_LIFETIMES_SECONDS, 900).length, SHORT_LIFETIMES_SECONDS.length);
  });

  it('says how far away a time is', () => {
    const now = Date.parse('2030-01-01T12:00:00.000Z');
    assert.equal(formatRelative('2030-01-01T12:05:00.000Z', now), 'in 5 minutes');
    assert.equal(formatRelative('2030-01-01T09:00:00.000Z', now), '3 hours ago');
    assert.equal(formatRelative('garbage', now), '—');
    assert.equal(formatRelative('2030-01-01T12:00:03.000Z', now), 'just now');
    assert.equal(daysUntil('2030-01-31T12:00:00.000Z', now), 30);
  });

  it('round-trips base64 without Buffer, across the slice size', () => {
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 7) % 256);
    const base64 = bytesToBase64(bytes);
    assert.equal(base64, Buffer.from(bytes).toString('base64'));
    assert.deepEqual(base64ToBytes(base64), bytes);
  });
});
