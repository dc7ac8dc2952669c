import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { describe, it } from 'node:test';

import { BodyDecodeError, ChunkedDecoder } from '../../../../main/gateway/transport/chunked-decoder.ts';
import {
  LEGACY_SEED_BYTES,
  LegacyHttpTransport,
  legacyInResponse,
  legacyOutResponse,
} from '../../../../main/gateway/transport/legacy-http.ts';
import {
  DATA_HEADROOM_BYTES,
  SEND_HIGH_WATER_BYTES,
  type TransportHandlers,
} from '../../../../main/gateway/transport/packet-transport.ts';
import { encodeDataPacket } from '../../../../main/gateway/tsgu/codec.ts';

/** An in-memory socket: what the gateway writes is held until `flush()`, what the client sends is `feed()`. */
class FakeSocket extends Duplex {
  readonly written: Buffer[] = [];
  #pending: (() => void)[] = [];

  constructor() {
    super({ writableHighWaterMark: 64 * 1024 * 1024 });
  }

  override _read(): void {
    // Data arrives through feed().
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.written.push(chunk);
    this.#pending.push(() => callback());
  }

  /** The kernel took everything written so far. */
  flush(): void {
    const pending = this.#pending;
    this.#pending = [];
    for (const done of pending) done();
  }

  feed(text: string | Buffer): void {
    this.push(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  }

  asSocket(): Socket {
    return this as unknown as Socket;
  }
}

/** Handlers that record what the transport reports. */
function recorder(): {
  record: { received: Buffer[]; drains: number; closes: (Error | undefined)[] };
  handlers: TransportHandlers;
} {
  const record = { received: [] as Buffer[], drains: 0, closes: [] as (Error | undefined)[] };
  const handlers: TransportHandlers = {
    data: (chunk) => {
      record.received.push(chunk);
    },
    drain: () => {
      record.drains += 1;
    },
    closed: (error) => {
      record.closes.push(error);
    },
  };
  return { record, handlers };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function makeTransport(inRest = Buffer.alloc(0)) {
  const out = new FakeSocket();
  const input = new FakeSocket();
  const transport = new LegacyHttpTransport(
    { out: out.asSocket(), in: input.asSocket(), inRest, inBody: new ChunkedDecoder() },
    '192.0.2.1',
  );
  const { record, handlers } = recorder();
  transport.start(handlers);
  return { out, input, transport, handlers: record };
}

describe('legacy HTTP responses', () => {
  it('OUT: 200 with neither Content-Length nor Transfer-Encoding, then exactly 10 random seed bytes', () => {
    const response = legacyOutResponse(new Date(0));
    const end = response.indexOf('\r\n\r\n') + 4;
    const head = response.subarray(0, end).toString('latin1');
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.doesNotMatch(head, /content-length|transfer-encoding/i);
    assert.equal(response.length - end, LEGACY_SEED_BYTES);
    assert.notDeepEqual(legacyOutResponse().subarray(-10), legacyOutResponse().subarray(-10));
  });

  it('IN: 200 with Content-Length: 0', () => {
    assert.match(legacyInResponse(new Date(0)), /^HTTP\/1\.1 200 OK\r\n(?:.*\r\n)*Content-Length: 0\r\n\r\n$/);
  });
});

describe('LegacyHttpTransport', () => {
  it('is kind "http" and reports the client address it was given', () => {
    const { transport } = makeTransport();
    assert.equal(transport.kind, 'http');
    assert.equal(transport.remoteAddress, '192.0.2.1');
  });

  it('decodes the IN body (read-ahead bytes first) into the client stream; OUT input is ignored', async () => {
    const { out, input, handlers } = makeTransport(Buffer.from('3\r\nabc\r\n2\r'));
    assert.equal(Buffer.concat(handlers.received).toString(), 'abc');
    input.feed('\nde\r\n1;ext\r\nf\r\n');
    out.feed('anything the client writes on OUT');
    await tick();
    assert.equal(Buffer.concat(handlers.received).toString(), 'abcdef');
    assert.deepEqual(handlers.closes, []);
  });

  it('writes packets raw on OUT, and asks to stop above the high-water mark until half is written', async () => {
    const { out, transport, handlers } = makeTransport();
    const packet = Buffer.alloc(64 * 1024, 1);
    let writable = true;
    let sent = 0;
    while (writable) {
      writable = transport.send(packet);
      sent += 1;
    }
    assert.equal(sent, Math.floor(SEND_HIGH_WATER_BYTES / packet.length) + 1);
    assert.equal(out.writableLength, sent * packet.length);
    assert.equal(transport.send(packet), false, 'stays above the mark until drained');
    sent += 1;
    assert.equal(handlers.drains, 0);
    // The kernel takes the queue one write at a time; drain comes once at most half the mark is left.
    while (handlers.drains === 0 && out.writableLength > 0) {
      out.flush();
      await tick();
    }
    assert.equal(handlers.drains, 1);
    assert.ok(out.writableLength <= SEND_HIGH_WATER_BYTES / 2);
    assert.equal(transport.send(packet), true);
    sent += 1;
    while (out.writableLength > 0) {
      out.flush();
      await tick();
    }
    assert.equal(Buffer.concat(out.written).length, sent * packet.length, 'every packet went out, raw');
  });

  it('sends a DATA payload behind room as one write of the raw DATA packet (no chunked framing on OUT)', async () => {
    const { out, transport } = makeTransport();
    const payloads = [1, 4000, 65535].map((length) => Buffer.alloc(length, length % 251));
    for (const payload of payloads) {
      assert.equal(transport.sendDataWithRoom(Buffer.concat([Buffer.alloc(DATA_HEADROOM_BYTES, 0xee), payload])), true);
    }
    while (out.writableLength > 0) {
      out.flush();
      await tick();
    }
    assert.deepEqual(out.written, payloads.map(encodeDataPacket), 'one write per packet, each the whole packet');
  });

  it('pause and resume act on the IN connection (backpressure from a slow target)', () => {
    const { input, transport } = makeTransport();
    transport.pause();
    assert.equal(input.isPaused(), true);
    transport.resume();
    assert.equal(input.isPaused(), false);
  });

  for (const channel of ['out', 'in'] as const) {
    it(`closing the ${channel.toUpperCase()} connection ends the transport, once`, async () => {
      const made = makeTransport();
      const socket = channel === 'out' ? made.out : made.input;
      socket.destroy();
      await tick();
      made.input.destroy();
      made.out.destroy();
      await tick();
      assert.deepEqual(made.handlers.closes, [undefined]);
    });
  }

  it('a malformed chunk ends the transport with the decode error and drops IN', async () => {
    const { input, handlers } = makeTransport();
    input.feed('zz\r\n');
    await tick();
    assert.equal(handlers.closes.length, 1);
    assert.ok(handlers.closes[0] instanceof BodyDecodeError);
    assert.equal(input.destroyed, true);
  });

  it('the last chunk (size 0) ends the transport without an error', async () => {
    const { input, handlers } = makeTransport();
    input.feed('1\r\nx\r\n0\r\n\r\n');
    await tick();
    assert.equal(Buffer.concat(handlers.received).toString(), 'x');
    assert.deepEqual(handlers.closes, [undefined]);
  });

  it('close() ends both connections after what was sent; destroy() drops them', async () => {
    const { out, input, transport } = makeTransport();
    transport.send(Buffer.from('last packet'));
    transport.close();
    out.flush();
    await tick();
    assert.equal(out.writableEnded, true);
    assert.equal(input.writableEnded, true);
    transport.destroy();
    assert.equal(out.destroyed, true);
    assert.equal(input.destroyed, true);
  });
});
