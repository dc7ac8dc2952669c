import type { Socket } from 'node:net';
import type { TransportKind } from '../../../shared/model/sessions.ts';

/** What a transport tells its owner. */
export interface TransportHandlers {
  /** Bytes of the client's MS-TSGU stream, split anywhere (the owner frames them). */
  data(chunk: Buffer): void;
  /** Everything queued by `send` has been written and more may follow. */
  drain(): void;
  /** The transport is gone; `error` is set when it failed rather than closed. Called once. */
  closed(error?: Error): void;
}

/**
 * One client's carrier of MS-TSGU packets: a WebSocket, or the legacy pair of HTTP requests.
 * A transport knows nothing of tokens or of what a packet means.
 */
export interface PacketTransport {
  readonly kind: TransportKind;
  readonly remoteAddress: string;
  start(handlers: TransportHandlers): void;
  /** Sends one complete packet. Returns false when the owner should stop producing until `drain`. */
  send(packet: Buffer): boolean;
  /**
   * Sends one DATA packet carrying `buffer[DATA_HEADROOM_BYTES..]` (1..65535 bytes) as one write of one buffer: the
   * transport writes its headers into the room in front of the payload, so nothing is corked or copied (Node's TLS
   * socket copies a write of several buffers into one). The transport owns `buffer` from then on. Same return value.
   */
  sendDataWithRoom(buffer: Buffer): boolean;
  /** Stops / restarts reading from the client (backpressure from a slow target). */
  pause(): void;
  resume(): void;
  /** Flushes what was sent, then closes. */
  close(): void;
  /** Closes at once, dropping anything unsent. */
  destroy(): void;
}

/** The room `sendDataWithRoom` needs in front of a payload: the longest WebSocket frame header and the DATA header. */
export const DATA_HEADROOM_BYTES = 20;

/** Above this many unsent bytes a transport asks its owner to stop producing. */
export const SEND_HIGH_WATER_BYTES = 256 * 1024;

/**
 * A transport's send-side backpressure on the socket its packets go out on: once more than
 * SEND_HIGH_WATER_BYTES are unsent, `check` says stop until the writes have brought that down to half, when `drain`
 * is called. Pass `written` as the callback of every write whose completion may end the wait.
 */
export class SendWindow {
  readonly #socket: Socket;
  readonly #drain: () => void;
  #aboveHighWater = false;

  constructor(socket: Socket, drain: () => void) {
    this.#socket = socket;
    this.#drain = drain;
  }

  /** After a write: false while the owner should stop producing. */
  check(): boolean {
    if (this.#socket.writableLength > SEND_HIGH_WATER_BYTES) this.#aboveHighWater = true;
    return !this.#aboveHighWater;
  }

  readonly written = (error?: Error | null): void => {
    if (error || !this.#aboveHighWater) return;
    if (this.#socket.writableLength <= SEND_HIGH_WATER_BYTES / 2) {
      this.#aboveHighWater = false;
      this.#drain();
    }
  };
}
