import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  ClientFrameParser,
  Opcode,
  closeFrame,
  serverFrame,
  unmaskInPlace,
  writeDataFrameHeadersBefore,
} from '../../../../main/gateway/transport/websocket-frames.ts';
import { encodeDataPacket } from '../../../../main/gateway/tsgu/codec.ts';
import { MAX_PACKET_BYTES } from '../../../../main/gateway/tsgu/constants.ts';
import { TsguEncodeError } from '../../../../main/gateway/tsgu/errors.ts';
import { maskedFrame, unmaskReference } from '../../../helpers/websocket-frames.ts';

interface Parsed {
  readonly data: Buffer[];
  readonly events: string[];
}

/** Runs `stream` through a parser in pieces of `step` bytes; records payload bytes and every other event. */
function parse(stream: Buffer, step = stream.length, maxFrameBytes = MAX_PACKET_BYTES): Parsed {
  const parsed: Parsed = { data: [], events: [] };
  const parser = new ClientFrameParser(
    {
      data: (bytes) => parsed.data.push(Buffer.from(bytes)),
      ping: (payload) => parsed.events.push(`ping ${payload.toString()}`),
      close: (code, reason) => parsed.events.push(`close ${code ?? '-'} ${reason}`),
      fail: (code, message) => parsed.events.push(`fail ${code} ${message}`),
    },
    maxFrameBytes,
  );
  // Copies, as a socket gives fresh buffers: the parser unmasks in place.
  const copy = Buffer.from(stream);
  for (let offset = 0; offset < copy.length; offset += step) parser.push(copy.subarray(offset, offset + step));
  return parsed;
}

/** A frame header with arbitrary first bytes and a zero key (for frames a well-behaved client never sends). */
function rawHeader(b0: number, b1: number, extended: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from([b0, b1]), extended, Buffer.alloc(b1 & 0x80 ? 4 : 0)]);
}

describe('unmaskInPlace', () => {
  it('matches the byte-wise XOR for every length 0..80 at every alignment and key phase', () => {
    const mask = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
    const backing = randomBytes(100);
    for (let phase = 0; phase < 4; phase++) {
      for (let offset = 0; offset < 4; offset++) {
        for (let length = 0; length <= 80; length++) {
          const data = Buffer.from(backing).subarray(offset, offset + length);
          const expected = unmaskReference(data, mask, phase);
          unmaskInPlace(data, mask, phase);
          assert.deepEqual(data, expected, `phase ${phase}, offset ${offset}, length ${length}`);
        }
      }
    }
  });

  it('matches it for a large payload with a random key', () => {
    const mask = randomBytes(4);
    const data = randomBytes(70_001).subarray(3);
    const expected = unmaskReference(data, mask);
    unmaskInPlace(data, mask);
    assert.deepEqual(data, expected);
  });
});

describe('ClientFrameParser', () => {
  const payloads = [0, 1, 3, 31, 32, 33, 125, 126, 127, 1000, 65535, MAX_PACKET_BYTES].map((n) => randomBytes(n));
  const fragmented = randomBytes(5000);
  const stream = Buffer.concat([
    ...payloads.map((payload) => maskedFrame(Opcode.BINARY, payload, randomBytes(4))),
    // A message in three fragments with a ping and a pong between them (each frame has its own key).
    maskedFrame(Opcode.BINARY, fragmented.subarray(0, 1001), randomBytes(4), false),
    maskedFrame(Opcode.PING, Buffer.from('are you there'), randomBytes(4)),
    maskedFrame(Opcode.CONTINUATION, fragmented.subarray(1001, 3000), randomBytes(4), false),
    maskedFrame(Opcode.PONG, Buffer.from('unasked'), randomBytes(4)),
    maskedFrame(Opcode.CONTINUATION, fragmented.subarray(3000), randomBytes(4)),
    maskedFrame(Opcode.CLOSE, Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('bye')]), randomBytes(4)),
  ]);
  const expected = Buffer.concat([...payloads, fragmented]);

  for (const step of [1, 2, 5, 13, 7919, 16384, stream.length]) {
    it(`hands on every payload byte unmasked and in order, read ${step} bytes at a time`, () => {
      const parsed = parse(stream, step);
      assert.ok(Buffer.concat(parsed.data).equals(expected));
      assert.deepEqual(parsed.events, ['ping are you there', 'close 1000 bye']);
    });
  }

  it('hands payload on as it arrives, as views of the chunks it was given (no frame is assembled)', () => {
    const payload = randomBytes(20_000);
    const frame = maskedFrame(Opcode.BINARY, payload, randomBytes(4));
    const pieces: Buffer[] = [];
    const parser = new ClientFrameParser(
      { data: (bytes) => pieces.push(bytes), ping: () => undefined, close: () => undefined, fail: assert.fail },
      MAX_PACKET_BYTES,
    );
    const first = Buffer.from(frame.subarray(0, 9000));
    parser.push(first);
    assert.equal(pieces.length, 1, 'the first part is delivered before the frame is complete');
    assert.equal(pieces[0].buffer, first.buffer, 'in place, not copied');
    parser.push(Buffer.from(frame.subarray(9000)));
    assert.ok(Buffer.concat(pieces).equals(payload));
  });

  it('reads a close frame without a status code as no code', () => {
    assert.deepEqual(parse(maskedFrame(Opcode.CLOSE, Buffer.alloc(0), randomBytes(4))).events, ['close - ']);
  });

  it('stops at the close frame: nothing after it is parsed', () => {
    const parsed = parse(
      Buffer.concat([
        maskedFrame(Opcode.CLOSE, Buffer.from([0x03, 0xe8]), randomBytes(4)),
        maskedFrame(Opcode.BINARY, Buffer.from('late'), randomBytes(4)),
      ]),
    );
    assert.deepEqual(parsed, { data: [], events: ['close 1000 '] });
  });

  const refusals: [string, Buffer, number][] = [
    ['an unmasked frame', Buffer.from([0x82, 0x01, 0x41]), 1002],
    ['reserved bits (no extension was agreed)', rawHeader(0xc2, 0x81), 1002],
    ['a text frame', maskedFrame(Opcode.TEXT, Buffer.from('hello'), randomBytes(4)), 1003],
    ['an unknown opcode', rawHeader(0x83, 0x80), 1002],
    ['a continuation outside a message', maskedFrame(Opcode.CONTINUATION, Buffer.from('x'), randomBytes(4)), 1002],
    [
      'a new message inside a fragmented one',
      Buffer.concat([
        maskedFrame(Opcode.BINARY, Buffer.from('a'), randomBytes(4), false),
        maskedFrame(Opcode.BINARY, Buffer.from('b'), randomBytes(4)),
      ]),
      1002,
    ],
    ['a fragmented control frame', maskedFrame(Opcode.PING, Buffer.from('p'), randomBytes(4), false), 1002],
    ['a control frame over 125 bytes', rawHeader(0x89, 0x80 | 126, Buffer.from([0x00, 0x7e])), 1002],
    ['a close frame with a one-byte payload', maskedFrame(Opcode.CLOSE, Buffer.from([3]), randomBytes(4)), 1002],
    [
      'a close reason that is not UTF-8',
      maskedFrame(Opcode.CLOSE, Buffer.from([0x03, 0xe8, 0xc3, 0x28]), randomBytes(4)),
      1007,
    ],
    ['a close frame with a reserved code', maskedFrame(Opcode.CLOSE, Buffer.from([0x03, 0xee]), randomBytes(4)), 1002],
    ['a frame over the limit, from its header alone', rawHeader(0x82, 0x80 | 126, Buffer.from([0xff, 0xff])), 1009],
    ['a 64-bit length above 2^32', rawHeader(0x82, 0x80 | 127, Buffer.from([0, 0, 0, 1, 0, 0, 0, 0])), 1009],
  ];
  for (const [what, frames, code] of refusals) {
    it(`fails the connection with ${code} on ${what}, and parses nothing after it`, () => {
      const after = maskedFrame(Opcode.BINARY, Buffer.from('after'), randomBytes(4));
      const parsed = parse(Buffer.concat([frames, after]), 1, 1000);
      assert.equal(parsed.events.length, 1, parsed.events.join('; '));
      assert.match(parsed.events[0], new RegExp(`^fail ${code} `));
      assert.ok(!Buffer.concat(parsed.data).toString().includes('after'));
    });
  }
});

