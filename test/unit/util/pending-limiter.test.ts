import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PendingLimiter, type PendingSlot } from '../../../main/util/pending-limiter.ts';

/** Admits a connection from `address`, recording its eviction in `evicted`. */
function admit(limiter: PendingLimiter, address: string, evicted: string[], label = address): PendingSlot | undefined {
  return limiter.admit(address, () => evicted.push(label));
}

describe('PendingLimiter: places for connections that have proven nothing yet', () => {
  it('refuses an address over its own cap, and admits it again once a place is released', () => {
    const limiter = new PendingLimiter(() => ({ max: 100, maxPerAddress: 2 }));
    const evicted: string[] = [];
    const first = admit(limiter, '192.0.2.1', evicted);
    assert.ok(first);
    assert.ok(admit(limiter, '192.0.2.1', evicted));
    assert.equal(admit(limiter, '192.0.2.1', evicted), undefined);
    assert.ok(admit(limiter, '192.0.2.2', evicted), 'another address is not affected');
    first.release();
    first.release();
    assert.equal(limiter.size, 2);
    assert.ok(admit(limiter, '192.0.2.1', evicted));
    assert.deepEqual(evicted, []);
  });

  it('counts IPv6 per /64: rotating addresses inside it gains nothing', () => {
    const limiter = new PendingLimiter(() => ({ max: 100, maxPerAddress: 3 }));
    const evicted: string[] = [];
    const admitted = Array.from({ length: 10 }, (_, i) => admit(limiter, `2001:db8:0:1::${i + 1}`, evicted));
    assert.equal(admitted.filter(Boolean).length, 3);
    assert.ok(admit(limiter, '2001:db8:0:2::1', evicted), 'the next /64 has its own places');
  });

  it('when full, a newcomer takes the oldest place of the heaviest address; the heaviest itself is refused', () => {
    const limiter = new PendingLimiter(() => ({ max: 4, maxPerAddress: 3 }));
    const evicted: string[] = [];
    admit(limiter, '192.0.2.1', evicted, 'a1');
    admit(limiter, '192.0.2.1', evicted, 'a2');
    admit(limiter, '192.0.2.1', evicted, 'a3');
    admit(limiter, '192.0.2.2', evicted, 'b1');
    assert.equal(limiter.size, 4);
    assert.ok(admit(limiter, '198.51.100.9', evicted, 'legit'));
    assert.deepEqual(evicted, ['a1']);
    assert.equal(limiter.size, 4);
    // Now 192.0.2.1 holds 2, the others 1: each of them is refused rather than evicting a lighter address.
    assert.equal(admit(limiter, '192.0.2.1', evicted), undefined);
    assert.ok(admit(limiter, '192.0.2.3', evicted, 'c1'));
    assert.deepEqual(evicted, ['a1', 'a2']);
    // Every address holds one place now: a newcomer takes the oldest of them, whoever holds it.
    assert.ok(admit(limiter, '192.0.2.4', evicted, 'd1'));
    assert.deepEqual(evicted, ['a1', 'a2', 'a3']);
    assert.equal(limiter.size, 4);
  });

  it('reads its caps at each admission', () => {
    let caps = { max: 10, maxPerAddress: 1 };
    const limiter = new PendingLimiter(() => caps);
    const evicted: string[] = [];
    assert.ok(admit(limiter, '192.0.2.1', evicted));
    assert.equal(admit(limiter, '192.0.2.1', evicted), undefined);
    caps = { max: 10, maxPerAddress: 2 };
    assert.ok(admit(limiter, '192.0.2.1', evicted));
  });
});
