import type { Socket } from 'node:net';

/**
 * After one side has closed, how long the other may take to flush what it was sent before it is destroyed.
 * Bounds a peer that stops reading after its partner left.
 */
export const PIPE_LINGER_MS = 5_000;

export type PipeEndReason = 'client-closed' | 'target-closed' | 'client-error' | 'target-error';

export interface PipeOutcome {
  readonly reason: PipeEndReason;
  readonly error?: Error;
}

export interface PipeCounters {
  readonly toTarget: (bytes: number) => void;
  readonly toClient: (bytes: number) => void;
}

export interface BytePipe {
  /** Settles once both sockets are closed, with whichever side ended first. */
  readonly done: Promise<PipeOutcome>;
  /** Ends both sides at once (admin disconnect, revocation, shutdown). */
  destroy(): void;
}

/**
 * Relays bytes between a client socket and a target socket, counting them, with backpressure both ways: a side
 * whose write buffer is full pauses the other side's reads until it drains, so memory per connection stays
 * bounded whichever peer is slow. When one side ends, the other is ended after its pending bytes (bounded by
 * PIPE_LINGER_MS); an error on either side destroys both.
 */
export function pipeSockets(client: Socket, target: Socket, counters: PipeCounters): BytePipe {
  let first: PipeOutcome | undefined;
  let lingerTimer: NodeJS.Timeout | undefined;
  let resolveDone: (outcome: PipeOutcome) => void = () => undefined;
  const done = new Promise<PipeOutcome>((resolve) => (resolveDone = resolve));

  const note = (outcome: PipeOutcome): void => {
    first ??= outcome;
  };

  const forward = (from: Socket, to: Socket, count: (bytes: number) => void) => (chunk: Buffer) => {
    count(chunk.length);
    if (!to.write(chunk)) from.pause();
  };
  client.on('data', forward(client, target, counters.toTarget));
  target.on('data', forward(target, client, counters.toClient));
  target.on('drain', () => client.resume());
  client.on('drain', () => target.resume());

  const ended = (from: Socket, to: Socket, reason: PipeEndReason) => () => {
    note({ reason });
    to.end();
    lingerTimer ??= setTimeout(() => to.destroy(), PIPE_LINGER_MS);
    lingerTimer.unref();
    // This side will not be read again; make sure a paused partner does not wait for a drain that never comes.
    from.resume();
  };
  client.on('end', ended(client, target, 'client-closed'));
  target.on('end', ended(target, client, 'target-closed'));

  const failed = (reason: PipeEndReason) => (error: Error) => {
    note({ reason, error });
    client.destroy();
    target.destroy();
  };
  client.on('error', failed('client-error'));
  target.on('error', failed('target-error'));

  let closed = 0;
  const onClose = (reason: PipeEndReason, other: Socket) => () => {
    note({ reason });
    if (!other.destroyed) {
      other.end();
      lingerTimer ??= setTimeout(() => other.destroy(), PIPE_LINGER_MS);
      lingerTimer.unref();
    }
    closed += 1;
    if (closed === 2) {
      clearTimeout(lingerTimer);
      resolveDone(first ?? { reason });
    }
  };
  client.once('close', onClose('client-closed', target));
  target.once('close', onClose('target-closed', client));

  return {
    done,
    destroy: () => {
      client.destroy();
      target.destroy();
    },
  };
}
