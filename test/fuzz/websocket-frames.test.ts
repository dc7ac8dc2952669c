/**
 * Fuzzing the client-frame parser (main/gateway/transport/websocket-frames.ts) with FreeRDP's captured frames,
 * mutated and split as socket reads would cut them. Each input is also read by a whole-buffer reading of
 * RFC 6455 §5 written here; the streaming parser must report the same payload, pings, close and close code
 * whatever the reads, never throw, and never read a frame above its size limit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ClientFrameParser, CloseCode } from '../../main/gateway/transport/websocket-frames.ts';
import { MAX_PACKET_BYTES } from '../../main/gateway/tsgu/constants.ts';
import { maskedFrame } from '../helpers/websocket-frames.ts';
import { check, mutated, randomBytes, splitInput, splits } from './fuzz.ts';
import { WEBSOCKET_FRAMES } from './seeds.ts';

interface Events {
  data: Buffer;
  pings: string[];
  close?: { code: number | undefined; reason: string };
  fail?: number;
}

/** Runs the parser over `chunks` (copies: it unmasks in place) and gathers what it reports. */
function parse(chunks: readonly Buffer[], maxFrameBytes: number): Events {
  const data: Buffer[] = [];
  const events: Events = { data: Buffer.alloc(0), pings: [] };
  let ended = false;
  const parser = new ClientFrameParser(
    {
      data: (bytes) => {
        assert.ok(!ended, 'nothing is reported after a close or a failure');
        data.push(Buffer.from(bytes));
      },
      ping: (payload) => {
        assert.ok(!ended);
        events.pings.push(payload.toString('hex'));
      },
      close: (code, reason) => {
        assert.ok(!ended);
        ended = true;
        events.close = { code, reason };
      },
      fail: (code) => {
        assert.ok(!ended);
        ended = true;
        events.fail = code;
      },
    },
    maxFrameBytes,
  );
  for (const chunk of chunks) parser.push(chunk);
  events.data = Buffer.concat(data);
  return events;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function validCloseCode(code: number): boolean {
  // RFC 6455 §7.4: 1000-1003, 1007-1011 defined; 1012-1014 registered since; 3000-4999 for libraries and apps.
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** RFC 6455 §5 over the whole input at once, as a server that negotiated no extension and carries binary only. */
function reference(input: Buffer, maxFrameBytes: number): Events {
  const data: Buffer[] = [];
  const events: Events = { data: Buffer.alloc(0), pings: [] };
  const done = (): Events => ({ ...events, data: Buffer.concat(data) });
  let offset = 0;
  let fragmented = false;
  while (offset + 2 <= input.length) {
    const fin = (input[offset] & 0x80) !== 0;
    const rsv = input[offset] & 0x70;
    const opcode = input[offset] & 0x0f;
    const masked = (input[offset + 1] & 0x80) !== 0;
    const length7 = input[offset + 1] & 0x7f;
    const control = opcode >= 0x8;
    // What can be judged from the first two bytes is judged at once (RFC 6455 §5.2, §5.4, §5.5).
    let failure: number | undefined;
    if (rsv !== 0 || !masked) failure = CloseCode.PROTOCOL_ERROR;
    else if (opcode === 0x1) failure = CloseCode.UNSUPPORTED_DATA;
    else if (opcode === 0x2 && fragmented) failure = CloseCode.PROTOCOL_ERROR;
    else if (opcode === 0x0 && !fragmented) failure = CloseCode.PROTOCOL_ERROR;
    else if (![0x0, 0x2, 0x8, 0x9, 0xa].includes(opcode)) failure = CloseCode.PROTOCOL_ERROR;
    else if (control && (!fin || length7 > 125)) failure = CloseCode.PROTOCOL_ERROR;
    if (failure !== undefined) return { ...done(), fail: failure };
    if (!control) fragmented = !fin;
    const lengthBytes = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
    const maskAt = offset + 2 + lengthBytes;
    if (maskAt + 4 > input.length) break;
    const length =
      length7 === 126
        ? BigInt(input.readUInt16BE(offset + 2))
        : length7 === 127
          ? input.readBigUInt64BE(offset + 2)
          : BigInt(length7);
    if (length > BigInt(maxFrameBytes)) return { ...done(), fail: CloseCode.MESSAGE_TOO_BIG };
    const start = maskAt + 4;
    const available = Math.min(Number(length), input.length - start);
    const payload = Buffer.from(input.subarray(start, start + available));
    for (let i = 0; i < payload.length; i++) payload[i] ^= input[maskAt + (i & 3)];
    if (!control) data.push(payload);
    if (available < Number(length)) break;
    offset = start + available;
    if (opcode === 0x9) events.pings.push(payload.toString('hex'));
    if (opcode === 0x8) {
      if (payload.length === 1) return { ...done(), fail: CloseCode.PROTOCOL_ERROR };
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : undefined;
      if (code !== undefined && !validCloseCode(code)) return { ...done(), fail: CloseCode.PROTOCOL_ERROR };
      try {
        return { ...done(), close: { code, reason: UTF8.decode(payload.subarray(2)) } };
      } catch {
        return { ...done(), fail: CloseCode.INVALID_DATA };
      }
    }
  }
  return done();
}

function runOne(input: Buffer, cuts: readonly number[] | 'bytewise', maxFrameBytes: number): void {
  const expected = reference(input, maxFrameBytes);
  assert.deepEqual(parse(splitInput(input, cuts), maxFrameBytes), expected);
  // Memory: the parser holds at most a header and a control payload; what it hands on is never more than it read.
  assert.ok(expected.data.length <= input.length);
}

/** Close codes on either side of each range's edge. */
const CLOSE_CODE_EDGES = [0, 999, 1000, 1003, 1004, 1005, 1006, 1007, 1014, 1015, 1016, 2999, 3000, 4999, 5000, 65535];

const mask = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((bytes) => Buffer.from(bytes));

/** Frames built to sit on the rules' edges: every opcode, FIN or not, lengths at each form's boundary. */
const builtFrames = fc
  .array(
    fc.record({
      opcode: fc.oneof(
        { arbitrary: fc.constantFrom(0x0, 0x2, 0x8, 0x9, 0xa), weight: 4 },
        { arbitrary: fc.integer({ min: 0, max: 15 }), weight: 1 },
      ),
      fin: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.boolean(), weight: 1 }),
      payload: fc.oneof(
        randomBytes(130),
        fc.constantFrom(125, 126, 127, 65535, 65536).map((n) => Buffer.alloc(n, 0x41)),
        fc
          .tuple(
            fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.constantFrom(...CLOSE_CODE_EDGES)),
            fc.string({ maxLength: 20 }),
          )
          .map(([code, reason]) => {
            const close = Buffer.alloc(2);
            close.writeUInt16BE(code % 65536);
            return Buffer.concat([close, Buffer.from(reason)]);
          }),
      ),
      mask,
    }),
    { minLength: 1, maxLength: 5 },
  )
  .map((frames) =>
    Buffer.concat(frames.map((frame) => maskedFrame(frame.opcode, frame.payload, frame.mask, frame.fin))),
  );

const frameLimit = fc.oneof(fc.constant(MAX_PACKET_BYTES), fc.integer({ min: 0, max: 600 }));

test('WebSocket frames: FreeRDP frames, mutated and split', async (t) => {
  await check(
    t,
    fc.property(mutated([WEBSOCKET_FRAMES]), splits, (input, cuts) => runOne(input, cuts, MAX_PACKET_BYTES)),
    800,
    0.5,
  );
});

test('WebSocket frames: frames on the rules edges, mutated, random bytes, small frame limits', async (t) => {
  await check(
    t,
    fc.property(
      fc.oneof(mutated([WEBSOCKET_FRAMES.subarray(0, 600)]), builtFrames, mutated([Buffer.alloc(0)]), randomBytes()),
      frameLimit,
      splits,
      (input, maxFrameBytes, cuts) => runOne(input, cuts, maxFrameBytes),
    ),
    1500,
    0.5,
  );
});
