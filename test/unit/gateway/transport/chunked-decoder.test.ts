import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  BodyDecodeError,
  ChunkedDecoder,
  FixedLengthDecoder,
  MAX_CHUNK_BYTES,
  MAX_CHUNK_SIZE_LINE_BYTES,
  type BodyDecodeErrorCode,
  type ChunkedDecoderOptions,
} from '../../../../main/gateway/transport/chunked-decoder.ts';
import { TSGU_FIXTURES, fromHex } from '../../../fixtures/tsgu-packets.ts';

/** One packet per chunk, as FreeRDP's rdg_write_packet writes them: upper-case hex size, no extensions. */
const PACKETS = TSGU_FIXTURES.map((fixture) => fromHex(fixture.hex));
const freerdpChunk = (packet: Buffer): Buffer =>
  Buffer.concat([Buffer.from(`${packet.length.toString(16).toUpperCase()}\r\n`), packet, Buffer.from('\r\n')]);
const FREERDP_BODY = Buffer.concat(PACKETS.map(freerdpChunk));
const PAYLOAD = Buffer.concat(PACKETS);

/** Feeds `pieces` in order and returns the payload decoded. */
function decode(pieces: readonly (Buffer | string)[], options?: ChunkedDecoderOptions): Buffer {
  const decoder = new ChunkedDecoder(options);
  const out: Buffer[] = [];
  for (const piece of pieces) out.push(...decoder.push(Buffer.isBuffer(piece) ? piece : Buffer.from(piece, 'latin1')));
  return Buffer.concat(out);
}

function assertFails(pieces: readonly (Buffer | string)[], code: BodyDecodeErrorCode, options?: ChunkedDecoderOptions) {
  assert.throws(
    () => decode(pieces, options),
    (error: unknown) => error instanceof BodyDecodeError && error.code === code && error.status === 400,
    `expected ${code} for ${JSON.stringify(pieces.map(String))}`,
  );
}