describe('serverFrame', () => {
  it('uses the shortest length form: 7 bits to 125, 16 bits to 65535, 64 bits above', () => {
    for (const [length, header] of [
      [0, '8200'],
      [125, '827d'],
      [126, '827e007e'],
      [65535, '827effff'],
      [65536, '827f0000000000010000'],
      [65545, '827f0000000000010009'],
    ] as const) {
      const payload = randomBytes(length);
      const frame = serverFrame(Opcode.BINARY, payload);
      assert.equal(frame.subarray(0, header.length / 2).toString('hex'), header, `length ${length}`);
      assert.ok(frame.subarray(header.length / 2).equals(payload), `payload of ${length}`);
    }
  });
});

describe('closeFrame', () => {
  it('carries the code and the reason, cut to the 125-byte control limit', () => {
    assert.equal(
      closeFrame(1003, 'binary frames only').toString('hex'),
      '8814' + '03eb' + Buffer.from('binary frames only').toString('hex'),
    );
    const long = closeFrame(1000, 'x'.repeat(300));
    assert.equal(long[1], 125);
    assert.equal(long.length, 127);
  });
});

describe('writeDataFrameHeadersBefore', () => {
  /** `payload` behind `room` bytes of garbage, as a target read lands. */
  const withRoom = (room: number, payload: Buffer): Buffer => Buffer.concat([randomBytes(room), payload]);

  it('writes the frame of the encoded DATA packet into the room, across the frame length forms', () => {
    // 2-byte frame header up to 115 payload bytes (a 125-byte packet), 4 up to 65,525, 10 from 65,526.
    for (const [length, frameHeaderBytes] of [
      [1, 2],
      [115, 2],
      [116, 4],
      [65525, 4],
      [65526, 10],
      [65535, 10],
    ] as const) {
      const payload = randomBytes(length);
      const buffer = withRoom(20, payload);
      const start = writeDataFrameHeadersBefore(buffer, 20);
      assert.equal(start, 20 - 10 - frameHeaderBytes, `payload of ${length}`);
      assert.deepEqual(
        buffer.subarray(start),
        serverFrame(Opcode.BINARY, encodeDataPacket(payload)),
        `payload of ${length}`,
      );
    }
  });

  it('uses exactly the room the headers need', () => {
    const payload = randomBytes(65535);
    const buffer = withRoom(20, payload);
    assert.equal(writeDataFrameHeadersBefore(buffer, 20), 0);
    assert.throws(() => writeDataFrameHeadersBefore(withRoom(19, payload), 19), RangeError);
    assert.equal(writeDataFrameHeadersBefore(withRoom(14, randomBytes(115)), 14), 2);
  });

  it('refuses what encodeDataPacket refuses: empty and oversized payloads', () => {
    assert.throws(() => writeDataFrameHeadersBefore(Buffer.alloc(20), 20), TsguEncodeError);
    assert.throws(() => writeDataFrameHeadersBefore(Buffer.alloc(20 + 65536), 20), TsguEncodeError);
  });
});
