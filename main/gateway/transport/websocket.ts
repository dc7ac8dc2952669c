import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { endianness } from 'node:os';
import { WebSocket } from 'ws';
import { writeDataHeaderAt } from '../tsgu/codec.ts';
import { DATA_HEADER_BYTES, MAX_PACKET_BYTES } from '../tsgu/constants.ts';
import { SEND_HIGH_WATER_BYTES, type PacketTransport, type TransportHandlers } from './packet-transport.ts';

/** The server side of `ws` as its own server builds it; neither the null address nor `setSocket` is in its types. */
interface ServerSideWebSocket extends WebSocket {
  setSocket(
    socket: Socket,
    head: Buffer,
    options: { maxPayload: number; skipUTF8Validation: boolean; allowSynchronousEvents: boolean },
  ): void;
  /** The frame parser `setSocket` attached (ws/lib/receiver.js). */
  readonly _receiver?: unknown;
}

/** The parts of ws' frame parser that `installFastUnmask` uses; ws is pinned, and a unit test checks they exist. */
interface ReceiverInternals {
  _state: number;
  _masked: boolean;
  _mask: Buffer | undefined;
  consume(n: number): Buffer;
}
/** ws' parser state while it takes a frame's payload (GET_DATA in ws/lib/receiver.js). */
const RECEIVER_GET_DATA = 4;
/** A masking key of zeros: ws skips unmasking a payload whose key is all zeros. Never written to. */
const ZERO_MASK = Buffer.alloc(4);
/** Below this many bytes a byte loop beats setting up a word view. */
const WORD_UNMASK_MIN_BYTES = 32;
const LITTLE_ENDIAN = endianness() === 'LE';
/**
 * Frames up to this size are copied into one buffer (Buffer's pool serves them); larger ones are written as header
 * + body without a copy (bench/README.md: a 64 KiB copy cost more than the writev it saves).
 */
const COPY_FRAME_MAX_BYTES = 4096;

const ServerWebSocket = WebSocket as unknown as new (
  address: null,
  protocols: undefined,
  options: object,
) => ServerSideWebSocket;

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** How long a graceful close waits for the client's close frame before dropping the connection. */
const CLOSE_TIMEOUT_MS = 2000;

/**
 * `Sec-WebSocket-Accept` for a key exactly as the client sent it. FreeRDP 2.x sends 15 characters that are not
 * base64, so the key is only checked for being printable and short, never decoded.
 */
export function websocketAccept(key: string): string {
  return createHash('sha1')
    .update(key + WEBSOCKET_GUID)
    .digest('base64');
}

export function isAcceptableWebSocketKey(key: string | undefined): key is string {
  return key !== undefined && /^[\x21-\x7e]{1,64}$/.test(key);
}

