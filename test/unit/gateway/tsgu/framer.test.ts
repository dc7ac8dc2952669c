import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decodeClientPacket, encodeDataPacket } from '../../../../main/gateway/tsgu/codec.ts';
import { MAX_DATA_PAYLOAD_BYTES, MAX_PACKET_BYTES, PacketType } from '../../../../main/gateway/tsgu/constants.ts';
import { TsguFramingError } from '../../../../main/gateway/tsgu/errors.ts';
import { PacketFramer } from '../../../../main/gateway/tsgu/framer.ts';
import { CLIENT_STREAM, TSGU_FIXTURES, fromHex } from '../../../fixtures/tsgu-packets.ts';

const PACKETS = TSGU_FIXTURES.map((fixture) => fromHex(fixture.hex));
const STREAM = Buffer.concat(PACKETS);
const EXPECTED = PACKETS.map((packet) => packet.toString('hex'));

/** Feeds `chunks` in order and returns every packet (as hex) plus the bytes left buffered. */
function feed(framer: PacketFramer, chunks: readonly Buffer[]): string[] {
  const out: string[] = [];
  for (const chunk of chunks) {
    for (const packet of framer.push(chunk)) out.push(packet.toString('hex'));
  }
  return out;
}

/** An 8-byte header with the given type and packetLength. */
function header(packetType: number, packetLength: number): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeUInt16LE(packetType, 0);
  buf.writeUInt32LE(packetLength, 4);
  return buf;
}

