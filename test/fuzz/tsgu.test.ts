/**
 * Fuzzing MS-TSGU's streaming framer (main/gateway/tsgu/framer.ts) and codec (codec.ts) with the client streams
 * FreeRDP sent inside the WebSocket and the legacy IN body, and the hex fixtures, mutated and split. Expected: the
 * framer cuts the same packets whatever the reads and never holds more than one packet; only TsguError escapes,
 * with the HRESULT the gateway answers (E_PROXY_COOKIE_BADPACKET for a bad PAA cookie, else
 * E_PROXY_INTERNALERROR); decoded packets survive a round trip; and the tunnel state machine, fed the same bytes,
 * answers a malformed packet with that packet's response carrying that HRESULT, then ends.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeClientPacket,
  decodePaaCookie,
  encodeServerPacket,
  type KnownServerPacket,
} from '../../main/gateway/tsgu/codec.ts';
import { encodeClientPacket } from '../helpers/tsgu-codec.ts';
import { HResult, MAX_PACKET_BYTES, PacketType } from '../../main/gateway/tsgu/constants.ts';
import { TsguBadCookieError, TsguDecodeError, TsguError, TsguFramingError } from '../../main/gateway/tsgu/errors.ts';
import { PacketFramer } from '../../main/gateway/tsgu/framer.ts';
import { TunnelSession, type TunnelOutcome } from '../../main/gateway/tsgu/session.ts';
import { check, mutated, randomBytes, splitInput, splits } from './fuzz.ts';
import { TSGU_CLIENT_PACKETS, TSGU_STREAMS } from './seeds.ts';

type FramerEvent = { readonly packet: string } | { readonly data: string };

interface FramerResult {
  readonly events: FramerEvent[];
  readonly error?: { readonly name: string; readonly packetType?: number; readonly hresult: number };
}

const describeError = (error: unknown): NonNullable<FramerResult['error']> => {
  assert.ok(error instanceof TsguError, `only MS-TSGU errors escape the framer: ${String(error)}`);
  const packetType =
    error instanceof TsguFramingError || error instanceof TsguDecodeError ? error.packetType : undefined;
  return { name: error.name, hresult: error.hresult, ...(packetType === undefined ? {} : { packetType }) };
};

/** Appends an event, merging consecutive data pieces (they may be cut anywhere). */
function record(events: FramerEvent[], event: FramerEvent): void {
  const last = events.at(-1);
  if ('data' in event && last !== undefined && 'data' in last)
    events[events.length - 1] = { data: last.data + event.data };
  else events.push(event);
}

/** The framer over `chunks`: whole packets (`push`), or with DATA payloads streamed (`feed`). */
function frame(chunks: readonly Buffer[], maxPacketBytes: number, stream: boolean): FramerResult {
  const framer = new PacketFramer({ maxPacketBytes });
  const events: FramerEvent[] = [];
  const sink = {
    packet: (packet: Buffer) => record(events, { packet: packet.toString('hex') }),
    streamData: () => stream,
    data: (payload: Buffer) => record(events, { data: payload.toString('hex') }),
  };
  for (const chunk of chunks) {
    try {
      framer.feed(chunk, sink);
    } catch (error) {
      const described = describeError(error);
      // The stream has lost its boundaries: every later push fails the same way, holding nothing.
      assert.throws(
        () => framer.push(Buffer.from([0])),
        (again) => again === error,
      );
      assert.equal(framer.bufferedBytes, 0);
      return { events, error: described };
    }
    // Memory: what is held is less than the packet it belongs to, and never more than the limit.
    assert.ok(framer.bufferedBytes <= maxPacketBytes, `${framer.bufferedBytes} bytes held`);
  }
  return { events };
}

