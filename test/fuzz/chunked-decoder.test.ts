/**
 * Fuzzing the legacy IN channel's chunked-body decoder (main/gateway/transport/chunked-decoder.ts) with the body
 * FreeRDP sent, mutated and split. Each input is also read whole by RFC 9112 §7.1 as written here, which says where
 * (at which byte) the body first goes wrong. The streaming decoder must hand on the same payload, refuse with the
 * same BodyDecodeError (status 400) in the read holding that byte — not later, which bounds what it holds, and not
 * earlier — and nothing else may escape it. Well-formed bodies of random chunks decode to what was sent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  BodyDecodeError,
  ChunkedDecoder,
  MAX_CHUNK_BYTES,
  MAX_CHUNK_SIZE_LINE_BYTES,
  MAX_TRAILER_BYTES,
  type BodyDecodeErrorCode,
} from '../../main/gateway/transport/chunked-decoder.ts';
import { check, mutated, randomBytes, splitInput, splits } from './fuzz.ts';
import { CHUNKED_BODY } from './seeds.ts';

interface Limits {
  readonly maxChunkSizeLineBytes: number;
  readonly maxChunkBytes: number;
  readonly maxTrailerBytes: number;
}

const DEFAULT_LIMITS: Limits = {
  maxChunkSizeLineBytes: MAX_CHUNK_SIZE_LINE_BYTES,
  maxChunkBytes: MAX_CHUNK_BYTES,
  maxTrailerBytes: MAX_TRAILER_BYTES,
};

interface Decoded {
  readonly payload: Buffer;
  readonly ended: boolean;
  /** The refusal, and the offset of the byte that shows it (the input up to and including it is enough). */
  readonly error?: { readonly code: BodyDecodeErrorCode; readonly at: number };
}

/** chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; last-chunk, trailer lines, CRLF. Nothing after it. */
function reference(input: Buffer, limits: Limits): Decoded {
  const payload: Buffer[] = [];
  const fail = (code: BodyDecodeErrorCode, at: number): Decoded => ({
    payload: Buffer.concat(payload),
    ended: false,
    error: { code, at },
  });
  let offset = 0;
  let trailerBytes = 0;
  let inTrailer = false;
  for (;;) {
    if (offset === input.length) return { payload: Buffer.concat(payload), ended: false };
    const lf = input.indexOf(0x0a, offset);
    const lineEnd = lf === -1 ? input.length : lf + 1;
    // Lines are judged by their length as they arrive, before their end is seen.
    if (inTrailer) {
      if (trailerBytes + (lineEnd - offset) > limits.maxTrailerBytes) {
        return fail('trailer-too-long', offset + limits.maxTrailerBytes - trailerBytes);
      }
    } else if (lineEnd - offset > limits.maxChunkSizeLineBytes) {
      return fail('size-line-too-long', offset + limits.maxChunkSizeLineBytes);
    }
    if (lf === -1) return { payload: Buffer.concat(payload), ended: false };
    const line = input.subarray(offset, lf + 1);
    if (line.length < 2 || line[line.length - 2] !== 0x0d) return fail('missing-crlf', lf);
    const text = line.toString('latin1', 0, line.length - 2);
    if (inTrailer) {
      trailerBytes += line.length;
      offset = lf + 1;
      if (text === '') {
        if (offset < input.length) return fail('data-after-end', offset);
        return { payload: Buffer.concat(payload), ended: true };
      }
      continue;
    }
    // chunk-size = 1*HEXDIG; then BWS and extensions (not interpreted); no control byte but HTAB anywhere.
    const match = /^([0-9A-Fa-f]+)[ \t]*(;[^]*)?$/.exec(text);
    if (match === null || [...text].some((c) => (c < ' ' && c !== '\t') || c === '\x7f')) {
      return fail('bad-chunk-size', lf);
    }
    const size = BigInt(`0x${match[1]}`);
    if (size > BigInt(limits.maxChunkBytes)) return fail('chunk-too-large', lf);
    offset = lf + 1;
    if (size === 0n) {
      inTrailer = true;
      continue;
    }
    const available = Math.min(Number(size), input.length - offset);
    payload.push(input.subarray(offset, offset + available));
    offset += available;
    if (available < Number(size)) return { payload: Buffer.concat(payload), ended: false };
    for (const byte of [0x0d, 0x0a]) {
      if (offset === input.length) return { payload: Buffer.concat(payload), ended: false };
      if (input[offset] !== byte) return fail('missing-crlf', offset);
      offset++;
    }
  }
}

