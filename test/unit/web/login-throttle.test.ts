import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LOGIN_FORGET_AFTER_MS,
  LOGIN_FREE_FAILURES,
  LOGIN_MAX_DELAY_MS,
  LoginThrottle,
  MAX_THROTTLED_CLIENTS,
} from '../../../main/web/login-throttle.ts';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let ms = 1_000_000;
  return { now: () => ms, advance: (by) => (ms += by) };
}

describe('login throttle', () => {
  it('lets a few failures through, then makes each try wait twice as long, up to a bounded ceiling', () => {
    const { now, advance } = clock();
    const throttle = new LoginThrottle({ now });
    for (let i = 0; i < LOGIN_FREE_FAILURES - 1; i += 1) {
      throttle.recordFailure('192.0.2.1');
      assert.equal(throttle.retryAfterSeconds('192.0.2.1'), 0);
    }
    const waits: number[] = [];
    for (let i = 0; i < 14; i += 1) {
      throttle.recordFailure('192.0.2.1');
      const wait = throttle.retryAfterSeconds('192.0.2.1');
      waits.push(wait);
      advance(wait * 1000);
      assert.equal(throttle.retryAfterSeconds('192.0.2.1'), 0, 'never locked out: after the wait, one more try');
    }
    assert.deepStrictEqual(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300, 300, 300]);
    assert.equal(Math.max(...waits), LOGIN_MAX_DELAY_MS / 1000);
    assert.equal(throttle.retryAfterSeconds('192.0.2.2'), 0, 'another address is not slowed');
  });

  it('slows a whole IPv6 /64: rotating addresses inside it gains nothing; a mapped IPv4 is its IPv4', () => {
    const throttle = new LoginThrottle({ now: clock().now });
    for (let i = 1; i <= LOGIN_FREE_FAILURES; i += 1) throttle.recordFailure(`2001:db8:5:6::${i.toString(16)}`);
    assert.ok(throttle.retryAfterSeconds('2001:db8:5:6:abcd::99') > 0);
    assert.equal(throttle.retryAfterSeconds('2001:db8:5:7::1'), 0, 'the next /64 is someone else');
    for (let i = 1; i <= LOGIN_FREE_FAILURES; i += 1) throttle.recordFailure('::ffff:192.0.2.50');
    assert.ok(throttle.retryAfterSeconds('192.0.2.50') > 0);
  });

  it('a successful login clears the count; an hour without failures forgets it; memory is bounded', () => {
    const { now, advance } = clock();
    const throttle = new LoginThrottle({ now });
    for (let i = 0; i < LOGIN_FREE_FAILURES; i += 1) throttle.recordFailure('192.0.2.9');
    assert.ok(throttle.retryAfterSeconds('192.0.2.9') > 0);
    throttle.recordSuccess('192.0.2.9');
    assert.equal(throttle.retryAfterSeconds('192.0.2.9'), 0);
    for (let i = 0; i < LOGIN_FREE_FAILURES + 3; i += 1) throttle.recordFailure('192.0.2.9');
    advance(LOGIN_FORGET_AFTER_MS);
    throttle.recordFailure('192.0.2.9');
    assert.equal(throttle.retryAfterSeconds('192.0.2.9'), 0, 'a fresh start after an hour');
    for (let i = 0; i < LOGIN_FREE_FAILURES; i += 1) throttle.recordFailure('198.51.100.1');
    for (let i = 0; i < MAX_THROTTLED_CLIENTS; i += 1) {
      throttle.recordFailure(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    }
    assert.equal(throttle.retryAfterSeconds('198.51.100.1'), 0, 'the least recently failed was forgotten');
  });
});
