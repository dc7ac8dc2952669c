/**
 * The bench's data path for Homegate's MS-TSGU carriers, lean enough that the load generator is not what is
 * measured. Each tunnel is opened by the test clients (`openTunnel`, `openLegacyTunnel`: TLS, HTTP, handshake,
 * tunnel, channel); then these take over the client's sockets, since nothing is in flight after the channel
 * response (the target speaks only when told to).
 *
 * Sending: one DATA packet per write, built in one buffer — for WebSocket a masked binary frame with a fresh random
 * key (what every client must do), for the legacy transport one HTTP chunk on the IN channel. Receiving: frame,
 * chunk and packet headers are parsed as they stream past and payloads are handed on as views, never copied;
 * keepalives are answered as FreeRDP does. The test clients check every protocol detail; these only have to be
 * correct and cheap.
 */
import { randomFillSync } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { unmaskInPlace } from '../../main/gateway/transport/websocket-frames.ts';
import { MAX_DATA_PAYLOAD_BYTES, PacketType } from '../../main/gateway/tsgu/constants.ts';
import type { LegacyTsguClient } from '../../test/helpers/legacy-client.ts';
import type { TsguClient } from '../../test/helpers/tsgu-client.ts';
import { QueuedStream, describeTls } from './queued-stream.ts';
import type { BenchStream } from './transports.ts';

const DATA_HEADER_BYTES = 10;
const PACKET_HEADER_BYTES = 8;
const OPCODE_CONTINUATION = 0x0;
const OPCODE_BINARY = 0x2;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;
const OPCODE_PONG = 0xa;

/** MS-TSGU packets streaming past: DATA payloads out as views, keepalives and CLOSE_CHANNEL reported. */
class PacketParser {
  readonly #header = Buffer.alloc(DATA_HEADER_BYTES);
  #headerHave = 0;
  #type = 0;
  #left = 0;
  readonly #onPayload: (payload: Buffer) => void;
  readonly #onPacket: (type: number) => void;

  constructor(onPayload: (payload: Buffer) => void, onPacket: (type: number) => void) {
    this.#onPayload = onPayload;
    this.#onPacket = onPacket;
  }

