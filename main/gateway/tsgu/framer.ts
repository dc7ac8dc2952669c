/**
 * Streaming MS-TSGU framer: bytes in (any split), complete packets out, cut by the header's `packetLength`.
 * Chunks are kept in a list with a byte count, a packet is sliced out without copying when it sits inside one
 * chunk, and copied exactly once when it straddles chunks. `feed` goes further for DATA packets, which carry
 * nearly every byte of a session: their payload is handed on piece by piece as it arrives, never assembled.
 */
import { decodeDataHeader } from './codec.ts';
import { DATA_HEADER_BYTES, MAX_PACKET_BYTES, PACKET_HEADER_BYTES, PacketType } from './constants.ts';
import { TsguFramingError, type TsguError } from './errors.ts';

export interface PacketFramerOptions {
  /** Largest `packetLength` accepted; default MAX_PACKET_BYTES (one full DATA packet plus headroom). */
  readonly maxPacketBytes?: number;
}

/** Where `feed` delivers: whole packets, and DATA payloads as they arrive. */
export interface PacketSink {
  /** A complete packet (a view into the pushed chunks, or a copy when it straddled them). */
  packet(packet: Buffer): void;
  /** Asked at each DATA header: stream this packet's payload to `data` (true) or deliver it whole to `packet`. */
  streamData(): boolean;
  /**
   * The next bytes of a DATA packet's payload (views into the pushed chunks), after its header was checked as
   * `decodeClientPacket` checks it. A DATA packet with no payload gives one empty piece.
   */
  data(payload: Buffer): void;
}

/** No packet is being assembled: the next bytes start a header. */
const NO_PACKET = 0;
const EMPTY = Buffer.alloc(0);

export class PacketFramer {
  readonly #maxPacketBytes: number;
  #chunks: Buffer[] = [];
  #bufferedBytes = 0;
  /** `packetLength` of the packet being assembled once its header was validated, else NO_PACKET. */
  #packetLength = NO_PACKET;
  #packetType = 0;
  /** Payload bytes of the DATA packet being streamed by `feed` still to come. */
  #dataLeft = 0;
  #error: TsguError | undefined;

  constructor(options: PacketFramerOptions = {}) {
    const maxPacketBytes = options.maxPacketBytes ?? MAX_PACKET_BYTES;
    if (!Number.isInteger(maxPacketBytes) || maxPacketBytes < PACKET_HEADER_BYTES || maxPacketBytes > 0xffffffff) {
      throw new RangeError(`maxPacketBytes ${maxPacketBytes} must be an integer in ${PACKET_HEADER_BYTES}..2^32-1`);
    }
    this.#maxPacketBytes = maxPacketBytes;
  }

  /** Bytes received but not yet returned as a packet; after each push it is below one packet's length. */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /**
   * Adds `chunk` and returns every packet now complete (zero or more), in order. A returned packet may be a
   * view into `chunk`, so the caller must not reuse `chunk`'s memory. Throws TsguFramingError as soon as a
   * header is available with a `packetLength` below 8 or above the limit — before waiting for its body — and
   * from then on every push throws that same error: the stream has lost its packet boundaries.
   */
  push(chunk: Buffer): Buffer[] {
    const packets: Buffer[] = [];
    this.#run(chunk, { packet: (packet) => packets.push(packet), streamData: () => false, data: () => undefined });
    return packets;
  }

  /**
   * Adds `chunk` and delivers to `sink`, in order, every packet now complete and, for each DATA packet the sink
   * chooses to stream, the payload bytes now available. Throws as `push` does, and also TsguDecodeError when a DATA
   * header's cbDataLen disagrees with its packetLength (the stream is then failed as well). An exception from the
   * sink leaves the framer consistent.
   */
  feed(chunk: Buffer, sink: PacketSink): void {
    this.#run(chunk, sink);
  }