function runOne(input: Buffer, cuts: readonly number[] | 'bytewise', limits: Limits): void {
  const expected = reference(input, limits);
  const decoder = new ChunkedDecoder(limits);
  const payload: Buffer[] = [];
  let start = 0;
  for (const chunk of splitInput(input, cuts)) {
    const end = start + chunk.length;
    try {
      payload.push(...decoder.push(chunk).map((view) => Buffer.from(view)));
    } catch (error) {
      assert.ok(error instanceof BodyDecodeError, `only BodyDecodeError escapes: ${String(error)}`);
      assert.equal(error.status, 400);
      assert.ok(expected.error, `refused a body RFC 9112 accepts so far: ${error.code}`);
      assert.equal(error.code, expected.error.code);
      assert.ok(
        start <= expected.error.at && expected.error.at < end,
        `refused in the read holding byte ${expected.error.at}`,
      );
      // What was handed on before the refusing read is payload the body really carried.
      const got = Buffer.concat(payload);
      assert.deepEqual(got, expected.payload.subarray(0, got.length));
      return;
    }
    start = end;
  }
  assert.equal(
    expected.error,
    undefined,
    `accepted a body refused at byte ${expected.error?.at}: ${expected.error?.code}`,
  );
  assert.deepEqual(Buffer.concat(payload), expected.payload);
  assert.equal(decoder.ended, expected.ended);
}

/** A well-formed body: chunks with odd but legal sizes and extensions, a last chunk and trailers. */
const wellFormed = fc
  .record({
    chunks: fc.array(
      fc.record({
        data: fc.uint8Array({ minLength: 1, maxLength: 300 }),
        zeros: fc.integer({ min: 0, max: 3 }),
        upper: fc.boolean(),
        extension: fc.constantFrom('', ';a', ';name=value', ' ;q="x"', '\t;a=b;c'),
      }),
      { maxLength: 6 },
    ),
    trailers: fc.array(fc.constantFrom('X-A: 1', 'Trailer-Name: value'), { maxLength: 2 }),
    end: fc.boolean(),
  })
  .map(({ chunks, trailers, end }) => {
    const parts = chunks.map(({ data, zeros, upper, extension }) => {
      const size = data.length.toString(16);
      const line = `${'0'.repeat(zeros)}${upper ? size.toUpperCase() : size}${extension}\r\n`;
      return Buffer.concat([Buffer.from(line, 'latin1'), data, Buffer.from('\r\n')]);
    });
    if (end) parts.push(Buffer.from(`0\r\n${trailers.map((line) => `${line}\r\n`).join('')}\r\n`));
    return {
      body: Buffer.concat(parts),
      payload: Buffer.concat(chunks.map(({ data }) => data)),
      end,
    };
  });

const smallLimits = fc.record({
  maxChunkSizeLineBytes: fc.integer({ min: 1, max: 40 }),
  maxChunkBytes: fc.integer({ min: 0, max: 1000 }),
  maxTrailerBytes: fc.integer({ min: 0, max: 40 }),
});

test('chunked body: FreeRDP body, mutated and split', async (t) => {
  await check(
    t,
    fc.property(mutated([CHUNKED_BODY]), splits, (input, cuts) => runOne(input, cuts, DEFAULT_LIMITS)),
    1000,
    0.4,
  );
});

test('chunked body: well-formed bodies decode to what was sent; mutated, random, and with small limits', async (t) => {
  await check(
    t,
    fc.property(
      wellFormed,
      fc.oneof(fc.constant(DEFAULT_LIMITS), smallLimits),
      splits,
      ({ body, payload, end }, limits, cuts) => {
        if (limits === DEFAULT_LIMITS) {
          const decoder = new ChunkedDecoder();
          const out = Buffer.concat(splitInput(body, cuts).flatMap((chunk) => decoder.push(chunk)));
          assert.deepEqual(out, Buffer.from(payload));
          assert.equal(decoder.ended, end);
        }
        runOne(body, cuts, limits);
      },
    ),
    1000,
    0.3,
  );
});

test('chunked body: mutated well-formed bodies and random bytes', async (t) => {
  await check(
    t,
    fc.property(
      fc.oneof(
        wellFormed.chain(({ body }) => mutated([body])),
        randomBytes(),
        mutated([Buffer.from('0\r\n\r\n'), Buffer.from('5;x\r\nhello\r\n0\r\nA: b\r\n\r\n')]),
      ),
      fc.oneof(fc.constant(DEFAULT_LIMITS), smallLimits),
      splits,
      (input, limits, cuts) => runOne(input, cuts, limits),
    ),
    1500,
    0.3,
  );
});
