/**
 * Fuzzing the request-head parser (main/gateway/http/request-head.ts) with FreeRDP's captured heads, mutated and
 * split as socket reads would cut them, and with heads built from hostile pieces. Expected: only RequestHeadError
 * escapes, with the status the gateway answers (400, 431 or 505) and a reason for it; the buffered head never
 * passes the limit; an accepted head is what RFC 9112 says it is, and survives a round trip.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  MAX_HEADER_COUNT,
  MAX_REQUEST_HEAD_BYTES,
  RequestHeadError,
  findHeadEnd,
  parseRequestHead,
  type RequestHead,
} from '../../main/gateway/http/request-head.ts';
import { check, mutated, randomBytes, splitInput, splits } from './fuzz.ts';
import { REQUEST_HEADS } from './seeds.ts';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

type Outcome = { readonly head: RequestHead; readonly end: number } | { readonly status: number } | 'incomplete';

/** What the gateway does with `chunks`: gathers them until findHeadEnd finds the end, then parses. */
function readHead(chunks: readonly Buffer[], maxBytes = MAX_REQUEST_HEAD_BYTES): Outcome {
  let buffered = Buffer.alloc(0);
  for (const chunk of chunks) {
    buffered = Buffer.concat([buffered, chunk]);
    try {
      const end = findHeadEnd(buffered, maxBytes);
      if (end === -1) {
        // Memory bound: a head still being read is below the limit.
        assert.ok(buffered.length < maxBytes, `${buffered.length} bytes buffered without a refusal`);
        continue;
      }
      return { head: parseRequestHead(buffered.subarray(0, end)), end };
    } catch (error) {
      if (!(error instanceof RequestHeadError)) throw error;
      return { status: error.status };
    }
  }
  return 'incomplete';
}

/** The head's text lines, without the blank line; undefined when it does not end in CRLF CRLF. */
function lines(bytes: Buffer, end: number): string[] {
  return bytes.toString('latin1', 0, end - 4).split('\r\n');
}

/** A refusal's status must have a reason in the bytes: checked without the parser's own code paths. */
function assertRefusalJustified(input: Buffer, status: number, maxBytes: number): void {
  const end = input.indexOf('\r\n\r\n');
  const headBytes = end === -1 ? input.length : end + 4;
  if (status === 431) {
    assert.ok(
      (end === -1 ? headBytes >= maxBytes : headBytes > maxBytes) ||
        (end !== -1 && lines(input, headBytes).length - 1 > MAX_HEADER_COUNT),
      `431 for a ${headBytes}-byte head`,
    );
    return;
  }
  assert.ok(end !== -1 && headBytes <= maxBytes, `status ${status} before the head was complete`);
  const [requestLine = '', ...fields] = lines(input, headBytes);
  const parts = requestLine.split(' ');
  const lineWellFormed = parts.length === 3 && TOKEN.test(parts[0] ?? '') && /^\/[\x21-\x7e]*$/.test(parts[1] ?? '');
  if (status === 505) {
    assert.ok(lineWellFormed && !['HTTP/1.0', 'HTTP/1.1'].includes(parts[2] ?? ''), `505 for ${requestLine}`);
    return;
  }
  assert.equal(status, 400);
  const fieldBroken = fields.some((field) => {
    const colon = field.indexOf(':');
    return colon <= 0 || !TOKEN.test(field.slice(0, colon)) || /[\0\r\n]/.test(field.slice(colon + 1));
  });
  assert.ok(!lineWellFormed || fieldBroken, `400 for a head that RFC 9112 accepts: ${JSON.stringify(requestLine)}`);
}