describe('ChunkedDecoder', () => {
  it('decodes FreeRDP-style chunks (one packet each) into the packet stream', () => {
    assert.ok(PAYLOAD.length > 0);
    assert.deepEqual(decode([FREERDP_BODY]), PAYLOAD);
  });

  it('gives the same bytes when the input is split at every offset', () => {
    for (let i = 0; i <= FREERDP_BODY.length; i++) {
      const decoded = decode([FREERDP_BODY.subarray(0, i), FREERDP_BODY.subarray(i)]);
      assert.ok(decoded.equals(PAYLOAD), `split at ${i}`);
    }
  });

  it('gives the same bytes when the input arrives one byte at a time, and ends on the last chunk', () => {
    const body = Buffer.concat([FREERDP_BODY, Buffer.from('0\r\n\r\n')]);
    const decoder = new ChunkedDecoder();
    const out: Buffer[] = [];
    for (let i = 0; i < body.length; i++) {
      assert.equal(decoder.ended, false, `ended early at ${i}`);
      out.push(...decoder.push(body.subarray(i, i + 1)));
    }
    assert.ok(Buffer.concat(out).equals(PAYLOAD));
    assert.equal(decoder.ended, true);
  });

  it('hands out views of its input, never copies', () => {
    const input = Buffer.from('5\r\nhello\r\n');
    const [piece] = new ChunkedDecoder().push(input);
    assert.equal(piece?.toString(), 'hello');
    assert.equal(piece?.buffer, input.buffer);
  });

  it('accepts lower-case hex, leading zeros, extensions (ignored) and white space before them', () => {
    assert.equal(decode(['a\r\n0123456789\r\n']).toString(), '0123456789');
    assert.equal(decode(['0005\r\nhello\r\n']).toString(), 'hello');
    assert.equal(decode(['5;name=value;flag\r\nhello\r\n']).toString(), 'hello');
    assert.equal(decode(['5 ;name="quoted; value"\r\nhello\r\n']).toString(), 'hello');
    assert.equal(decode(['5\t\r\nhello\r\n']).toString(), 'hello');
    assert.equal(decode(['000000000005\r\nhello\r\n']).toString(), 'hello');
  });

  it('ends at the zero-size chunk, skipping trailer fields', () => {
    const decoder = new ChunkedDecoder();
    assert.equal(decoder.push(Buffer.from('3\r\nabc\r\n0;ext\r\nX-Trailer: 1\r\nY: 2\r\n')).toString(), 'abc');
    assert.equal(decoder.ended, false);
    assert.deepEqual(decoder.push(Buffer.from('\r\n')), []);
    assert.equal(decoder.ended, true);
  });

  it('refuses bytes after the last chunk', () => {
    assertFails(['0\r\n\r\n', 'x'], 'data-after-end');
    assertFails(['0\r\n\r\n5\r\nhello\r\n'], 'data-after-end');
  });

  it('an empty push is harmless in every state', () => {
    const decoder = new ChunkedDecoder();
    for (const piece of ['', '5', '', '\r\n', '', 'he', '', 'llo', '', '\r', '', '\n', '']) {
      decoder.push(Buffer.from(piece));
    }
    assert.equal(decoder.ended, false);
  });

  describe('limits', () => {
    it('refuses a chunk-size line longer than the limit, even before its end arrives', () => {
      const long = `5;${'x'.repeat(MAX_CHUNK_SIZE_LINE_BYTES)}`;
      assertFails([long], 'size-line-too-long');
      assertFails(['5;xxxxxxxx', 'xx\r\n'], 'size-line-too-long', { maxChunkSizeLineBytes: 8 });
      assert.equal(decode(['5;x\r\nhello\r\n'], { maxChunkSizeLineBytes: 5 }).toString(), 'hello');
    });

    it('refuses a chunk larger than the limit before reading its data', () => {
      assertFails([`${(MAX_CHUNK_BYTES + 1).toString(16)}\r\n`], 'chunk-too-large');
      assertFails(['11\r\n'], 'chunk-too-large', { maxChunkBytes: 16 });
      assert.equal(decode(['10\r\n0123456789abcdef\r\n'], { maxChunkBytes: 16 }).length, 16);
    });

    it('refuses sizes too large for a number without losing precision', () => {
      assertFails(['ffffffffffffffffffff\r\n'], 'chunk-too-large');
      assertFails(['100000000\r\n'], 'chunk-too-large');
    });

    it('refuses a trailer section longer than the limit', () => {
      assertFails(['0\r\n', `X: ${'y'.repeat(100)}\r\n`], 'trailer-too-long', { maxTrailerBytes: 64 });
    });
  });

  describe('malformed input', () => {
    const badSizes = ['\r\n', 'xyz\r\n', '-5\r\n', '+5\r\n', '0x5\r\n', ' 5\r\n', '5 x\r\n', '5;a\0b\r\n', '5\x7f\r\n'];
    for (const line of badSizes) {
      it(`refuses the chunk-size line ${JSON.stringify(line)}`, () => assertFails([line], 'bad-chunk-size'));
    }

    it('refuses a bare LF as line end (lenient line ends let two parsers disagree)', () => {
      assertFails(['5\nhello\r\n'], 'missing-crlf');
      assertFails(['0\r\n\n'], 'missing-crlf');
    });

    it('refuses chunk data not followed by CRLF', () => {
      assertFails(['5\r\nhelloX\r\n'], 'missing-crlf');
      assertFails(['5\r\nhello\rX'], 'missing-crlf');
      assertFails(['5\r\nhello\n'], 'missing-crlf');
      assertFails(['3\r\nhello\r\n'], 'missing-crlf');
    });
  });
});

describe('FixedLengthDecoder', () => {
  it('passes exactly the declared number of bytes and then ends', () => {
    const decoder = new FixedLengthDecoder(5);
    assert.equal(decoder.push(Buffer.from('hel')).toString(), 'hel');
    assert.equal(decoder.ended, false);
    assert.equal(decoder.push(Buffer.from('lo')).toString(), 'lo');
    assert.equal(decoder.ended, true);
    assert.deepEqual(decoder.push(Buffer.alloc(0)), []);
  });

  it('refuses bytes past the declared length', () => {
    assert.throws(
      () => new FixedLengthDecoder(2).push(Buffer.from('abc')),
      (error: unknown) => error instanceof BodyDecodeError && error.code === 'data-after-end',
    );
  });
});