describe('PacketFramer', () => {
  it('cuts the fixture stream into the same packets when split at every offset', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      const framer = new PacketFramer();
      assert.deepStrictEqual(feed(framer, [STREAM.subarray(0, i), STREAM.subarray(i)]), EXPECTED, `split at ${i}`);
      assert.equal(framer.bufferedBytes, 0);
    }
  });

  it('cuts the same packets when split at every pair of offsets', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      for (let j = i; j <= STREAM.length; j++) {
        const framer = new PacketFramer();
        const chunks = [STREAM.subarray(0, i), STREAM.subarray(i, j), STREAM.subarray(j)];
        assert.deepStrictEqual(feed(framer, chunks), EXPECTED, `split at ${i} and ${j}`);
      }
    }
  });

  it('cuts the same packets when fed one byte at a time', () => {
    const framer = new PacketFramer();
    const chunks = Array.from(STREAM, (byte) => Buffer.from([byte]));
    assert.deepStrictEqual(feed(framer, chunks), EXPECTED);
    assert.equal(framer.bufferedBytes, 0);
  });

  it('returns every packet of one chunk at once, as views without copying', () => {
    const framer = new PacketFramer();
    const packets = framer.push(STREAM);
    assert.deepStrictEqual(
      packets.map((p) => p.toString('hex')),
      EXPECTED,
    );
    for (const packet of packets) assert.equal(packet.buffer, STREAM.buffer);
    assert.equal(framer.bufferedBytes, 0);
  });

  it('keeps a partial packet and returns it once complete', () => {
    const framer = new PacketFramer();
    const [first, second] = PACKETS as [Buffer, Buffer];
    const chunk = Buffer.concat([first, second.subarray(0, 5)]);
    assert.deepStrictEqual(
      framer.push(chunk).map((p) => p.toString('hex')),
      [first.toString('hex')],
    );
    assert.equal(framer.bufferedBytes, 5);
    assert.deepStrictEqual(framer.push(Buffer.alloc(0)), []);
    assert.deepStrictEqual(
      framer.push(second.subarray(5)).map((p) => p.toString('hex')),
      [second.toString('hex')],
    );
    assert.equal(framer.bufferedBytes, 0);
  });

  it('hands the codec packets it decodes to the fixture values', () => {
    const framer = new PacketFramer();
    const stream = Buffer.concat(CLIENT_STREAM.map((fixture) => fromHex(fixture.hex)));
    const chunks = Array.from({ length: Math.ceil(stream.length / 7) }, (_, i) => stream.subarray(i * 7, i * 7 + 7));
    const decoded = chunks.flatMap((chunk) => framer.push(chunk)).map((packet) => decodeClientPacket(packet));
    assert.deepStrictEqual(
      decoded,
      CLIENT_STREAM.map((fixture) => fixture.packet),
    );
  });

  it('throws on a packetLength below 8 as soon as the header is complete', () => {
    const framer = new PacketFramer();
    const bad = header(PacketType.KEEPALIVE, 7);
    for (let i = 0; i < 7; i++) assert.deepStrictEqual(framer.push(bad.subarray(i, i + 1)), []);
    assert.throws(
      () => framer.push(bad.subarray(7)),
      (err: unknown) =>
        err instanceof TsguFramingError &&
        err.code === 'ERR_TSGU_FRAMING' &&
        err.packetType === PacketType.KEEPALIVE &&
        err.packetLength === 7 &&
        err.message === 'packet header (type 0x000d): packetLength 7 is below the 8-byte header',
    );
    assert.equal(framer.bufferedBytes, 0);
  });

  it('throws on a packetLength above the limit before any body arrives', () => {
    const framer = new PacketFramer();
    assert.throws(
      () => framer.push(header(PacketType.DATA, MAX_PACKET_BYTES + 1)),
      (err: unknown) =>
        err instanceof TsguFramingError &&
        err.packetLength === MAX_PACKET_BYTES + 1 &&
        err.message ===
          `packet header (type 0x000a): packetLength ${MAX_PACKET_BYTES + 1} exceeds the ${MAX_PACKET_BYTES}-byte limit`,
    );
    assert.throws(() => new PacketFramer().push(header(PacketType.DATA, 0xffffffff)), TsguFramingError);
  });

  it('validates the header of a packet that follows good ones in the same chunk', () => {
    const framer = new PacketFramer();
    assert.throws(() => framer.push(Buffer.concat([STREAM, header(0x04, 3)])), TsguFramingError);
  });

  it('is unusable after an error: every later push throws the same error', () => {
    const framer = new PacketFramer();
    let first: unknown;
    try {
      framer.push(header(PacketType.DATA, 2));
    } catch (err) {
      first = err;
    }
    assert.ok(first instanceof TsguFramingError);
    assert.throws(
      () => framer.push(fromHex('0d 00 00 00 08 00 00 00')),
      (err: unknown) => err === first,
    );
    assert.throws(
      () => framer.push(Buffer.alloc(0)),
      (err: unknown) => err === first,
    );
  });

  it('honours a smaller maxPacketBytes option', () => {
    const framer = new PacketFramer({ maxPacketBytes: 20 });
    assert.equal(framer.push(fromHex('09 00 00 00 14 00 00 00 | 00 00 00 00 | 01 00 | 00 00 | 01 00 00 00')).length, 1);
    assert.throws(() => framer.push(header(PacketType.TUNNEL_CREATE, 21)), /exceeds the 20-byte limit/);
  });

  it('accepts the largest DATA packet with the default limit', () => {
    const packet = encodeDataPacket(Buffer.alloc(MAX_DATA_PAYLOAD_BYTES, 7));
    assert.equal(new PacketFramer().push(packet).length, 1);
  });

  it('rejects an unusable maxPacketBytes option', () => {
    for (const maxPacketBytes of [7, 0, -1, 1.5, Number.NaN, 2 ** 32]) {
      assert.throws(() => new PacketFramer({ maxPacketBytes }), RangeError);
    }
  });

  it('keeps bufferedBytes below one packet, and copies linearly when fed one byte at a time', () => {
    const framer = new PacketFramer();
    const big = encodeDataPacket(Buffer.alloc(MAX_DATA_PAYLOAD_BYTES, 1));
    const small = encodeDataPacket(Buffer.from([1, 2, 3]));
    const packets = [big, small, big, small, small];
    const stream = Buffer.concat(packets);
    const ends: number[] = [];
    let sum = 0;
    for (const packet of packets) ends.push((sum += packet.length));

    // One byte at a time through full-size DATA packets: quadratic copying would take seconds here.
    let returned = 0;
    for (let offset = 1; offset <= stream.length; offset++) {
      returned += framer.push(stream.subarray(offset - 1, offset)).length;
      const returnedEnd = returned === 0 ? 0 : (ends[returned - 1] ?? 0);
      assert.equal(framer.bufferedBytes, offset - returnedEnd);
      assert.ok(framer.bufferedBytes < (packets[returned]?.length ?? 1));
    }
    assert.equal(returned, packets.length);
    assert.equal(framer.bufferedBytes, 0);
  });

  it('keeps bufferedBytes below the limit for any chunking of many packets', () => {
    const framer = new PacketFramer();
    const payloads = [1, 500, MAX_DATA_PAYLOAD_BYTES, 4086, 10240, MAX_DATA_PAYLOAD_BYTES, 2];
    const stream = Buffer.concat(payloads.map((n) => encodeDataPacket(Buffer.alloc(n, n & 0xff))));
    const sizes = [1, 3, 4096, 70000, 9, 65545, 17];
    let offset = 0;
    let count = 0;
    for (let i = 0; offset < stream.length; i++) {
      const size = sizes[i % sizes.length] ?? 1;
      count += framer.push(stream.subarray(offset, offset + size)).length;
      offset += size;
      assert.ok(framer.bufferedBytes < MAX_DATA_PAYLOAD_BYTES + 10);
    }
    assert.equal(count, payloads.length);
    assert.equal(framer.bufferedBytes, 0);
  });
});

