import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TargetReader } from '../../../main/gateway/target-reader.ts';
import { DATA_HEADROOM_BYTES } from '../../../main/gateway/transport/packet-transport.ts';
import { MAX_DATA_PAYLOAD_BYTES } from '../../../main/gateway/tsgu/constants.ts';
import { dialTarget } from '../../../main/relay/dial.ts';
import { within } from '../../helpers/wait.ts';

const WAIT_MS = 10_000;
const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

interface Read {
  readonly packet: Buffer;
  readonly bytes: number;
}

/** A target that runs `serve` on each connection it accepts. */
let serve: (socket: Socket) => void = () => undefined;
let server: Server;
let port = 0;
before(async () => {
  server = createServer((socket) => serve(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
after(() => server.close());

/** Dials the target with a reader whose every read is recorded; `answer` says whether reading goes on. */
async function dialReading(answer: (read: Read) => boolean = () => true) {
  const reader = new TargetReader();
  const reads: Read[] = [];
  const socket = await dialTarget('127.0.0.1', port, { onread: reader.onread });
  reader.start((packet, bytes) => {
    reads.push({ packet, bytes });
    return answer({ packet, bytes });
  });
  const ended = once(socket, 'end');
  return { socket, reads, ended };
}

const payloadOf = (read: Read): Buffer => read.packet.subarray(DATA_HEADROOM_BYTES);

describe('TargetReader', () => {
  it('makes each read one DATA payload behind the headers’ room; what is sent stays intact while held', async () => {
    const sent = randomBytes(1024 * 1024 + 1234);
    serve = (socket) => socket.end(sent);
    const { socket, reads, ended } = await dialReading();
    assert.equal(socket.isPaused(), true, 'dialled paused: nothing is read before its owner is ready');
    socket.resume();
    await within(ended, WAIT_MS, 'the target ending');
    for (const read of reads) {
      assert.ok(read.bytes >= 1 && read.bytes <= MAX_DATA_PAYLOAD_BYTES, `a read of ${read.bytes}`);
      assert.equal(read.packet.length, DATA_HEADROOM_BYTES + read.bytes);
    }
    // Every packet was kept until the end, as a pending write keeps it: none was read over by a later read.
    assert.deepEqual(Buffer.concat(reads.map(payloadOf)), sent);
    assert.ok(
      reads.some((read) => read.bytes === MAX_DATA_PAYLOAD_BYTES),
      'a full read is one full payload',
    );
    const long = reads.filter((read) => read.bytes >= 32 * 1024).map((read) => read.packet.buffer);
    assert.equal(new Set(long).size, long.length, 'each long read has a buffer of its own');
    socket.destroy();
  });

  it('stops reading when the sender says so, until resumed', async () => {
    const sent = randomBytes(512 * 1024);
    let written = false;
    serve = (socket) =>
      socket.end(sent, () => {
        written = true;
      });
    const { socket, reads, ended } = await dialReading((read) => reads.length > 1 || read.bytes === sent.length);
    socket.resume();
    await within(
      (async () => {
        while (reads.length === 0 || !written) await turns(1);
      })(),
      WAIT_MS,
      'the first read and the target writing everything',
    );
    await turns(20);
    assert.equal(reads.length, 1, 'no read after the sender asked to stop');
    socket.resume();
    await within(ended, WAIT_MS, 'the target ending');
    assert.deepEqual(Buffer.concat(reads.map(payloadOf)), sent);
    socket.destroy();
  });

  it('copies short reads into buffers of their size, so tunnels sharing the read buffer keep their own bytes', async () => {
    const rounds = 20;
    const accepted: Socket[] = [];
    serve = (socket) => accepted.push(socket);
    const first = await dialReading();
    const second = await dialReading();
    first.socket.resume();
    second.socket.resume();
    await within(
      (async () => {
        while (accepted.length < 2) await turns(1);
      })(),
      WAIT_MS,
      'both connections',
    );
    // Whichever connection the gateway accepted first, the bytes tell the two tunnels apart.
    for (let i = 0; i < rounds; i++) {
      accepted[0]?.write(Buffer.alloc(100, 'a'));
      accepted[1]?.write(Buffer.alloc(100, 'b'));
      await within(
        (async () => {
          while (first.reads.length + second.reads.length < 2 * (i + 1)) await turns(1);
        })(),
        WAIT_MS,
        `round ${i}`,
      );
    }
    for (const { reads } of [first, second]) {
      const payload = Buffer.concat(reads.map(payloadOf));
      assert.equal(payload.length, rounds * 100);
      assert.ok(
        payload.every((byte) => byte === payload[0]),
        'one tunnel’s bytes only',
      );
      for (const read of reads) assert.ok(read.packet.buffer.byteLength < DATA_HEADROOM_BYTES + MAX_DATA_PAYLOAD_BYTES);
    }
    assert.notEqual(payloadOf(first.reads[0])[0], payloadOf(second.reads[0])[0]);
    for (const socket of [first.socket, second.socket, ...accepted]) socket.destroy();
  });
});
