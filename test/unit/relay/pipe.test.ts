import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { pipeSockets, type PipeCounters } from '../../../main/relay/pipe.ts';
import { within } from '../../helpers/wait.ts';

/** Two connected loopback sockets: [the dialling end, the accepted end]. */
async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const dialled = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve) => dialled.once('connect', resolve));
  const other = await accepted;
  server.close();
  return [dialled, other];
}

interface Rig {
  /** The RDP client's socket. */
  user: Socket;
  /** The RDP host's socket. */
  host: Socket;
  relayClient: Socket;
  relayTarget: Socket;
  counted: { toTarget: number; toClient: number };
  counters: PipeCounters;
}

async function rig(): Promise<Rig> {
  const [user, relayClient] = await socketPair();
  const [relayTarget, host] = await socketPair();
  const counted = { toTarget: 0, toClient: 0 };
  return {
    user,
    host,
    relayClient,
    relayTarget,
    counted,
    counters: { toTarget: (n) => (counted.toTarget += n), toClient: (n) => (counted.toClient += n) },
  };
}

function collect(socket: Socket): { bytes: () => number; digest: () => string; until: (n: number) => Promise<void> } {
  const hash = createHash('sha256');
  let bytes = 0;
  const waiters = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    hash.update(chunk);
    for (const waiter of waiters) waiter();
  });
  return {
    bytes: () => bytes,
    digest: () => hash.copy().digest('hex'),
    until: (n) =>
      within(
        new Promise<void>((resolve) => {
          const check = (): void => {
            if (bytes >= n) {
              waiters.delete(check);
              resolve();
            }
          };
          waiters.add(check);
          check();
        }),
        10_000,
        `${n} bytes`,
      ),
  };
}

describe('pipeSockets', () => {
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
  });
  const track = (r: Rig): Rig => {
    sockets.push(r.user, r.host, r.relayClient, r.relayTarget);
    return r;
  };

  it('relays bytes both ways unchanged and counts them', async () => {
    const r = track(await rig());
    pipeSockets(r.relayClient, r.relayTarget, r.counters);
    const atHost = collect(r.host);
    const atUser = collect(r.user);
    const up = randomBytes(300_000);
    const down = randomBytes(200_001);
    r.user.write(up);
    r.host.write(down);
    await atHost.until(up.length);
    await atUser.until(down.length);
    assert.equal(atHost.digest(), createHash('sha256').update(up).digest('hex'));
    assert.equal(atUser.digest(), createHash('sha256').update(down).digest('hex'));
    assert.deepStrictEqual(r.counted, { toTarget: up.length, toClient: down.length });
  });

  it('holds back a fast client while the host does not read (bounded buffering), then delivers everything', async () => {
    const r = track(await rig());
    pipeSockets(r.relayClient, r.relayTarget, r.counters);
    r.host.pause();
    const flood = randomBytes(64 * 1024 * 1024);
    let written = 0;
    const writeMore = (): void => {
      while (written < flood.length) {
        const chunk = flood.subarray(written, written + 1024 * 1024);
        written += chunk.length;
        if (!r.user.write(chunk)) {
          r.user.once('drain', writeMore);
          return;
        }
      }
    };
    writeMore();
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Kernel buffers take some; the relay itself holds at most about one chunk beyond its high-water mark.
    assert.ok(r.relayTarget.writableLength < 4 * 1024 * 1024, `relay buffered ${r.relayTarget.writableLength}`);
    assert.ok(r.relayClient.isPaused(), 'the relay stopped reading the client');
    assert.ok(written < flood.length, 'the client could not push everything while the host slept');
    const atHost = collect(r.host);
    r.host.resume();
    await atHost.until(flood.length);
    assert.equal(atHost.digest(), createHash('sha256').update(flood).digest('hex'));
  });

  it('passes an end from the client on to the host, and settles with client-closed', async () => {
    const r = track(await rig());
    const pipe = pipeSockets(r.relayClient, r.relayTarget, r.counters);
    const hostEnded = new Promise((resolve) => r.host.once('end', resolve));
    r.host.resume();
    r.user.end('bye');
    await within(hostEnded, 5_000, 'the end reaching the host');
    r.host.end();
    assert.deepStrictEqual(await within(pipe.done, 5_000, 'the pipe to settle'), { reason: 'client-closed' });
  });

  it('settles with target-closed when the host closes first', async () => {
    const r = track(await rig());
    const pipe = pipeSockets(r.relayClient, r.relayTarget, r.counters);
    r.user.resume();
    r.host.end();
    r.user.once('end', () => r.user.end());
    assert.equal((await within(pipe.done, 5_000, 'the pipe to settle')).reason, 'target-closed');
  });

  it('destroy() ends both sides at once', async () => {
    const r = track(await rig());
    const pipe = pipeSockets(r.relayClient, r.relayTarget, r.counters);
    const userClosed = new Promise((resolve) => r.user.once('close', resolve));
    const hostClosed = new Promise((resolve) => r.host.once('close', resolve));
    r.user.resume();
    r.host.resume();
    pipe.destroy();
    await within(pipe.done, 5_000, 'the pipe to settle');
    await within(Promise.all([userClosed, hostClosed]), 5_000, 'both peers to see the close');
  });
});
