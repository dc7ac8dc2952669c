import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { DEFAULT_MAX_REUSES, DEFAULT_REUSE_WINDOW_SECONDS, ReplayCache } from '../../../main/security/replay-cache.ts';
import { TOKEN_CLOCK_LEEWAY_SECONDS } from '../../../main/security/tokens.ts';

const T0 = new Date('2030-01-02T03:04:05Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);
const EXP = Math.floor(T0.getTime() / 1000) + 900;

function cache(window = DEFAULT_REUSE_WINDOW_SECONDS, maxReuses = DEFAULT_MAX_REUSES, maxTracked?: number) {
  return new ReplayCache({
    reuseWindowSeconds: () => window,
    maxReuses: () => maxReuses,
    ...(maxTracked === undefined ? {} : { maxTracked }),
  });
}

describe('ReplayCache (single-use tokens with an RDP reconnection window)', () => {
  it('allows the first use of a token', () => {
    assert.equal(cache().use(randomUUID(), '192.0.2.1', EXP, T0), undefined);
  });

  it('allows reuse from the same address inside the window, up to the count, then refuses', () => {
    const replay = cache(10, 3);
    const jti = randomUUID();
    assert.equal(replay.use(jti, '192.0.2.1', EXP, T0), undefined);
    for (let i = 1; i <= 3; i += 1) assert.equal(replay.use(jti, '192.0.2.1', EXP, at(i * 1000)), undefined);
    assert.match(replay.use(jti, '192.0.2.1', EXP, at(4000)) ?? '', /more than 3 reconnections/);
  });

  it('refuses reuse after the window (measured from the first use), at the boundary exactly', () => {
    const replay = cache(10, 10);
    const jti = randomUUID();
    replay.use(jti, '192.0.2.1', EXP, T0);
    assert.equal(replay.use(jti, '192.0.2.1', EXP, at(10_000)), undefined);
    assert.match(replay.use(jti, '192.0.2.1', EXP, at(10_001)) ?? '', /window is over/);
  });

  it('refuses reuse from another address at once, even inside the window (a stolen token)', () => {
    const replay = cache();
    const jti = randomUUID();
    replay.use(jti, '192.0.2.1', EXP, T0);
    assert.match(replay.use(jti, '198.51.100.7', EXP, at(1)) ?? '', /another client address/);
  });

  it('treats an IPv4-mapped IPv6 address as the IPv4 address, and jti case-insensitively', () => {
    const replay = cache();
    const jti = randomUUID();
    replay.use(jti, '::ffff:192.0.2.1', EXP, T0);
    assert.equal(replay.use(jti.toUpperCase(), '192.0.2.1', EXP, at(1)), undefined);
  });

  it('with a window of 0, makes tokens strictly single-use', () => {
    const replay = cache(0, 10);
    const jti = randomUUID();
    replay.use(jti, '192.0.2.1', EXP, T0);
    assert.ok(replay.use(jti, '192.0.2.1', EXP, at(1)));
  });

  it('reads the window and count at each use (a settings change applies at once)', () => {
    let window = 10;
    const replay = new ReplayCache({ reuseWindowSeconds: () => window, maxReuses: () => 10 });
    const jti = randomUUID();
    replay.use(jti, '192.0.2.1', EXP, T0);
    window = 1;
    assert.ok(replay.use(jti, '192.0.2.1', EXP, at(5000)));
  });

  it('forgets tokens once they expire (plus leeway), and keeps others', () => {
    const replay = cache();
    const shortExp = Math.floor(T0.getTime() / 1000) + 60;
    replay.use(randomUUID(), '192.0.2.1', shortExp, T0);
    replay.use(randomUUID(), '192.0.2.1', EXP, T0);
    assert.equal(replay.size, 2);
    // The sweep runs at most once a minute; well past the short token's expiry it is gone.
    replay.use(randomUUID(), '192.0.2.1', EXP, at((60 + TOKEN_CLOCK_LEEWAY_SECONDS + 120) * 1000));
    assert.equal(replay.size, 2);
  });

  it('when full, refuses new tokens rather than forgetting live ones (which would allow their replay)', () => {
    const replay = cache(10, 10, 2);
    const first = randomUUID();
    replay.use(first, '192.0.2.1', EXP, T0);
    replay.use(randomUUID(), '192.0.2.1', EXP, T0);
    assert.match(replay.use(randomUUID(), '192.0.2.1', EXP, at(1)) ?? '', /too many tokens/);
    // The remembered ones still count as used.
    assert.ok(replay.use(first, '198.51.100.7', EXP, at(2)));
  });
});
