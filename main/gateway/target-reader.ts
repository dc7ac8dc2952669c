import type { OnReadOpts } from 'node:net';
import { DATA_HEADROOM_BYTES } from './transport/packet-transport.ts';
import { MAX_DATA_PAYLOAD_BYTES } from './tsgu/constants.ts';

/** One read is at most one DATA payload, behind the room for the transport's headers. */
const READ_BUFFER_BYTES = DATA_HEADROOM_BYTES + MAX_DATA_PAYLOAD_BYTES;
/** Reads of at least this many bytes are sent in the buffer they were read into; shorter ones are copied out. */
const IN_PLACE_MIN_BYTES = 32 * 1024;

/** Where a tunnel's packets go: `packet` is DATA_HEADROOM_BYTES of room and the payload. False: stop reading. */
export type PacketSender = (packet: Buffer, payloadBytes: number) => boolean;

let shared: Buffer | undefined;

/**
 * The download path's reads from the target (`net.connect`'s `onread`, for the MS-TSGU tunnel's dial). Each read
 * lands behind DATA_HEADROOM_BYTES of room and is at most one DATA payload, so the transport writes its headers into
 * the room and sends the packet as one buffer: Node's TLS socket copies a write of several buffers into one.
 *
 * A buffer handed to a write is the write's until it completes, so a long read is read into a buffer of the tunnel's
 * own, allocated per read as Node itself does. A short read is copied out into a buffer of its size: a pending write
 * never holds much more than twice the bytes it sends. A tunnel that has just had a short read (idle, keepalives,
 * input echoes) reads next into one buffer shared by every tunnel, so it holds no 64 KiB of its own. That is safe
 * because every read into it is copied out in its callback, and a socket's read and callback run together on the
 * one thread. After a long read the tunnel reads into its own buffer again, expecting more of the same.
 */
export class TargetReader {
  /** The buffer the next read lands in when it is the tunnel's own; else the shared one. */
  #own: Buffer | undefined;
  #send: PacketSender | undefined;

  readonly onread: OnReadOpts = {
    buffer: () => (this.#own ?? sharedBuffer()).subarray(DATA_HEADROOM_BYTES),
    callback: (bytes) => this.#read(bytes),
  };

  /**
   * Sends every read to `send` from now on. The socket was dialled paused, and its owner resumes it only after this:
   * a read before it would have nowhere to go.
   */
  start(send: PacketSender): void {
    this.#send = send;
  }

  #read(bytes: number): boolean {
    const long = bytes >= IN_PLACE_MIN_BYTES;
    const from = this.#own ?? sharedBuffer();
    let packet: Buffer;
    if (long && this.#own) {
      packet = from.subarray(0, DATA_HEADROOM_BYTES + bytes);
    } else {
      packet = Buffer.allocUnsafe(DATA_HEADROOM_BYTES + bytes);
      from.copy(packet, DATA_HEADROOM_BYTES, DATA_HEADROOM_BYTES, DATA_HEADROOM_BYTES + bytes);
    }
    this.#own = long ? Buffer.allocUnsafe(READ_BUFFER_BYTES) : undefined;
    return this.#send?.(packet, bytes) ?? false;
  }
}

function sharedBuffer(): Buffer {
  shared ??= Buffer.allocUnsafe(READ_BUFFER_BYTES);
  return shared;
}