/** An accepted head is what the bytes say, read here by RFC 9112 §5 (field-line = name ":" OWS value OWS). */
function assertAcceptedCorrectly(input: Buffer, outcome: { head: RequestHead; end: number }): void {
  const { head, end } = outcome;
  assert.equal(end, input.indexOf('\r\n\r\n') + 4);
  const [requestLine, ...fields] = lines(input, end);
  assert.equal(requestLine, `${head.method} ${head.target} ${head.version}`);
  assert.ok(TOKEN.test(head.method));
  assert.ok(fields.length <= MAX_HEADER_COUNT);
  const expected = new Map<string, string>();
  for (const field of fields) {
    const colon = field.indexOf(':');
    const name = field.slice(0, colon).toLowerCase();
    assert.ok(TOKEN.test(name), `accepted field name ${JSON.stringify(name)}`);
    const value = field.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    assert.ok(!/[\0\r\n]/.test(value));
    const existing = expected.get(name);
    expected.set(name, existing === undefined ? value : `${existing}, ${value}`);
  }
  assert.deepEqual(head.headers, expected);
}

/** The head written out again from what was parsed: it must parse to the same thing. */
function serialize(head: RequestHead): Buffer {
  const fields = [...head.headers].map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return Buffer.from(`${head.method} ${head.target} ${head.version}\r\n${fields}\r\n`, 'latin1');
}

function runOne(input: Buffer, cuts: readonly number[] | 'bytewise', maxBytes = MAX_REQUEST_HEAD_BYTES): void {
  const whole = readHead([Buffer.from(input)], maxBytes);
  const streamed = readHead(splitInput(input, cuts), maxBytes);
  assert.deepEqual(streamed, whole, 'the same answer whatever the reads');
  if (whole === 'incomplete') {
    assert.equal(input.indexOf('\r\n\r\n'), -1);
  } else if ('status' in whole) {
    assertRefusalJustified(input, whole.status, maxBytes);
  } else {
    assertAcceptedCorrectly(input, whole);
    const again = serialize(whole.head);
    // A repeated field with an empty last value joins to `a, `: written out, its trailing space is white space.
    const trimmed = [...whole.head.headers].map(([name, value]) => [name, value.replace(/[ \t]+$/, '')] as const);
    if (again.length <= maxBytes)
      assert.deepEqual(parseRequestHead(again), { ...whole.head, headers: new Map(trimmed) });
  }
}

/** Hostile pieces: tokens and near-tokens, white space, control bytes, colons, non-ASCII. */
const piece = fc.oneof(
  fc.constantFrom('RDG_OUT_DATA', 'RDG_IN_DATA', 'GET', '/remoteDesktopGateway/', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0'),
  fc.constantFrom('Upgrade', 'Transfer-Encoding', 'Content-Length', 'chunked', 'websocket', 'Host', 'X-Forwarded-For'),
  fc.constantFrom(' ', '\t', ':', '\r', '\n', '\r\n', '\0', '\x0b', '\x0c', '\x7f', '\xa0', '\xff', '/', ',', ';', '"'),
  fc.string({ unit: 'binary-ascii', maxLength: 8 }),
);
const line = fc.array(piece, { maxLength: 6 }).map((pieces) => pieces.join(''));
const builtHead = fc
  .tuple(line, fc.array(line, { maxLength: MAX_HEADER_COUNT + 3 }), fc.boolean())
  .map(([requestLine, fields, complete]) =>
    Buffer.from([requestLine, ...fields].join('\r\n') + (complete ? '\r\n\r\n' : ''), 'latin1'),
  );

test('request heads: FreeRDP heads, mutated and split', async (t) => {
  await check(
    t,
    fc.property(mutated(REQUEST_HEADS), splits, (input, cuts) => runOne(input, cuts)),
    2000,
    0.4,
  );
});

test('request heads: built from hostile pieces, and random bytes', async (t) => {
  await check(
    t,
    fc.property(
      fc.oneof(builtHead, randomBytes(), mutated([Buffer.from('GET / HTTP/1.1\r\n\r\n')])),
      splits,
      (input, cuts) => runOne(input, cuts),
    ),
    2000,
    0.4,
  );
});

test('request heads: the size limit holds whatever the reads', async (t) => {
  // A small limit, so that heads around it are cheap to build: FreeRDP's heads cut with room to spare or not.
  await check(
    t,
    fc.property(mutated(REQUEST_HEADS), fc.integer({ min: 16, max: 400 }), splits, (input, maxBytes, cuts) =>
      runOne(input, cuts, maxBytes),
    ),
    1000,
    0.2,
  );
});