/** MS-TSGU framing read off the whole input: cut by packetLength, DATA streamed once its 10-byte header is in. */
function reference(input: Buffer, maxPacketBytes: number, stream: boolean): FramerResult {
  const events: FramerEvent[] = [];
  let offset = 0;
  while (input.length - offset >= 8) {
    const packetType = input.readUInt16LE(offset);
    const length = input.readUInt32LE(offset + 4);
    if (length < 8 || length > maxPacketBytes) {
      return { events, error: { name: 'TsguFramingError', packetType, hresult: HResult.E_PROXY_INTERNALERROR } };
    }
    if (stream && packetType === PacketType.DATA && length >= 10 && input.length - offset >= 10) {
      if (input.readUInt16LE(offset + 8) !== length - 10) {
        const error = { name: 'TsguDecodeError', packetType, hresult: HResult.E_PROXY_INTERNALERROR };
        return { events, error };
      }
      const payload = input.subarray(offset + 10, Math.min(offset + length, input.length));
      // An empty piece marks an empty DATA packet; a payload with no byte in yet shows nothing.
      if (payload.length > 0 || length === 10) record(events, { data: payload.toString('hex') });
      offset += 10 + payload.length;
      continue;
    }
    if (input.length - offset < length) break;
    record(events, { packet: input.subarray(offset, offset + length).toString('hex') });
    offset += length;
  }
  return { events };
}

/** Sets packetLength to the buffer's length (when it has a header), as a framer-cut packet always has it. */
function fixLength(packet: Buffer): Buffer {
  const out = Buffer.from(packet);
  if (out.length >= 8) out.writeUInt32LE(out.length, 4);
  return out;
}

/** No lone surrogate: UTF-8 cannot carry one, so it would not survive the trip. */
const wellFormed = (text: string): boolean => Buffer.from(text, 'utf8').toString('utf8') === text;

const CLIENT_TYPES = new Set<number>([
  PacketType.HANDSHAKE_REQUEST,
  PacketType.TUNNEL_CREATE,
  PacketType.TUNNEL_AUTH,
  PacketType.CHANNEL_CREATE,
  PacketType.DATA,
  PacketType.KEEPALIVE,
  PacketType.CLOSE_CHANNEL,
  PacketType.CLOSE_CHANNEL_RESPONSE,
  PacketType.EXTENDED_AUTH,
]);

/** One complete packet through the codec: a value that round-trips, or a decode error with the right HRESULT. */
function decodeOne(packet: Buffer): void {
  let decoded: ReturnType<typeof decodeClientPacket>;
  try {
    decoded = decodeClientPacket(packet);
  } catch (error) {
    assert.ok(error instanceof TsguDecodeError, `only decode errors escape the codec: ${String(error)}`);
    assert.equal(error.packetType, packet.length >= 2 ? packet.readUInt16LE(0) : undefined);
    if (error instanceof TsguBadCookieError) {
      assert.equal(error.packetType, PacketType.TUNNEL_CREATE);
      assert.equal(error.hresult, HResult.E_PROXY_COOKIE_BADPACKET);
    } else {
      assert.equal(error.hresult, HResult.E_PROXY_INTERNALERROR);
    }
    return;
  }
  assert.equal(decoded.type === 'unknown', !CLIENT_TYPES.has(packet.readUInt16LE(0)));
  if (decoded.type === 'unknown') return;
  // Decoded buffers are views into the packet: nothing was allocated from a length the peer declared.
  for (const value of Object.values(decoded)) {
    if (Buffer.isBuffer(value) && value.length > 0) assert.equal(value.buffer, packet.buffer);
  }
  // Accepted strings are text a policy can compare: no NUL (it would cut the name on the other side), no lone surrogate.
  const strings =
    decoded.type === 'tunnel-auth'
      ? [decoded.clientName]
      : decoded.type === 'channel-create'
        ? [...decoded.resources, ...decoded.altResources]
        : [];
  for (const text of strings) assert.ok(!text.includes('\0') && wellFormed(text), JSON.stringify(text));
  if (decoded.type === 'tunnel-create' && decoded.paaCookie !== undefined) {
    try {
      const token = decodePaaCookie(decoded.paaCookie);
      assert.ok(token.length > 0 && !token.includes('\0') && wellFormed(token), JSON.stringify(token));
    } catch (error) {
      assert.ok(error instanceof TsguBadCookieError, String(error));
    }
  }
  if (decoded.type === 'data' && decoded.data.length === 0) return; // never encoded: the gateway sends no empty DATA
  assert.deepEqual(decodeClientPacket(encodeClientPacket(decoded)), decoded, 'decode ∘ encode ∘ decode = decode');
}