export function switchingProtocolsResponse(key: string): string {
  return (
    'HTTP/1.1 101 Switching Protocols\r\n' +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${websocketAccept(key)}\r\n\r\n`
  );
}

/**
 * MS-TSGU over a WebSocket that has already been upgraded (the 101 is written by the caller).
 * The `ws` library parses the client's frames (masking checks, fragments, limits), answers control frames and runs
 * the close handshake; `setSocket` is the entry its own server uses, which accepts the custom `RDG_OUT_DATA` upgrade
 * that its `handleUpgrade` refuses (ws is pinned for this and for `installFastUnmask`). Data frames out are built
 * here, one buffer and one write per packet (bench/README.md has the measurements).
 */
export class WebSocketTransport implements PacketTransport {
  readonly kind = 'websocket' as const;
  readonly remoteAddress: string;
  readonly #socket: Socket;
  readonly #ws: ServerSideWebSocket;
  #handlers: TransportHandlers | undefined;
  #closed = false;
  #aboveHighWater = false;

  constructor(socket: Socket, head: Buffer, remoteAddress: string) {
    this.remoteAddress = remoteAddress;
    this.#socket = socket;
    this.#ws = new ServerWebSocket(null, undefined, {});
    this.#ws.setSocket(socket, head, {
      // A frame may carry at most one full-size packet plus slack; anything larger ends the tunnel (close 1009).
      maxPayload: MAX_PACKET_BYTES,
      skipUTF8Validation: true,
      allowSynchronousEvents: true,
    });
    installFastUnmask(this.#ws._receiver);
  }

  start(handlers: TransportHandlers): void {
    this.#handlers = handlers;
    const ws = this.#ws;
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        // MS-TSGU travels in binary frames only; a text frame is a confused or hostile client. End the tunnel now,
        // as a failure: waiting for the client's close frame would log it as a normal client close.
        this.#closeWith(1003, 'binary frames only');
        this.#finish(new Error('text frame received; MS-TSGU travels in binary frames only'));
        return;
      }
      handlers.data(toBuffer(data));
    });
    ws.on('close', () => this.#finish());
    ws.on('error', (error) => this.#finish(error));
  }

  send(packet: Buffer): boolean {
    if (this.#closed || this.#ws.readyState !== WebSocket.OPEN) return true;
    this.#writeFrame(frameHeader(packet.length), packet);
    return this.#checkHighWater();
  }

  /**
   * Sends one DATA packet carrying `payload` (1..65535 bytes): what `send(encodeDataPacket(payload))` sends, without
   * building the packet — the frame and DATA headers go in front of the payload as it is.
   */
  sendData(payload: Buffer): boolean {
    if (this.#closed || this.#ws.readyState !== WebSocket.OPEN) return true;
    this.#writeFrame(dataFrameHeader(payload.length), payload);
    return this.#checkHighWater();
  }

  /**
   * One frame, written straight to the socket rather than through ws' send(), which allocates and corks a header
   * for every packet. A small frame is copied into one buffer (pooled memory, one write); a large one is corked as
   * header + body, which TLS copies into one record run itself, so no large buffer is allocated per packet here.
   * Order with ws' own frames (pong, close) holds: with no extension negotiated, ws writes each frame to this socket
   * synchronously too, and stops us at CLOSING.
   */
  #writeFrame(header: Buffer, body: Buffer): void {
    const socket = this.#socket;
    if (body.length <= COPY_FRAME_MAX_BYTES) {
      const frame = Buffer.allocUnsafe(header.length + body.length);
      header.copy(frame, 0);
      body.copy(frame, header.length);
      socket.write(frame, this.#onWritten);
      return;
    }
    socket.cork();
    socket.write(header);
    socket.write(body, this.#onWritten);
    socket.uncork();
  }

  #checkHighWater(): boolean {
    if (this.#ws.bufferedAmount > SEND_HIGH_WATER_BYTES) this.#aboveHighWater = true;
    return !this.#aboveHighWater;
  }

  pause(): void {
    this.#ws.pause();
  }

  resume(): void {
    this.#ws.resume();
  }

  close(): void {
    if (this.#closed) return;
    this.#closeWith(1000);
  }

  destroy(): void {
    this.#ws.terminate();
  }

  #closeWith(code: number, reason?: string): void {
    this.#ws.close(code, reason);
    setTimeout(() => this.#ws.terminate(), CLOSE_TIMEOUT_MS).unref();
  }

  readonly #onWritten = (error?: Error | null): void => {
    if (error || !this.#aboveHighWater) return;
    if (this.#ws.bufferedAmount <= SEND_HIGH_WATER_BYTES / 2) {
      this.#aboveHighWater = false;
      this.#handlers?.drain();
    }
  };

  #finish(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers?.closed(error);
  }
}

/** A server's binary frame around `payload` in one buffer (tests and small packets). */
export function binaryFrame(payload: Buffer): Buffer {
  return Buffer.concat([frameHeader(payload.length), payload]);
}

/**
 * The header of a server's binary frame of `length` bytes (RFC 6455 §5.2): FIN + opcode 2, no mask, then the
 * length in 7 bits, or 126 + u16, or 127 + u64 (big-endian).
 */
export function frameHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(frameHeaderBytes(length));
  writeFrameHeader(header, length);
  return header;
}

/** The frame header and the HTTP_DATA_PACKET header in front of a DATA payload of `payloadBytes` (1..65535). */
export function dataFrameHeader(payloadBytes: number): Buffer {
  const packetBytes = DATA_HEADER_BYTES + payloadBytes;
  const frameBytes = frameHeaderBytes(packetBytes);
  const header = Buffer.allocUnsafe(frameBytes + DATA_HEADER_BYTES);
  writeFrameHeader(header, packetBytes);
  writeDataHeaderAt(header, frameBytes, payloadBytes);
  return header;
}

/** Size of a server frame's header for `length` payload bytes: the 7-bit, 16-bit or 64-bit length form. */
function frameHeaderBytes(length: number): number {
  return length < 126 ? 2 : length <= 0xffff ? 4 : 10;
}

function writeFrameHeader(frame: Buffer, length: number): void {
  frame[0] = 0x82;
  if (length < 126) {
    frame[1] = length;
  } else if (length <= 0xffff) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    // A packet is far below 2^32 bytes (MAX_PACKET_BYTES): the high word is zero.
    frame.writeUInt32BE(0, 2);
    frame.writeUInt32BE(length, 6);
  }
}

/**
 * Client frames are masked, and on Node 20 without the optional native `bufferutil`, ws unmasks them one byte at a
 * time — the largest cost of client → target bytes in profiles (bench/README.md). This takes each payload as ws'
 * parser consumes it, unmasks it a 32-bit word at a time, and hands ws a zero key, which ws skips. Control frames
 * and fragments go through the same step, each with its own key. Returns false, leaving ws' own unmasking in place,
 * when the parser does not have the expected shape.
 */
export function installFastUnmask(receiver: unknown): boolean {
  const parser = receiver as Partial<ReceiverInternals> | undefined;
  if (
    typeof parser?.consume !== 'function' ||
    typeof parser._state !== 'number' ||
    typeof parser._masked !== 'boolean'
  ) {
    return false;
  }
  const consume = parser.consume;
  parser.consume = function (this: ReceiverInternals, n: number): Buffer {
    const bytes = consume.call(this, n);
    // In GET_DATA, consume() is only called for the payload, and the key read just before is in _mask.
    if (this._state === RECEIVER_GET_DATA && this._masked && this._mask !== undefined) {
      unmaskInPlace(bytes, this._mask);
      this._mask = ZERO_MASK;
    }
    return bytes;
  };
  return true;
}

/** XORs `data` in place with the 4-byte masking key (RFC 6455 §5.3), a 32-bit word at a time where aligned. */
export function unmaskInPlace(data: Buffer, mask: Buffer): void {
  const length = data.length;
  let i = 0;
  if (length >= WORD_UNMASK_MIN_BYTES) {
    // Typed-array views must be aligned: bytes up to the first 4-byte boundary go one at a time.
    const lead = (4 - (data.byteOffset & 3)) & 3;
    for (; i < lead; i++) data[i] ^= mask[i & 3];
    const words = (length - i) >>> 2;
    // The key rotated to start at byte i, as a word in the platform's byte order (typed arrays use it).
    const b0 = mask[i & 3];
    const b1 = mask[(i + 1) & 3];
    const b2 = mask[(i + 2) & 3];
    const b3 = mask[(i + 3) & 3];
    const key = LITTLE_ENDIAN
      ? (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0
      : ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
    const view = new Uint32Array(data.buffer, data.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w] ^= key;
    i += words * 4;
  }
  for (; i < length; i++) data[i] ^= mask[i & 3];
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
