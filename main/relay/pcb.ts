/**
 * The RDP preconnection PDU ([MS-RDPEPS] 2.2.1): the first bytes an RDP client sends on the TCP stream when it is
 * configured with a PCB (`pcb:s:` in .rdp files, `/pcb:` in FreeRDP), before the X.224 Connection Request.
 * The relay reads it as a stream (it may arrive split or coalesced with what follows), never past its end.
 */
import { PcbError } from './errors.ts';

/** The reader's failure, with the relay's other errors in errors.ts. */
export { PcbError, type PcbFailure } from './errors.ts';

/** RDP_PRECONNECTION_PDU_V1: cbSize(4) + Flags(4) + Version(4) + Id(4). */
export const PCB_V1_BYTES = 4 + 4 + 4 + 4;
/** RDP_PRECONNECTION_PDU_V2 without its string: the V1 fields + cchPCB(2). */
export const PCB_V2_HEADER_BYTES = PCB_V1_BYTES + 2;
/** TYPE_RDP_PRECONNECTION_PDU_V1 / _V2. */
export const PCB_VERSION_1 = 1;
export const PCB_VERSION_2 = 2;
/**
 * The largest PDU read: room for 8192 UTF-16 code units, twice the longest token we accept. The spec allows
 * 65535; a relay must not buffer that much for an unauthenticated peer.
 */
export const DEFAULT_MAX_PCB_BYTES = PCB_V2_HEADER_BYTES + 2 * 8192;

export interface PreconnectionPdu {
  readonly version: typeof PCB_VERSION_1 | typeof PCB_VERSION_2;
  readonly flags: number;
  /** The numeric id (FreeRDP `/pcid:`); 0 when unused. */
  readonly id: number;
  /** wszPCB without its trailing NULs; '' for V1. */
  readonly blob: string;
}

export interface PcbReadResult {
  readonly pdu: PreconnectionPdu;
  /** Bytes that followed the PDU in the same reads: the start of the RDP stream proper (X.224). */
  readonly rest: Buffer;
}

export interface PcbReaderOptions {
  readonly maxBytes?: number;
}

/**
 * Streaming reader in the `ws` receiver style: `push` bytes as they arrive; it answers undefined while the PDU is
 * incomplete and the PDU with the bytes after it once complete. Declared sizes are checked before any waiting,
 * so a peer cannot make it buffer more than `maxBytes`. After a result or an error it must not be used again.
 */
export class PreconnectionPduReader {
  readonly #maxBytes: number;
  readonly #chunks: Buffer[] = [];
  #buffered = 0;
  /** cbSize once the first four bytes are in and checked. */
  #size: number | undefined;

  constructor(options: PcbReaderOptions = {}) {
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_PCB_BYTES;
  }

  /** Bytes held so far (never more than `maxBytes` plus one chunk). */
  get buffered(): number {
    return this.#buffered;
  }

  push(chunk: Buffer): PcbReadResult | undefined {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    if (this.#size === undefined) {
      if (this.#buffered < 4) return undefined;
      this.#size = this.#checkSize(this.#peek(4));
    }
    if (this.#buffered < this.#size) return undefined;
    const all = Buffer.concat(this.#chunks, this.#buffered);
    return { pdu: decodePdu(all.subarray(0, this.#size)), rest: all.subarray(this.#size) };
  }

  #peek(length: number): Buffer {
    const first = this.#chunks[0];
    if (first && first.length >= length) return first.subarray(0, length);
    return Buffer.concat(this.#chunks, this.#buffered).subarray(0, length);
  }

  #checkSize(head: Buffer): number {
    // A TPKT header (version 3, reserved 0) means the client sent the X.224 request straight away: no PCB.
    if (head[0] === 0x03 && head[1] === 0x00) {
      throw new PcbError(
        'no-pcb',
        'the client sent no preconnection PDU: put the token in the .rdp file as pcb:s:<token> (FreeRDP: /pcb:<token>)',
      );
    }
    const size = head.readUInt32LE(0);
    if (size > this.#maxBytes) {
      throw new PcbError('too-large', `preconnection PDU of ${size} bytes; at most ${this.#maxBytes} are read`);
    }
    if (size !== PCB_V1_BYTES && size < PCB_V2_HEADER_BYTES) {
      throw new PcbError(
        'bad-size',
        `preconnection PDU cbSize ${size} fits neither V1 (${PCB_V1_BYTES}) nor V2 (≥ ${PCB_V2_HEADER_BYTES})`,
      );
    }
    return size;
  }
}

/** Decodes one complete PDU of exactly cbSize bytes (the size was checked against the limit already). */
function decodePdu(bytes: Buffer): PreconnectionPdu {
  const size = bytes.readUInt32LE(0);
  const flags = bytes.readUInt32LE(4);
  const version = bytes.readUInt32LE(8);
  const id = bytes.readUInt32LE(12);
  if (version === PCB_VERSION_1) {
    if (size !== PCB_V1_BYTES) throw new PcbError('bad-length', `a V1 preconnection PDU is ${PCB_V1_BYTES} bytes`);
    return { version, flags, id, blob: '' };
  }
  if (version !== PCB_VERSION_2) throw new PcbError('bad-version', `preconnection PDU version ${version} is unknown`);
  if (size < PCB_V2_HEADER_BYTES) {
    throw new PcbError('bad-length', `a V2 preconnection PDU is at least ${PCB_V2_HEADER_BYTES} bytes`);
  }
  const cchPCB = bytes.readUInt16LE(16);
  if (PCB_V2_HEADER_BYTES + 2 * cchPCB !== size) {
    throw new PcbError(
      'bad-length',
      `cchPCB ${cchPCB} does not match cbSize ${size} (expected ${PCB_V2_HEADER_BYTES} + 2 × cchPCB)`,
    );
  }
  // FreeRDP counts one or two terminating NULs in cchPCB, MSTSC may count none: strip them all.
  const blob = bytes.toString('utf16le', PCB_V2_HEADER_BYTES, size).replace(/\0+$/, '');
  return { version, flags, id, blob };
}

export interface EncodePcbOptions {
  readonly version?: typeof PCB_VERSION_1 | typeof PCB_VERSION_2;
  readonly id?: number;
  readonly flags?: number;
  /** Terminating NULs counted in cchPCB (FreeRDP sends 2). */
  readonly trailingNuls?: number;
}

/** Encodes a PDU as a client sends it (V2 by default), for tests and diagnostics. */
export function encodePreconnectionPdu(blob: string, options: EncodePcbOptions = {}): Buffer {
  const version = options.version ?? PCB_VERSION_2;
  if (version === PCB_VERSION_1) {
    const pdu = Buffer.alloc(PCB_V1_BYTES);
    pdu.writeUInt32LE(PCB_V1_BYTES, 0);
    pdu.writeUInt32LE(options.flags ?? 0, 4);
    pdu.writeUInt32LE(PCB_VERSION_1, 8);
    pdu.writeUInt32LE(options.id ?? 0, 12);
    return pdu;
  }
  const text = Buffer.from(blob + '\0'.repeat(options.trailingNuls ?? 1), 'utf16le');
  const pdu = Buffer.alloc(PCB_V2_HEADER_BYTES + text.length);
  pdu.writeUInt32LE(pdu.length, 0);
  pdu.writeUInt32LE(options.flags ?? 0, 4);
  pdu.writeUInt32LE(PCB_VERSION_2, 8);
  pdu.writeUInt32LE(options.id ?? 0, 12);
  pdu.writeUInt16LE(text.length / 2, 16);
  text.copy(pdu, PCB_V2_HEADER_BYTES);
  return pdu;
}
