import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, it, mock } from 'node:test';

import { LimitsSchema } from '../../../../main/config/schema.ts';
import {
  LegacyPairRegistry,
  type PairingLimits,
  type LegacyRole,
  type PendingChannel,
} from '../../../../main/gateway/transport/legacy-pairing.ts';

/** The settings' limits with `change` applied. */
const limits = (change: Partial<PairingLimits> = {}): (() => PairingLimits) => {
  const value = LimitsSchema.parse(change);
  return () => value;
};

const ID = '{3f2504e0-4f89-11d3-9a0c-0305e82c3301}';
const OTHER_ID = '{7c9e6679-7425-40de-944b-e07fc1f90ae7}';

/** A channel on an in-memory stream standing in for its socket (destroy → 'close', as a socket does). */
function channel(role: LegacyRole, id = ID, clientAddress = '192.0.2.1'): PendingChannel & { stream: PassThrough } {
  const stream = new PassThrough();
  return { role, id, clientAddress, socket: stream as unknown as Socket, stream };
}

/** Destroys the stream and waits for its 'close' (emitted a tick later, as a socket's is). */
const destroyAndWait = (stream: PassThrough): Promise<void> =>
  new Promise((resolve) => {
    stream.once('close', () => resolve());
    stream.destroy();
  });

describe('LegacyPairRegistry', () => {
  it('pairs OUT then IN with the same id and client; a live tunnel does not block its id (reuse)', () => {
    const registry = new LegacyPairRegistry(limits());
    const out = channel('out');
    const input = channel('in');
    assert.deepEqual(registry.offer(out), { outcome: 'waiting' });
    assert.equal(registry.pendingCount, 1);
    const result = registry.offer(input);
    assert.equal(result.outcome, 'paired');
    if (result.outcome !== 'paired') return;
    assert.equal(result.out, out);
    assert.equal(result.in, input);
    assert.equal(registry.pendingCount, 0);
    // FreeRDP 3 has sent one id for all its tunnels: the next pair with it pairs on its own.
    const nextOut = channel('out');
    assert.deepEqual(registry.offer(nextOut), { outcome: 'waiting' });
    const next = registry.offer(channel('in'));
    assert.equal(next.outcome === 'paired' && next.out, nextOut);
    registry.close();
  });

  it('pairs IN then OUT as well', () => {
    const registry = new LegacyPairRegistry(limits());
    const input = channel('in');
    assert.equal(registry.offer(input).outcome, 'waiting');
    const result = registry.offer(channel('out'));
    assert.equal(result.outcome, 'paired');
    assert.equal(result.outcome === 'paired' && result.in, input);
  });

  it('refuses a second channel of the same role for a waiting id (409)', () => {
    const registry = new LegacyPairRegistry(limits());
    registry.offer(channel('out'));
    assert.deepEqual(registry.offer(channel('out')), {
      outcome: 'refused',
      refusal: { status: 409, reason: 'duplicate-channel' },
    });
    assert.deepEqual(registry.check('out', ID, '192.0.2.1'), { status: 409, reason: 'duplicate-channel' });
    registry.close();
  });

  it('never pairs channels of different clients: each client with the same id gets its own pair', () => {
    const registry = new LegacyPairRegistry(limits());
    const outA = channel('out');
    const outB = channel('out', ID, '198.51.100.9');
    assert.equal(registry.offer(outA).outcome, 'waiting');
    assert.equal(registry.offer(outB).outcome, 'waiting', 'another client may use the same id: no 409, no 403');
    // A third client's IN does not attach to either waiting OUT: it waits for an OUT of its own.
    assert.equal(registry.offer(channel('in', ID, '203.0.113.7')).outcome, 'waiting');
    const pairB = registry.offer(channel('in', ID, '198.51.100.9'));
    assert.equal(pairB.outcome === 'paired' && pairB.out, outB);
    const pairA = registry.offer(channel('in'));
    assert.equal(pairA.outcome === 'paired' && pairA.out, outA);
    assert.equal(registry.pendingCount, 1, "only the third client's IN still waits");
    registry.close();
  });

  it('channels with different ids never pair', () => {
    const registry = new LegacyPairRegistry(limits());
    assert.equal(registry.offer(channel('out', ID)).outcome, 'waiting');
    assert.equal(registry.offer(channel('in', OTHER_ID)).outcome, 'waiting');
    assert.equal(registry.pendingCount, 2);
    registry.close();
    assert.equal(registry.pendingCount, 0);
  });

  it("caps pending pairs per client (503) and, when full overall, drops the heaviest client's oldest", () => {
    const expired: PendingChannel[] = [];
    const registry = new LegacyPairRegistry(
      limits({ maxHalfOpenLegacyPairs: 3, maxHalfOpenLegacyPairsPerAddress: 2 }),
      (lost) => expired.push(lost),
    );
    const id = (n: number): string => `{00000000-0000-0000-0000-${String(n).padStart(12, '0')}}`;
    const first = channel('out', id(1), '192.0.2.1');
    assert.equal(registry.offer(first).outcome, 'waiting');
    assert.equal(registry.offer(channel('out', id(2), '192.0.2.1')).outcome, 'waiting');
    assert.deepEqual(registry.offer(channel('out', id(3), '192.0.2.1')), {
      outcome: 'refused',
      refusal: { status: 503, reason: 'too-many-pending' },
    });
    assert.equal(registry.offer(channel('out', id(4), '192.0.2.2')).outcome, 'waiting');
    // Full: a third client takes the oldest place of the client holding two.
    assert.equal(registry.offer(channel('out', id(5), '192.0.2.3')).outcome, 'waiting');
    assert.deepEqual(expired, [first]);
    assert.equal(first.stream.destroyed, true);
    assert.equal(registry.pendingCount, 3);
    // Each client holds one now: the first client's late partner would wait alone and finds no place; its second
    // pair still completes.
    assert.equal(registry.offer(channel('in', id(1), '192.0.2.1')).outcome, 'refused');
    assert.equal(registry.offer(channel('in', id(2), '192.0.2.1')).outcome, 'paired');
    registry.close();
  });

  it('a waiting channel that closes frees its slot at once', async () => {
    const registry = new LegacyPairRegistry(limits({ maxHalfOpenLegacyPairsPerAddress: 1 }));
    const out = channel('out');
    registry.offer(out);
    await destroyAndWait(out.stream);
    assert.equal(registry.pendingCount, 0);
    assert.equal(registry.offer(channel('out')).outcome, 'waiting');
    registry.close();
  });

  it('a channel whose partner does not come within the timeout (legacyPairSeconds) is dropped', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const expired: PendingChannel[] = [];
      const registry = new LegacyPairRegistry(limits({ legacyPairSeconds: 1 }), (lost) => expired.push(lost));
      const out = channel('out');
      registry.offer(out);
      mock.timers.tick(999);
      assert.equal(registry.pendingCount, 1);
      mock.timers.tick(1);
      assert.equal(registry.pendingCount, 0);
      assert.deepEqual(expired, [out]);
      assert.equal(out.stream.destroyed, true);
      // The id is free again.
      assert.equal(registry.offer(channel('out')).outcome, 'waiting');
      registry.close();
    } finally {
      mock.timers.reset();
    }
  });

  it('close() drops every waiting channel', () => {
    const registry = new LegacyPairRegistry(limits());
    const out = channel('out');
    const input = channel('in', OTHER_ID);
    registry.offer(out);
    registry.offer(input);
    registry.close();
    assert.equal(out.stream.destroyed, true);
    assert.equal(input.stream.destroyed, true);
    assert.equal(registry.pendingCount, 0);
  });
});
