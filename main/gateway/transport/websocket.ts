import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { MAX_PACKET_BYTES } from '../tsgu/constants.ts';
import {
  DATA_HEADROOM_BYTES,
  SEND_HIGH_WATER_BYTES,
  SendWindow,
  type PacketTransport,
  type TransportHandlers,
} from './packet-transport.ts';
import {
  ClientFrameParser,
  CloseCode,
  Opcode,
  closeFrame,
  frameHeader,
  serverFrame,
  writeDataFrameHeadersBefore,
} from './websocket-frames.ts';

/**
 * Frames up to this size are copied into one buffer (Buffer's pool serves them); larger ones are written as header
 * + body without a copy (bench/README.md: a 64 KiB copy cost more than the writev it saves).
 */
const COPY_FRAME_MAX_BYTES = 4096;

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

/** The 101 for `key`, naming the subprotocol chosen from the client's offer, if any (RFC 6455 §4.2.2). */
export function switchingProtocolsResponse(key: string, protocol?: string): string {
  return (
    'HTTP/1.1 101 Switching Protocols\r\n' +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${websocketAccept(key)}\r\n` +
    (protocol === undefined ? '' : `Sec-WebSocket-Protocol: ${protocol}\r\n`) +
    '\r\n'
  );
}

/**
 * MS-TSGU over a WebSocket that has already been upgraded (the 101 is written by the caller), on the socket itself:
 * client frames are parsed as they stream in and their payloads handed on unmasked in place, never assembled
 * (websocket-frames.ts); data frames out are one write per packet; pings are answered; the close handshake is
 * run with a time limit. A protocol violation fails the connection with its close code (1002, 1003, 1009).
 */
export class WebSocketTransport implements PacketTransport {
  readonly kind = 'websocket' as const;
  readonly remoteAddress: string;
  readonly #socket: Socket;
  readonly #parser: ClientFrameParser;
  #head: Buffer;
  #handlers: TransportHandlers | undefined;
  /** The transport has reported `closed`: nothing more is delivered. */
  #closed = false;
  /** A close frame went out: nothing more may follow it. */
  #closeSent = false;
  #closeTimer: NodeJS.Timeout | undefined;
  readonly #window: SendWindow;

  constructor(socket: Socket, head: Buffer, remoteAddress: string) {
    this.remoteAddress = remoteAddress;
    this.#socket = socket;
    this.#head = head;
    this.#window = new SendWindow(socket, () => this.#handlers?.drain());
    // A frame may carry at most one full-size packet plus slack; anything larger ends the tunnel (close 1009).
    this.#parser = new ClientFrameParser(
      {
        data: (bytes) => {
          if (!this.#closed) this.#handlers?.data(bytes);
        },
        // A client that pings without reading is not answered beyond the high-water mark (RFC 6455 §5.5.3 allows
        // answering only the latest ping), so it cannot make the gateway buffer without limit.
        ping: (payload) => {
          if (this.#closeSent || this.#socket.writableLength > SEND_HIGH_WATER_BYTES) return;
          this.#socket.write(serverFrame(Opcode.PONG, payload));
        },
        close: (code) => this.#onPeerClose(code),
        fail: (code, message) => this.#fail(code, message),
      },
      MAX_PACKET_BYTES,
    );
  }

  start(handlers: TransportHandlers): void {
    this.#handlers = handlers;
    const socket = this.#socket;
    socket.on('data', (chunk: Buffer) => this.#parser.push(chunk));
    // A connection reset or dropped without a close frame is the client going away, not a protocol failure.
    socket.on('error', () => this.#finish());
    socket.on('close', () => {
      clearTimeout(this.#closeTimer);
      this.#finish();
    });
    const head = this.#head;
    this.#head = Buffer.alloc(0);
    if (head.length > 0) this.#parser.push(head);
  }

  send(packet: Buffer): boolean {
    if (this.#closeSent || this.#closed) return true;
    this.#writeFrame(frameHeader(packet.length), packet);
    return this.#window.check();
  }

  sendDataWithRoom(buffer: Buffer): boolean {
    if (this.#closeSent || this.#closed) return true;
    const start = writeDataFrameHeadersBefore(buffer, DATA_HEADROOM_BYTES);
    this.#socket.write(buffer.subarray(start), this.#window.written);
    return this.#window.check();
  }

  /**
   * One frame: a small one copied into one buffer (pooled memory, one write); a large one corked as header + body,
   * which TLS copies into one record run itself, so no large buffer is allocated per packet here.
   */
  #writeFrame(header: Buffer, body: Buffer): void {
    const socket = this.#socket;
    if (body.length <= COPY_FRAME_MAX_BYTES) {
      const frame = Buffer.allocUnsafe(header.length + body.length);
      header.copy(frame, 0);
      body.copy(frame, header.length);
      socket.write(frame, this.#window.written);
      return;
    }
    socket.cork();
    socket.write(header);
    socket.write(body, this.#window.written);
    socket.uncork();
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    if (!this.#closed) this.#socket.resume();
  }

  /** Sends a normal close frame and waits, for a limited time, for the client's. */
  close(): void {
    if (this.#closed || this.#closeSent) return;
    this.#sendClose(CloseCode.NORMAL);
  }

  destroy(): void {
    clearTimeout(this.#closeTimer);
    this.#parser.stop();
    this.#socket.destroy();
  }

  #sendClose(code: number, reason?: string): void {
    this.#closeSent = true;
    if (this.#socket.writable) this.#socket.write(closeFrame(code, reason));
    // The client's close frame must be read even if reading was paused for a slow target.
    this.#socket.resume();
    this.#closeTimer = setTimeout(() => this.destroy(), CLOSE_TIMEOUT_MS);
    this.#closeTimer.unref();
  }

  /** The client's close frame: the handshake is complete (answering it first when the client started it). */
  #onPeerClose(code: number | undefined): void {
    if (!this.#closeSent) this.#sendClose(code ?? CloseCode.NORMAL);
    this.#socket.end();
    this.#finish();
  }

  /** Fails the connection (RFC 6455 §7.1.7): the close code goes out, the socket is closed after it. */
  #fail(code: number, message: string): void {
    // The reason tells the client what it did wrong (cut to the 123 bytes a close frame has for it).
    if (!this.#closeSent) this.#sendClose(code, message);
    this.#socket.end();
    this.#finish(new Error(message));
  }

  #finish(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers?.closed(error);
  }
}
