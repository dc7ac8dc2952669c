/**
 * MS-TSGU's legacy two-channel HTTP transport (RDG_OUT_DATA and RDG_IN_DATA, MS-TSGU §2.2.3): two long-lived
 * requests on two connections, paired by `RDG-Connection-Id`, together one `PacketTransport`.
 *
 *   OUT  RDG_OUT_DATA (no upgrade)  ← 200 without Content-Length, 10 random seed bytes, then the server's packets raw
 *   IN   RDG_IN_DATA                ← 200 + Content-Length: 0; the client then sends a second request head on the
 *                                     same connection with Transfer-Encoding: chunked, one packet per chunk, which
 *                                     is never answered
 *
 * The HTTP side (heads, pairing) is done by the caller; this transport gets both sockets once the pair is complete.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { writeDataHeaderAt } from '../tsgu/codec.ts';
import { DATA_HEADER_BYTES } from '../tsgu/constants.ts';
import type { BodyDecoder } from './chunked-decoder.ts';
import { DATA_HEADROOM_BYTES, SendWindow, type PacketTransport, type TransportHandlers } from './packet-transport.ts';

/** FreeRDP reads exactly this many bytes after the OUT channel's 200 before it expects packet headers. */
export const LEGACY_SEED_BYTES = 10;
/** How long a graceful close waits for the client to close both connections before dropping them. */
const CLOSE_TIMEOUT_MS = 2000;

/**
 * The OUT channel's answer: 200 with neither Content-Length nor Transfer-Encoding (a body that lasts until the
 * connection closes), then the random seed. A Content-Length would make FreeRDP read fewer seed bytes.
 */
export function legacyOutResponse(now: Date = new Date()): Buffer {
  const head = `HTTP/1.1 200 OK\r\nDate: ${now.toUTCString()}\r\nCache-Control: no-cache\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), randomBytes(LEGACY_SEED_BYTES)]);
}

/** The IN channel's first answer; the client then sends the request that carries its packets. */
export function legacyInResponse(now: Date = new Date()): string {
  return `HTTP/1.1 200 OK\r\nDate: ${now.toUTCString()}\r\nContent-Length: 0\r\n\r\n`;
}

export interface LegacyChannels {
  /** The OUT connection, its 200 and seed already written. */
  readonly out: Socket;
  /** The IN connection, positioned at the start of the body that carries the client's packets. */
  readonly in: Socket;
  /** Body bytes read together with the IN request's head. */
  readonly inRest: Buffer;
  /** Decodes the IN request's body framing (chunked, or a declared length). */
  readonly inBody: BodyDecoder;
}

/**
 * The pair of legacy channels as one packet transport: packets to the client go raw onto OUT, the client's packets
 * come out of IN's body. Closing either connection ends the transport (and so the tunnel).
 */
export class LegacyHttpTransport implements PacketTransport {
  readonly kind = 'http' as const;
  readonly remoteAddress: string;
  readonly #out: Socket;
  readonly #in: Socket;
  readonly #inBody: BodyDecoder;
  #inRest: Buffer;
  #handlers: TransportHandlers | undefined;
  #closed = false;
  readonly #window: SendWindow;
  #closeTimer: NodeJS.Timeout | undefined;

  constructor(channels: LegacyChannels, remoteAddress: string) {
    this.remoteAddress = remoteAddress;
    this.#out = channels.out;
    this.#in = channels.in;
    this.#inRest = channels.inRest;
    this.#inBody = channels.inBody;
    this.#window = new SendWindow(channels.out, () => this.#handlers?.drain());
  }

  start(handlers: TransportHandlers): void {
    this.#handlers = handlers;
    const out = this.#out;
    const input = this.#in;
    // The client says nothing more on OUT; reading it is how a closed connection is noticed.
    out.on('data', discard);
    for (const socket of [out, input]) {
      socket.on('error', (error) => this.#finish(error));
      socket.on('close', () => this.#finish());
    }
    input.on('data', (chunk: Buffer) => this.#receive(chunk));
    if (out.destroyed || input.destroyed) {
      // Closed while the pair was being made: report it as any other close, but after start() has returned.
      setImmediate(() => this.#finish());
      return;
    }
    const rest = this.#inRest;
    this.#inRest = Buffer.alloc(0);
    if (rest.length > 0) this.#receive(rest);
    out.resume();
    input.resume();
  }

  send(packet: Buffer): boolean {
    const out = this.#out;
    if (this.#closed || !out.writable) return true;
    out.write(packet, this.#window.written);
    return this.#window.check();
  }

  sendDataWithRoom(buffer: Buffer): boolean {
    const out = this.#out;
    if (this.#closed || !out.writable) return true;
    // OUT carries the packets raw (no chunked framing): only the DATA header goes in front.
    const start = DATA_HEADROOM_BYTES - DATA_HEADER_BYTES;
    writeDataHeaderAt(buffer, start, buffer.length - DATA_HEADROOM_BYTES);
    out.write(buffer.subarray(start), this.#window.written);
    return this.#window.check();
  }

  pause(): void {
    this.#in.pause();
  }

  resume(): void {
    if (!this.#closed) this.#in.resume();
  }

  close(): void {
    this.#out.end();
    this.#in.end();
    this.#closeTimer ??= setTimeout(() => this.destroy(), CLOSE_TIMEOUT_MS).unref();
  }

  destroy(): void {
    clearTimeout(this.#closeTimer);
    this.#out.destroy();
    this.#in.destroy();
  }

  #receive(chunk: Buffer): void {
    if (this.#closed) return;
    let pieces: Buffer[];
    try {
      pieces = this.#inBody.push(chunk);
    } catch (error) {
      // A body that breaks its own framing cannot be resynchronised; nothing after this point is trustworthy.
      this.#in.destroy();
      this.#finish(error as Error);
      return;
    }
    for (const piece of pieces) {
      if (this.#closed) return;
      this.#handlers?.data(piece);
    }
    // The client ended its body (a zero-size chunk): it has nothing more to say, so the tunnel is over.
    if (this.#inBody.ended) this.#finish();
  }

  #finish(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers?.closed(error);
  }
}

function discard(): void {
  // Bytes on the OUT connection after its request have no meaning in MS-TSGU.
}