describe('PacketFramer.feed', () => {
  const unexpected = (): never => assert.fail('nothing should be delivered here');
  /** Feeds `stream` in pieces of `step` bytes; returns each delivery as 'packet <hex>' or the DATA bytes joined. */
  function stream(framer: PacketFramer, bytes: Buffer, step: number): { packets: string[]; data: Buffer[] } {
    const out = { packets: [] as string[], data: [] as Buffer[] };
    let current: Buffer[] | undefined;
    const sink = {
      streamData: () => true,
      packet: (packet: Buffer) => {
        current = undefined;
        out.packets.push(packet.toString('hex'));
      },
      data: (payload: Buffer) => {
        if (current === undefined) {
          current = [];
          out.packets.push('data');
        }
        current.push(payload);
        out.data.push(payload);
      },
    };
    for (let offset = 0; offset < bytes.length; offset += step)
      framer.feed(bytes.subarray(offset, offset + step), sink);
    return out;
  }

  it('delivers other packets whole and DATA payloads as they arrive, at any split', () => {
    const payloads = [1, 100, 16384, MAX_DATA_PAYLOAD_BYTES].map((n) => Buffer.alloc(n, n & 0xff));
    const bytes = Buffer.concat([PACKETS[0], ...payloads.map((payload) => encodeDataPacket(payload)), PACKETS[1]]);
    for (const step of [1, 9, 10, 11, 4096, 16384, bytes.length]) {
      const framer = new PacketFramer();
      const out = stream(framer, bytes, step);
      assert.equal(out.packets[0], EXPECTED[0], `step ${step}`);
      assert.equal(out.packets.at(-1), EXPECTED[1], `step ${step}`);
      assert.ok(Buffer.concat(out.data).equals(Buffer.concat(payloads)), `step ${step}`);
      assert.equal(framer.bufferedBytes, 0);
    }
  });

  it('hands DATA payload on before the packet is complete, as views of the chunks', () => {
    const payload = Buffer.alloc(20_000, 7);
    const packet = encodeDataPacket(payload);
    const framer = new PacketFramer();
    const pieces: Buffer[] = [];
    const first = packet.subarray(0, 5000);
    framer.feed(first, { packet: unexpected, streamData: () => true, data: (piece) => pieces.push(piece) });
    assert.equal(pieces.length, 1);
    assert.equal(pieces[0].length, 5000 - 10);
    assert.equal(pieces[0].buffer, first.buffer);
  });

  it('gives one empty piece for a DATA packet without payload', () => {
    const empty = Buffer.from('0a000000' + '0a000000' + '0000', 'hex');
    const pieces: Buffer[] = [];
    new PacketFramer().feed(empty, { packet: unexpected, streamData: () => true, data: (piece) => pieces.push(piece) });
    assert.deepEqual(pieces, [Buffer.alloc(0)]);
  });

  it('refuses a DATA header whose cbDataLen disagrees with packetLength, as the codec does, and stays failed', () => {
    const bad = Buffer.concat([header(PacketType.DATA, 20), Buffer.from([11, 0])]);
    const framer = new PacketFramer();
    const sink = { packet: unexpected, streamData: () => true, data: unexpected };
    assert.throws(
      () => framer.feed(bad, sink),
      (error: Error) => {
        assert.throws(() => decodeClientPacket(Buffer.concat([bad, Buffer.alloc(10)])), { message: error.message });
        return error.name === 'TsguDecodeError';
      },
    );
    assert.throws(() => framer.feed(Buffer.alloc(1), sink), /cbDataLen 11/);
  });

  it('delivers DATA whole when the sink does not stream it (before a channel is open)', () => {
    const packet = encodeDataPacket(Buffer.alloc(3000, 5));
    const framer = new PacketFramer();
    const packets: Buffer[] = [];
    const sink = { packet: (p: Buffer) => packets.push(p), streamData: () => false, data: unexpected };
    framer.feed(packet.subarray(0, 1000), sink);
    framer.feed(packet.subarray(1000), sink);
    assert.deepEqual(packets, [packet]);
  });

  it('stays consistent when the sink throws: the next packet is delivered', () => {
    const framer = new PacketFramer();
    const seen: string[] = [];
    const sink = {
      packet: (p: Buffer) => {
        seen.push(p.toString('hex'));
        if (seen.length === 1) throw new Error('refused by the sink');
      },
      streamData: () => true,
      data: unexpected,
    };
    assert.throws(() => framer.feed(Buffer.concat([PACKETS[0], PACKETS[1]]), sink), /refused by the sink/);
    framer.feed(PACKETS[2], sink);
    assert.deepEqual(seen, [EXPECTED[0], EXPECTED[1], EXPECTED[2]]);
  });

  it('passes a DATA packet too short for cbDataLen to the codec whole, which refuses it', () => {
    const short = header(PacketType.DATA, 9);
    const packets: Buffer[] = [];
    new PacketFramer().feed(Buffer.concat([short, Buffer.alloc(1)]), {
      packet: (p) => packets.push(p),
      streamData: () => true,
      data: unexpected,
    });
    assert.equal(packets.length, 1);
    assert.throws(() => decodeClientPacket(packets[0]));
  });
});