test('MS-TSGU framer: FreeRDP streams, mutated and split, whole packets and streamed DATA', async (t) => {
  await check(
    t,
    fc.property(
      fc.oneof({ arbitrary: mutated(TSGU_STREAMS), weight: 4 }, { arbitrary: randomBytes(), weight: 1 }),
      fc.oneof(fc.constant(MAX_PACKET_BYTES), fc.integer({ min: 8, max: 1000 })),
      fc.boolean(),
      splits,
      (input, maxPacketBytes, stream, cuts) => {
        const expected = reference(input, maxPacketBytes, stream);
        assert.deepEqual(frame(splitInput(input, cuts), maxPacketBytes, stream), expected);
      },
    ),
    1000,
    1,
  );
});

test('MS-TSGU codec: FreeRDP packets and the hex fixtures, mutated', async (t) => {
  await check(
    t,
    fc.property(
      mutated(TSGU_CLIENT_PACKETS),
      fc.oneof({ arbitrary: fc.constant(true), weight: 9 }, { arbitrary: fc.constant(false), weight: 1 }),
      (packet, lengthFixed) => decodeOne(lengthFixed ? fixLength(packet) : packet),
    ),
    4000,
    0.8,
  );
});

/** What the session says back, and how it ended. */
interface SessionRun {
  readonly sent: KnownServerPacket[];
  /** How it ended: at most one outcome. */
  readonly ends: TunnelOutcome[];
}

/** Which response answers a request packet the codec refused (MS-TSGU 3.7.5), or CLOSE_CHANNEL on an open channel. */
const RESPONSE_TO: Readonly<Record<number, KnownServerPacket['type']>> = {
  [PacketType.HANDSHAKE_REQUEST]: 'handshake-response',
  [PacketType.TUNNEL_CREATE]: 'tunnel-response',
  [PacketType.TUNNEL_AUTH]: 'tunnel-auth-response',
  [PacketType.CHANNEL_CREATE]: 'channel-response',
};

const codeOf = (packet: KnownServerPacket): number | undefined =>
  'errorCode' in packet ? packet.errorCode : 'statusCode' in packet ? packet.statusCode : undefined;

test('MS-TSGU tunnel: FreeRDP streams, mutated, through framer, codec and state machine', async (t) => {
  await check(
    t,
    fc.asyncProperty(mutated(TSGU_STREAMS), splits, async (input, cuts) => {
      const run: SessionRun = { sent: [], ends: [] };
      const session = new TunnelSession<{ tokenId: string }>(
        {
          authenticate: (token) => Promise.resolve({ tokenId: token.slice(0, 8) }),
          openChannel: () => Promise.resolve(),
        },
        {
          send: (packet) => {
            encodeServerPacket(packet); // the gateway encodes every answer: none may fail to encode
            run.sent.push(packet);
          },
          channelOpened: () => undefined,
          channelData: () => undefined,
          closing: () => undefined,
          ended: (outcome) => {
            run.ends.push(outcome);
            assert.equal(run.ends.length, 1, 'a session ends once');
          },
        },
      );
      const framer = new PacketFramer();
      const sink = {
        packet: (packet: Buffer) => session.receive(decodeClientPacket(packet)),
        streamData: () => session.state === 'channel-open',
        data: (payload: Buffer) => session.receive({ type: 'data', data: payload }),
      };
      for (const chunk of splitInput(input, cuts)) {
        if (run.ends.length > 0) break;
        try {
          framer.feed(chunk, sink);
        } catch (error) {
          assert.ok(error instanceof TsguError, `only MS-TSGU errors reach the tunnel: ${String(error)}`);
          const state = session.state;
          const sentBefore = run.sent.length;
          session.malformed(error);
          if (state !== 'closed') {
            assert.equal(run.ends[0]?.reason, 'protocol-error');
            assert.equal(run.ends[0]?.state, state);
            const packetType = error instanceof TsguDecodeError ? error.packetType : undefined;
            const expected =
              (packetType === undefined ? undefined : RESPONSE_TO[packetType]) ??
              (state === 'channel-open' ? 'close-channel' : undefined);
            const answers = run.sent.slice(sentBefore);
            assert.deepEqual(
              answers.map((answer) => [answer.type, codeOf(answer)]),
              expected === undefined ? [] : [[expected, error.hresult]],
              `the answer to ${error.message}`,
            );
          }
        }
        // The checks answer on a later turn; let them, as the event loop would between reads.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }),
    400,
    0.2,
  );
});
