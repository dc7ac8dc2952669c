import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, it, mock } from 'node:test';

import {
  LEGACY_PAIR_TIMEOUT_MS,
  LegacyPairRegistry,
  type LegacyRole,
  type PendingChannel,
} from '../../../../main/gateway/transport/legacy-pairing.ts';

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
  it('pairs OUT then IN with the same id and client, and frees the id on release', () => {
    const registry = new LegacyPairRegistry();
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
    assert.equal(registry.activeCount, 1);
    // While the tunnel lives, its id is taken.
    assert.deepEqual(registry.offer(channel('out')), {
      outcome: 'refused',
      refusal: { status: 409, reason: 'id-in-use' },
    });
    result.release();
    result.release();
    assert.equal(registry.activeCount, 0);
    assert.deepEqual(registry.offer(channel('out')), { outcome: 'waiting' });
    registry.close();
  });

  it('pairs IN then OUT as well', () => {
    const registry = new LegacyPairRegistry();
    const input = channel('in');
    assert.equal(registry.offer(input).outcome, 'waiting');
    const result = registry.offer(channel('out'));
    assert.equal(result.outcome, 'paired');
    assert.equal(result.outcome === 'paired' && result.in, input);
  });

  it('refuses a second channel of the same role for a waiting id (409)', () => {
    const registry = new LegacyPairRegistry();
    registry.offer(channel('out'));
    assert.deepEqual(registry.offer(channel('out')), {
      outcome: 'refused',
      refusal: { status: 409, reason: 'duplicate-channel' },
    });
    assert.deepEqual(registry.check('out', ID, '192.0.2.1'), { status: 409, reason: 'duplicate-channel' });
    registry.close();
  });

  it('refuses a partner from another client address (403), and the waiting channel keeps its slot', () => {
    const registry = new LegacyPairRegistry();
    const out = channel('out');
    registry.offer(out);
    assert.deepEqual(registry.offer(channel('in', ID, '198.51.100.9')), {
      outcome: 'refused',
      refusal: { status: 403, reason: 'other-client' },
    });
    assert.equal(registry.offer(channel('in')).outcome, 'paired');
  });

  it('channels with different ids never pair', () => {
    const registry = new LegacyPairRegistry();
    assert.equal(registry.offer(channel('out', ID)).outcome, 'waiting');
    assert.equal(registry.offer(channel('in', OTHER_ID)).outcome, 'waiting');
    assert.equal(registry.pendingCount, 2);
    registry.close();
    assert.equal(registry.pendingCount, 0);
  });

  it('caps pending pairs overall and per client (503)', () => {
    const registry = new LegacyPairRegistry({ maxPendingPairs: 3, maxPendingPairsPerClient: 2 });
    const id = (n: number): string => `{00000000-0000-0000-0000-${String(n).padStart(12, '0')}}`;
    assert.equal(registry.offer(channel('out', id(1), '192.0.2.1')).outcome, 'waiting');
    assert.equal(registry.offer(channel('out', id(2), '192.0.2.1')).outcome, 'waiting');
    assert.deepEqual(registry.offer(channel('out', id(3), '192.0.2.1')), {
      outcome: 'refused',
      refusal: { status: 503, reason: 'too-many-pending' },
    });
    assert.equal(registry.offer(channel('out', id(4), '192.0.2.2')).outcome, 'waiting');
    assert.equal(registry.offer(channel('out', id(5), '192.0.2.3')).outcome, 'refused');
    // Completing a pair frees its slot, even at the cap.
    assert.equal(registry.offer(channel('in', id(1), '192.0.2.1')).outcome, 'paired');
    assert.equal(registry.offer(channel('out', id(6), '192.0.2.3')).outcome, 'waiting');
    registry.close();
  });

  it('a waiting channel that closes frees its slot at once', async () => {
    const registry = new LegacyPairRegistry({ maxPendingPairsPerClient: 1 });
    const out = channel('out');
    registry.offer(out);
    await destroyAndWait(out.stream);
    assert.equal(registry.pendingCount, 0);
    assert.equal(registry.offer(channel('out')).outcome, 'waiting');
    registry.close();
  });

  it(`a channel whose partner does not come within the timeout (${LEGACY_PAIR_TIMEOUT_MS} ms by default) is dropped`, () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const expired: PendingChannel[] = [];
      const registry = new LegacyPairRegistry({ pairTimeoutMs: 1_000 }, (lost) => expired.push(lost));
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
    const registry = new LegacyPairRegistry();
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
