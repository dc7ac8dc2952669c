import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { MAX_PACKET_BYTES } from '../tsgu/constants.ts';
import { SEND_HIGH_WATER_BYTES, type PacketTransport, type TransportHandlers } from './packet-transport.ts';

/** The server side of `ws` as its own server builds it; neither the null address nor `setSocket` is in its types. */
interface ServerSideWebSocket extends WebSocket {
  setSocket(
    socket: Socket,
    head: Buffer,
    options: { maxPayload: number; skipUTF8Validation: boolean; allowSynchronousEvents: boolean },
  ): void;
}
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
 * The `ws` library does the framing, masking checks and control frames; `setSocket` is the entry its own server
 * uses, which accepts the custom `RDG_OUT_DATA` upgrade that its `handleUpgrade` refuses (ws is pinned for this).
 */
export class WebSocketTransport implements PacketTransport {
  readonly kind = 'websocket' as const;
  readonly remoteAddress: string;
  readonly #ws: ServerSideWebSocket;
  #handlers: TransportHandlers | undefined;
  #closed = false;
  #aboveHighWater = false;

  constructor(socket: Socket, head: Buffer, remoteAddress: string) {
    this.remoteAddress = remoteAddress;
    this.#ws = new ServerWebSocket(null, undefined, {});
    this.#ws.setSocket(socket, head, {
      // A frame may carry at most one full-size packet plus slack; anything larger ends the tunnel (close 1009).
      maxPayload: MAX_PACKET_BYTES,
      skipUTF8Validation: true,
      allowSynchronousEvents: true,
    });
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
    this.#ws.send(packet, { binary: true }, this.#onWritten);
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

  readonly #onWritten = (error?: Error): void => {
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

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
