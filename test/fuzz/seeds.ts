/**
 * The fuzz seeds: the captured FreeRDP 2.11 streams (test/fixtures/freerdp/, see its README), cut into what each
 * parser reads, plus the MS-TSGU hex fixtures. The cutting here is plain and assumes well-formed captures; it
 * fails loudly if a capture is not what the README says.
 */
import { readFileSync } from 'node:fs';
import { TSGU_FIXTURES } from '../fixtures/tsgu-packets.ts';

const FIXTURES = new URL('../fixtures/freerdp/', import.meta.url);
const capture = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));

export const WEBSOCKET_CAPTURE = capture('websocket-0.bin');
export const LEGACY_OUT_CAPTURE = capture('legacy-0.bin');
export const LEGACY_IN_CAPTURE = capture('legacy-1.bin');
export const RELAY_CAPTURE = capture('relay-0.bin');

const HEAD_END = Buffer.from('\r\n\r\n');

/** A capture's request heads in order, and what follows the last one (a WebSocket stream or a chunked body). */
function cutHeads(stream: Buffer): { heads: Buffer[]; body: Buffer } {
  const heads: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const end = stream.indexOf(HEAD_END, offset);
    if (end === -1) throw new Error('a capture without a complete request head');
    const head = stream.subarray(offset, end + HEAD_END.length);
    heads.push(head);
    offset = end + HEAD_END.length;
    const text = head.toString('latin1').toLowerCase();
    // A head with an empty body is followed by the next request; any other ends the heads.
    if (!text.includes('content-length: 0\r\n') || text.includes('upgrade: websocket')) break;
    if (offset === stream.length) break;
  }
  return { heads, body: stream.subarray(offset) };
}

const websocket = cutHeads(WEBSOCKET_CAPTURE);
const legacyOut = cutHeads(LEGACY_OUT_CAPTURE);
const legacyIn = cutHeads(LEGACY_IN_CAPTURE);

/** Every request head FreeRDP sent: RDG_OUT_DATA with and without the upgrade, RDG_IN_DATA empty and chunked. */
export const REQUEST_HEADS: readonly Buffer[] = [...websocket.heads, ...legacyOut.heads, ...legacyIn.heads];

/** The client's WebSocket frames after the upgrade head. */
export const WEBSOCKET_FRAMES: Buffer = websocket.body;

/** The legacy IN channel's chunked request body. */
export const CHUNKED_BODY: Buffer = legacyIn.body;

/** The preconnection PDU and the RDP bytes after it, as the relay reads them. */
export const PCB_STREAM: Buffer = RELAY_CAPTURE;

/** Payloads of complete, masked client frames (binary or continuation), unmasked; a cut-off last frame is dropped. */
function unmaskFrames(stream: Buffer): Buffer {
  const payloads: Buffer[] = [];
  let offset = 0;
  while (offset + 2 <= stream.length) {
    const length7 = stream[offset + 1] & 0x7f;
    const extra = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
    const maskAt = offset + 2 + extra;
    if (maskAt + 4 > stream.length) break;
    const length =
      length7 === 126
        ? stream.readUInt16BE(offset + 2)
        : length7 === 127
          ? Number(stream.readBigUInt64BE(offset + 2))
          : length7;
    const start = maskAt + 4;
    if (start + length > stream.length) break;
    const payload = Buffer.from(stream.subarray(start, start + length));
    for (let i = 0; i < payload.length; i++) payload[i] ^= stream[maskAt + (i & 3)];
    if ((stream[offset] & 0x0f) <= 0x2) payloads.push(payload);
    offset = start + length;
  }
  return Buffer.concat(payloads);
}

/** The data of complete chunks of a chunked body (extensions ignored); stops at a cut-off chunk. */
function dechunk(body: Buffer): Buffer {
  const payloads: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd === -1) break;
    const size = Number.parseInt(body.toString('latin1', offset, lineEnd).split(';')[0] ?? '', 16);
    const start = lineEnd + 2;
    if (!(size > 0) || start + size + 2 > body.length) break;
    payloads.push(body.subarray(start, start + size));
    offset = start + size + 2;
  }
  return Buffer.concat(payloads);
}

/** MS-TSGU client streams: what FreeRDP sent inside the WebSocket and inside the legacy IN body. */
export const TSGU_STREAMS: readonly Buffer[] = [unmaskFrames(WEBSOCKET_FRAMES), dechunk(CHUNKED_BODY)];

/** `stream` cut into whole packets by their packetLength (a cut-off last packet is dropped). */
function cutPackets(stream: Buffer): Buffer[] {
  const packets: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= stream.length) {
    const length = stream.readUInt32LE(offset + 4);
    if (length < 8 || offset + length > stream.length) break;
    packets.push(stream.subarray(offset, offset + length));
    offset += length;
  }
  return packets;
}

/** Single MS-TSGU client packets: FreeRDP's, and the client-side hex fixtures. */
export const TSGU_CLIENT_PACKETS: readonly Buffer[] = [
  ...TSGU_STREAMS.flatMap(cutPackets),
  ...TSGU_FIXTURES.filter((fixture) => fixture.direction !== 'server').map((fixture) =>
    Buffer.from(fixture.hex.replace(/[\s|]/g, ''), 'hex'),
  ),
];

/** The PAA tokens in FreeRDP's TUNNEL_CREATE packets (UTF-16LE, NULs stripped). */
function paaTokens(): string[] {
  return TSGU_CLIENT_PACKETS.filter((packet) => packet.readUInt16LE(0) === 0x4 && packet.length > 18)
    .map((packet) => packet.toString('utf16le', 18, 18 + packet.readUInt16LE(16)).replace(/\0+$/, ''))
    .filter((token) => token.startsWith('eyJ'));
}

/** The ASSOCIATION token in the captured preconnection PDU. */
function associationToken(): string {
  const size = PCB_STREAM.readUInt32LE(0);
  return PCB_STREAM.toString('utf16le', 18, size).replace(/\0+$/, '');
}

/** Every token FreeRDP carried: PAA (in each gateway capture) and ASSOCIATION (relay). */
export const CAPTURED_TOKENS: readonly string[] = [...paaTokens(), associationToken()];

for (const [name, seeds] of Object.entries({ REQUEST_HEADS, TSGU_CLIENT_PACKETS, CAPTURED_TOKENS })) {
  if (seeds.length === 0) throw new Error(`no ${name} in the captures`);
}
