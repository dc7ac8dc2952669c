/**
 * A streaming decoder for an HTTP/1.1 chunked request body (RFC 9112 §7.1), as the legacy MS-TSGU IN channel uses
 * it: FreeRDP writes one packet per chunk and never ends the body while the tunnel lives. Bytes go in split
 * anywhere; the payload comes out as views of the input, never gathered, so memory stays bounded by the limits
 * below whatever a chunk declares.
 *
 *   chunk      = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   last-chunk = 1*"0" [ chunk-ext ] CRLF, then trailer fields and a blank line
 */

/** A chunk-size line (size and extensions) longer than this is refused: nobody needs a kilobyte of extensions. */
export const MAX_CHUNK_SIZE_LINE_BYTES = 1024;
/** The largest chunk accepted. MS-TSGU packets are far smaller; a larger declaration is a confused or hostile client. */
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
/** All trailer lines after the last chunk together. */
export const MAX_TRAILER_BYTES = 4 * 1024;

export interface ChunkedDecoderOptions {
  readonly maxChunkSizeLineBytes?: number;
  readonly maxChunkBytes?: number;
  readonly maxTrailerBytes?: number;
}

export type BodyDecodeErrorCode =
  'size-line-too-long' | 'bad-chunk-size' | 'chunk-too-large' | 'missing-crlf' | 'trailer-too-long' | 'data-after-end';

/** The request body is not what its framing declared. `status` is what an HTTP server would answer. */
export class BodyDecodeError extends Error {
  override readonly name = 'BodyDecodeError';
  readonly status = 400;
  constructor(
    readonly code: BodyDecodeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const CR = 0x0d;
const LF = 0x0a;
/** The size in hex, then optional white space and extensions (`;name[=value]`, ignored). */
const CHUNK_SIZE_LINE = /^([0-9A-Fa-f]+)[ \t]*(?:;.*)?$/s;

type State = 'size-line' | 'data' | 'data-cr' | 'data-lf' | 'trailer' | 'done';

/** What both body decoders offer the transport. */
export interface BodyDecoder {
  /** True once the whole body has been read. */
  readonly ended: boolean;
  /** Decodes the next bytes; returns payload views (possibly none); throws BodyDecodeError. */
  push(input: Buffer): Buffer[];
}

export class ChunkedDecoder implements BodyDecoder {
  readonly #maxLineBytes: number;
  readonly #maxChunkBytes: number;
  readonly #maxTrailerBytes: number;
  #state: State = 'size-line';
  /** The part of a line (size line or trailer line) read so far; bounded by the limits. */
  #line: Buffer[] = [];
  #lineBytes = 0;
  #trailerBytes = 0;
  /** Data bytes still to come in the current chunk. */
  #remaining = 0;

  constructor(options: ChunkedDecoderOptions = {}) {
    this.#maxLineBytes = options.maxChunkSizeLineBytes ?? MAX_CHUNK_SIZE_LINE_BYTES;
    this.#maxChunkBytes = options.maxChunkBytes ?? MAX_CHUNK_BYTES;
    this.#maxTrailerBytes = options.maxTrailerBytes ?? MAX_TRAILER_BYTES;
  }

  /** True once the last chunk and its trailer have been read: the body is complete. */
  get ended(): boolean {
    return this.#state === 'done';
  }

  /**
   * Decodes `input` and returns the payload it completes, as views of `input` (possibly none). Throws
   * BodyDecodeError on malformed input; the decoder is unusable afterwards.
   */
  push(input: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < input.length) {
      switch (this.#state) {
        case 'size-line':
        case 'trailer': {
          const lf = input.indexOf(LF, offset);
          const end = lf === -1 ? input.length : lf + 1;
          this.#appendLine(input.subarray(offset, end));
          offset = end;
          if (lf !== -1) this.#endLine();
          break;
        }
        case 'data': {
          const take = Math.min(this.#remaining, input.length - offset);
          out.push(input.subarray(offset, offset + take));
          offset += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = 'data-cr';
          break;
        }
        case 'data-cr':
          // Invariant: a chunk's data is followed by exactly CRLF; anything else means the declared size was a lie.
          if (input[offset] !== CR) throw new BodyDecodeError('missing-crlf', 'chunk data is not followed by CRLF');
          offset += 1;
          this.#state = 'data-lf';
          break;
        case 'data-lf':
          if (input[offset] !== LF) throw new BodyDecodeError('missing-crlf', 'chunk data is not followed by CRLF');
          offset += 1;
          this.#state = 'size-line';
          break;
        case 'done':
          throw new BodyDecodeError('data-after-end', 'bytes after the last chunk');
      }
    }
    return out;
  }

  #appendLine(piece: Buffer): void {
    this.#lineBytes += piece.length;
    if (this.#state === 'trailer') {
      this.#trailerBytes += piece.length;
      if (this.#trailerBytes > this.#maxTrailerBytes) {
        throw new BodyDecodeError('trailer-too-long', `trailer section longer than ${this.#maxTrailerBytes} bytes`);
      }
    } else if (this.#lineBytes > this.#maxLineBytes) {
      throw new BodyDecodeError('size-line-too-long', `chunk-size line longer than ${this.#maxLineBytes} bytes`);
    }
    this.#line.push(piece);
  }

  /** A complete line (through its LF) is in `#line`. */
  #endLine(): void {
    const raw = Buffer.concat(this.#line, this.#lineBytes);
    this.#line = [];
    this.#lineBytes = 0;
    // A bare LF is refused: lenient line endings are how two parsers come to disagree (request smuggling).
    if (raw.length < 2 || raw[raw.length - 2] !== CR) {
      throw new BodyDecodeError('missing-crlf', 'line does not end with CRLF');
    }
    const line = raw.subarray(0, raw.length - 2).toString('latin1');
    if (this.#state === 'trailer') {
      if (line === '') this.#state = 'done';
      return;
    }
    this.#startChunk(line);
  }

  #startChunk(line: string): void {
    const digits = CHUNK_SIZE_LINE.exec(line)?.[1];
    if (digits === undefined || hasControlCharacter(line)) {
      throw new BodyDecodeError('bad-chunk-size', `malformed chunk-size line ${JSON.stringify(line.slice(0, 40))}`);
    }
    // Leading zeros are legal; judge the size by its significant digits so parseInt never loses precision.
    const significant = digits.replace(/^0+/, '');
    const size = significant === '' ? 0 : significant.length > 8 ? Infinity : Number.parseInt(significant, 16);
    if (size > this.#maxChunkBytes) {
      throw new BodyDecodeError('chunk-too-large', `chunk of ${digits} (hex) bytes exceeds ${this.#maxChunkBytes}`);
    }
    if (size === 0) {
      this.#state = 'trailer';
      return;
    }
    this.#remaining = size;
    this.#state = 'data';
  }
}

/** A body with a declared Content-Length, read as a stream of exactly that many bytes (MSTSC may send one). */
export class FixedLengthDecoder implements BodyDecoder {
  #remaining: number;

  constructor(length: number) {
    this.#remaining = length;
  }

  get ended(): boolean {
    return this.#remaining === 0;
  }

  push(input: Buffer): Buffer[] {
    if (input.length > this.#remaining) throw new BodyDecodeError('data-after-end', 'bytes after the declared body');
    this.#remaining -= input.length;
    return input.length === 0 ? [] : [input];
  }
}

/** Control characters other than tab (CR, NUL, DEL, ...) have no place in a chunk-size line or its extensions. */
function hasControlCharacter(line: string): boolean {
  for (let index = 0; index < line.length; index += 1) {
    const code = line.charCodeAt(index);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}