  #run(chunk: Buffer, sink: PacketSink): void {
    if (this.#error !== undefined) throw this.#error;
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#bufferedBytes += chunk.length;

    for (;;) {
      if (this.#dataLeft > 0) {
        if (this.#bufferedBytes === 0) break;
        const piece = this.#consume(Math.min(this.#dataLeft, this.#chunks[0].length));
        this.#dataLeft -= piece.length;
        sink.data(piece);
        continue;
      }
      if (this.#packetLength === NO_PACKET) {
        if (this.#bufferedBytes < PACKET_HEADER_BYTES) break;
        this.#packetLength = this.#readPacketLength();
      }
      if (
        this.#packetType === PacketType.DATA &&
        this.#packetLength >= DATA_HEADER_BYTES &&
        this.#bufferedBytes >= DATA_HEADER_BYTES &&
        sink.streamData()
      ) {
        this.#packetLength = NO_PACKET;
        const payloadBytes = this.#dataHeader(this.#consume(DATA_HEADER_BYTES));
        if (payloadBytes === 0) sink.data(EMPTY);
        this.#dataLeft = payloadBytes;
        continue;
      }
      if (this.#bufferedBytes < this.#packetLength) break;
      const whole = this.#consume(this.#packetLength);
      this.#packetLength = NO_PACKET;
      sink.packet(whole);
    }
  }

  /** A streamed DATA packet's payload size; a header that disagrees with itself fails the stream. */
  #dataHeader(header: Buffer): number {
    try {
      return decodeDataHeader(header);
    } catch (error) {
      this.#error = error as TsguError;
      this.#chunks = [];
      this.#bufferedBytes = 0;
      throw error;
    }
  }

  /** Reads and validates the header at the front without consuming it (the packet includes its header). */
  #readPacketLength(): number {
    const header = this.#peek(PACKET_HEADER_BYTES);
    // HTTP_PACKET_HEADER: u16 packetType | u16 reserved | u32 packetLength (includes these 8 bytes)
    const packetType = header.readUInt16LE(0);
    const packetLength = header.readUInt32LE(4);
    this.#packetType = packetType;
    const hex = `0x${packetType.toString(16).padStart(4, '0')}`;
    if (packetLength < PACKET_HEADER_BYTES) {
      this.#fail(
        `packet header (type ${hex}): packetLength ${packetLength} is below the ${PACKET_HEADER_BYTES}-byte header`,
        packetType,
        packetLength,
      );
    }
    // Checked before buffering the body, so a peer cannot make us hold more than one packet's worth of bytes.
    if (packetLength > this.#maxPacketBytes) {
      this.#fail(
        `packet header (type ${hex}): packetLength ${packetLength} exceeds the ${this.#maxPacketBytes}-byte limit`,
        packetType,
        packetLength,
      );
    }
    return packetLength;
  }

  #fail(message: string, packetType: number, packetLength: number): never {
    this.#error = new TsguFramingError(message, packetType, packetLength);
    this.#chunks = [];
    this.#bufferedBytes = 0;
    throw this.#error;
  }

  /** The first `n` buffered bytes without consuming them: a view if they sit in the first chunk, else a copy. */
  #peek(n: number): Buffer {
    const first = this.#chunks[0];
    if (first !== undefined && first.length >= n) return first.subarray(0, n);
    const out = Buffer.allocUnsafe(n);
    let copied = 0;
    for (const chunk of this.#chunks) {
      copied += chunk.copy(out, copied, 0, Math.min(chunk.length, n - copied));
      if (copied === n) break;
    }
    return out;
  }

  /** Removes and returns the first `n` buffered bytes (n ≤ bufferedBytes). */
  #consume(n: number): Buffer {
    this.#bufferedBytes -= n;
    const first = this.#chunks[0];
    if (first !== undefined && first.length >= n) {
      // Zero-copy fast path: the whole packet is inside the first chunk.
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    // The packet straddles chunks: copy it once. Whole chunks are dropped with one splice, so feeding one byte
    // at a time stays linear.
    const out = Buffer.allocUnsafe(n);
    let copied = 0;
    let used = 0;
    while (copied < n) {
      const chunk = this.#chunks[used];
      if (chunk === undefined) throw new Error('PacketFramer invariant broken: bufferedBytes exceeds the chunks');
      const take = Math.min(chunk.length, n - copied);
      chunk.copy(out, copied, 0, take);
      copied += take;
      if (take === chunk.length) used++;
      else this.#chunks[used] = chunk.subarray(take);
    }
    this.#chunks.splice(0, used);
    return out;
  }
}