  push(bytes: Buffer): void {
    let offset = 0;
    while (offset < bytes.length) {
      if (this.#left === 0) {
        // HTTP_PACKET_HEADER, plus cbDataLen for DATA; then the body streams.
        const isData = this.#headerHave >= PACKET_HEADER_BYTES && this.#header.readUInt16LE(0) === PacketType.DATA;
        const need = isData ? DATA_HEADER_BYTES : PACKET_HEADER_BYTES;
        const take = Math.min(need - this.#headerHave, bytes.length - offset);
        bytes.copy(this.#header, this.#headerHave, offset, offset + take);
        this.#headerHave += take;
        offset += take;
        if (this.#headerHave < need) continue;
        const type = this.#header.readUInt16LE(0);
        if (type === PacketType.DATA && need === PACKET_HEADER_BYTES) continue;
        this.#type = type;
        this.#left = this.#header.readUInt32LE(4) - need;
        this.#headerHave = 0;
        if (this.#left === 0) this.#onPacket(type);
        continue;
      }
      const take = Math.min(this.#left, bytes.length - offset);
      if (this.#type === PacketType.DATA) this.#onPayload(bytes.subarray(offset, offset + take));
      offset += take;
      this.#left -= take;
      if (this.#left === 0) this.#onPacket(this.#type);
    }
  }
}

function keepalivePacket(): Buffer {
  const packet = Buffer.alloc(PACKET_HEADER_BYTES);
  packet.writeUInt16LE(PacketType.KEEPALIVE, 0);
  packet.writeUInt32LE(PACKET_HEADER_BYTES, 4);
  return packet;
}

function writeDataHeader(target: Buffer, offset: number, payloadBytes: number): void {
  target.writeUInt16LE(PacketType.DATA, offset);
  target.writeUInt16LE(0, offset + 2);
  target.writeUInt32LE(DATA_HEADER_BYTES + payloadBytes, offset + 4);
  target.writeUInt16LE(payloadBytes, offset + 8);
}

/**
 * The frames built for the payload written last, reused while the same payload is written again (only for writes
 * flagged `unchanging`). The bulk phases write one block over and over, and building each frame anew (a 16 KiB allocation, a copy, the mask) cost the load
 * generator more than the gateway spent on it, so the client, not the gateway, set the upload figures. `copies` frames are built and then taken in
 * turn: WebSocket frames each carry their own random masking key.
 */
class FrameMemo {
  readonly #copies: number;
  readonly #build: (payload: Buffer) => Buffer;
  #payload: { buffer: ArrayBufferLike; offset: number; length: number } | undefined;
  #frames: Buffer[] = [];
  #next = 0;

  constructor(copies: number, build: (payload: Buffer) => Buffer) {
    this.#copies = copies;
    this.#build = build;
  }

  frame(payload: Buffer): Buffer {
    const last = this.#payload;
    if (last?.buffer !== payload.buffer || last.offset !== payload.byteOffset || last.length !== payload.length) {
      this.#payload = { buffer: payload.buffer, offset: payload.byteOffset, length: payload.length };
      this.#frames = [];
      this.#next = 0;
    }
    if (this.#frames.length < this.#copies) {
      const frame = this.#build(payload);
      this.#frames.push(frame);
      return frame;
    }
    const frame = this.#frames[this.#next];
    this.#next = (this.#next + 1) % this.#copies;
    return frame;
  }
}

/** MS-TSGU over WebSocket. */
export class LeanWebSocketStream extends QueuedStream {
  readonly tls: BenchStream['tls'];
  readonly #socket: TLSSocket;
  readonly #packets: PacketParser;
  // Frame parser: header bytes gathered across chunks, then `#frameLeft` payload bytes.
  readonly #frameHeader = Buffer.alloc(10);
  #frameHeaderHave = 0;
  #frameLeft = 0;
  #frameOpcode = 0;
  #control: Buffer[] = [];
  #maskPool = Buffer.alloc(0);
  #maskOffset = 0;
  readonly #memo = new FrameMemo(16, (payload) => this.#dataFrame(payload));

  constructor(client: TsguClient, timeoutMs: number) {
    super(client.socket, timeoutMs);
    this.#socket = client.socket;
    this.tls = describeTls(client.socket);
    this.#packets = new PacketParser(
      (payload) => this.deliver(payload),
      (type) => {
        if (type === PacketType.KEEPALIVE) this.#socket.write(this.#frame(OPCODE_BINARY, keepalivePacket()));
        else if (type === PacketType.CLOSE_CHANNEL) this.end(new Error('the gateway closed the channel'));
      },
    );
  }

  protected get sink(): Socket {
    return this.#socket;
  }

  write(data: Buffer, unchanging = false): boolean {
    let writable = true;
    for (let offset = 0; offset < data.length; offset += MAX_DATA_PAYLOAD_BYTES) {
      const payload = data.subarray(offset, offset + MAX_DATA_PAYLOAD_BYTES);
      writable = this.#socket.write(unchanging ? this.#memo.frame(payload) : this.#dataFrame(payload));
    }
    return writable;
  }

  destroy(): void {
    this.#socket.destroy();
  }

  /** [0x82][mask bit + length][u16 or u64 length?][key][DATA header][payload], masked from the DATA header on. */
  #dataFrame(payload: Buffer): Buffer {
    const body = DATA_HEADER_BYTES + payload.length;
    // A 65,535-byte payload (FreeRDP's largest) makes a 65,545-byte body: the 64-bit length form.
    const lengthBytes = body < 126 ? 0 : body <= 0xffff ? 2 : 8;
    const start = 2 + lengthBytes + 4;
    const frame = Buffer.allocUnsafe(start + body);
    frame[0] = 0x80 | OPCODE_BINARY;
    if (lengthBytes === 0) frame[1] = 0x80 | body;
    else if (lengthBytes === 2) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(body, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeBigUInt64BE(BigInt(body), 2);
    }
    const key = this.#nextMaskKey();
    key.copy(frame, 2 + lengthBytes);
    writeDataHeader(frame, start, payload.length);
    payload.copy(frame, start + DATA_HEADER_BYTES);
    unmaskInPlace(frame.subarray(start), key);
    return frame;
  }

  /** A small masked frame (pong, keepalive). */
  #frame(opcode: number, payload: Buffer): Buffer {
    const frame = Buffer.alloc(6 + payload.length);
    frame[0] = 0x80 | opcode;
    frame[1] = 0x80 | payload.length;
    const key = this.#nextMaskKey();
    key.copy(frame, 2);
    payload.copy(frame, 6);
    unmaskInPlace(frame.subarray(6), key);
    return frame;
  }

  #nextMaskKey(): Buffer {
    if (this.#maskOffset + 4 > this.#maskPool.length) {
      this.#maskPool = randomFillSync(Buffer.allocUnsafe(4096));
      this.#maskOffset = 0;
    }
    const key = this.#maskPool.subarray(this.#maskOffset, this.#maskOffset + 4);
    this.#maskOffset += 4;
    return key;
  }

  protected parse(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#frameLeft === 0) {
        // The frame header: 2 bytes, then 0, 2 or 8 bytes of length (server frames carry no key).
        const need = this.#frameHeaderHave < 2 ? 2 : 2 + extendedLengthBytes(this.#frameHeader[1]);
        const take = Math.min(need - this.#frameHeaderHave, chunk.length - offset);
        chunk.copy(this.#frameHeader, this.#frameHeaderHave, offset, offset + take);
        this.#frameHeaderHave += take;
        offset += take;
        if (this.#frameHeaderHave < need) continue;
        if (need === 2 && extendedLengthBytes(this.#frameHeader[1]) > 0) continue;
        this.#startFrame();
        if (this.#frameLeft === 0) this.#endFrame();
        continue;
      }
      const take = Math.min(this.#frameLeft, chunk.length - offset);
      const piece = chunk.subarray(offset, offset + take);
      offset += take;
      this.#frameLeft -= take;
      if (this.#frameOpcode >= OPCODE_CLOSE) this.#control.push(piece);
      else this.#packets.push(piece);
      if (this.#frameLeft === 0) this.#endFrame();
    }
  }

  #startFrame(): void {
    const b0 = this.#frameHeader[0];
    const b1 = this.#frameHeader[1];
    if (b1 & 0x80) throw new Error('masked frame from the gateway');
    const length7 = b1 & 0x7f;
    this.#frameLeft =
      length7 === 126
        ? this.#frameHeader.readUInt16BE(2)
        : length7 === 127
          ? Number(this.#frameHeader.readBigUInt64BE(2))
          : length7;
    const opcode = b0 & 0x0f;
    if (opcode !== OPCODE_CONTINUATION) this.#frameOpcode = opcode;
    this.#frameHeaderHave = 0;
    this.#control = [];
  }

  #endFrame(): void {
    if (this.#frameOpcode === OPCODE_PING) this.#socket.write(this.#frame(OPCODE_PONG, Buffer.concat(this.#control)));
    else if (this.#frameOpcode === OPCODE_CLOSE) this.end(new Error('the gateway closed the WebSocket'));
  }
}

/** MS-TSGU over the legacy pair: packets arrive raw on OUT, leave as one HTTP chunk each on IN. */
export class LeanLegacyStream extends QueuedStream {
  readonly tls: BenchStream['tls'];
  readonly #out: Socket;
  readonly #in: Socket;
  readonly #packets: PacketParser;
  readonly #memo = new FrameMemo(1, (payload) => this.#dataChunk(payload));

  constructor(client: LegacyTsguClient, timeoutMs: number) {
    super(client.out, timeoutMs);
    this.#out = client.out;
    this.#in = client.in;
    this.tls = 'getProtocol' in client.out ? describeTls(client.out as TLSSocket) : undefined;
    this.#packets = new PacketParser(
      (payload) => this.deliver(payload),
      (type) => {
        if (type === PacketType.KEEPALIVE) this.#in.write(httpChunk(keepalivePacket()));
        else if (type === PacketType.CLOSE_CHANNEL) this.end(new Error('the gateway closed the channel'));
      },
    );
  }

  protected get sink(): Socket {
    return this.#in;
  }

  write(data: Buffer, unchanging = false): boolean {
    let writable = true;
    for (let offset = 0; offset < data.length; offset += MAX_DATA_PAYLOAD_BYTES) {
      const payload = data.subarray(offset, offset + MAX_DATA_PAYLOAD_BYTES);
      writable = this.#in.write(unchanging ? this.#memo.frame(payload) : this.#dataChunk(payload));
    }
    return writable;
  }

  destroy(): void {
    this.#out.destroy();
    this.#in.destroy();
  }

  /** One HTTP chunk per DATA packet: `<hex length>\r\n`, the packet, `\r\n`. */
  #dataChunk(payload: Buffer): Buffer {
    const packet = Buffer.allocUnsafe(DATA_HEADER_BYTES + payload.length);
    writeDataHeader(packet, 0, payload.length);
    payload.copy(packet, DATA_HEADER_BYTES);
    return httpChunk(packet);
  }

  protected parse(chunk: Buffer): void {
    this.#packets.push(chunk);
  }
}

function httpChunk(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);
}

function extendedLengthBytes(b1: number): number {
  const length7 = b1 & 0x7f;
  return length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
}
