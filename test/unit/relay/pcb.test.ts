import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_MAX_PCB_BYTES,
  PCB_V1_BYTES,
  PCB_V2_HEADER_BYTES,
  PcbError,
  PreconnectionPduReader,
  encodePreconnectionPdu,
  type PcbFailure,
  type PcbReadResult,
} from '../../../main/relay/pcb.ts';

/** A V2 preconnection PDU (MS-RDPEPS 2.2.1.2) as FreeRDP sends it: "tok" with its NUL, Id 0. */
const WORKED_EXAMPLE = Buffer.from(
  '1a000000' + '00000000' + '02000000' + '00000000' + '0400' + '74006f006b000000',
  'hex',
);
/** The start of an X.224 Connection Request (TPKT version 3): what follows the PDU on the wire. */
const X224_START = Buffer.from('030000130ee000000000000100080003000000', 'hex');

function readAll(chunks: readonly Buffer[], maxBytes?: number): PcbReadResult | undefined {
  const reader = new PreconnectionPduReader(maxBytes === undefined ? {} : { maxBytes });
  let result: PcbReadResult | undefined;
  for (const chunk of chunks) {
    assert.equal(result, undefined, 'the reader answered before the last chunk');
    result = reader.push(chunk);
  }
  return result;
}

function assertFails(bytes: Buffer, failure: PcbFailure, maxBytes?: number): PcbError {
  let caught: unknown;
  try {
    readAll([bytes], maxBytes);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof PcbError, `expected a PcbError, got ${String(caught)}`);
  assert.equal(caught.failure, failure, caught.message);
  return caught;
}

describe('preconnection PDU reader', () => {
  it('decodes the worked example byte for byte, and encodes it back', () => {
    const result = readAll([WORKED_EXAMPLE]);
    assert.deepStrictEqual(result?.pdu, { version: 2, flags: 0, id: 0, blob: 'tok' });
    assert.equal(result?.rest.length, 0);
    assert.deepStrictEqual(encodePreconnectionPdu('tok'), WORKED_EXAMPLE);
  });

  it("reads FreeRDP's form: cchPCB counts two NULs (15 characters → cchPCB 17, cbSize 52)", () => {
    const pdu = encodePreconnectionPdu('abcdefghijklmno', { trailingNuls: 2 });
    assert.equal(pdu.readUInt32LE(0), 52);
    assert.equal(pdu.readUInt16LE(16), 17);
    assert.equal(readAll([pdu])?.pdu.blob, 'abcdefghijklmno');
  });

  it('reads a V2 string without any NUL (as MSTSC may send it) and an empty V2', () => {
    assert.equal(readAll([encodePreconnectionPdu('token', { trailingNuls: 0 })])?.pdu.blob, 'token');
    const empty = readAll([encodePreconnectionPdu('', { trailingNuls: 0 })]);
    assert.deepStrictEqual(empty?.pdu, { version: 2, flags: 0, id: 0, blob: '' });
    assert.equal(encodePreconnectionPdu('', { trailingNuls: 0 }).length, PCB_V2_HEADER_BYTES);
  });

  it('reads V1 (16 bytes, an Id and no string)', () => {
    const pdu = encodePreconnectionPdu('', { version: 1, id: 0x01020304, flags: 7 });
    assert.equal(pdu.length, PCB_V1_BYTES);
    assert.deepStrictEqual(readAll([pdu])?.pdu, { version: 1, flags: 7, id: 0x01020304, blob: '' });
  });

  it('keeps the Id of a V2 PDU (FreeRDP /pcid:)', () => {
    assert.equal(readAll([encodePreconnectionPdu('x', { id: 42 })])?.pdu.id, 42);
  });

  it('decodes non-ASCII UTF-16 (a surrogate pair) exactly', () => {
    assert.equal(readAll([encodePreconnectionPdu('jeton-é-😀')])?.pdu.blob, 'jeton-é-😀');
  });

  it('gives back the bytes after the PDU untouched: the X.224 request that must be forwarded', () => {
    const token = 'eyJhbGciOiJFZERTQSJ9.e30.sig';
    const pdu = encodePreconnectionPdu(token, { trailingNuls: 2 });
    const stream = Buffer.concat([pdu, X224_START]);
    const result = readAll([stream]);
    assert.equal(result?.pdu.blob, token);
    assert.deepStrictEqual(result?.rest, X224_START);
  });

  it('gives the same result when the stream is split at every offset (two chunks)', () => {
    const pdu = encodePreconnectionPdu('split-token', { trailingNuls: 2, id: 9 });
    const stream = Buffer.concat([pdu, X224_START]);
    for (let offset = 1; offset < stream.length; offset += 1) {
      const result = readAll(offset < pdu.length ? [stream.subarray(0, offset), stream.subarray(offset)] : [stream]);
      assert.equal(result?.pdu.blob, 'split-token', `split at ${offset}`);
      assert.equal(result?.pdu.id, 9);
      assert.deepStrictEqual(result?.rest, X224_START, `split at ${offset}`);
    }
  });

  it('answers only once the last byte of the PDU arrives, when fed one byte at a time', () => {
    const pdu = encodePreconnectionPdu('bytewise');
    const reader = new PreconnectionPduReader();
    for (let i = 0; i < pdu.length - 1; i += 1) assert.equal(reader.push(pdu.subarray(i, i + 1)), undefined);
    const result = reader.push(pdu.subarray(pdu.length - 1));
    assert.equal(result?.pdu.blob, 'bytewise');
    assert.equal(result?.rest.length, 0);
  });

  it('refuses a stream that starts with a TPKT header (the client sent no PDU), naming the fix', () => {
    const error = assertFails(X224_START, 'no-pcb');
    assert.match(error.message, /pcb:s:/);
  });

  it('refuses cbSize values that fit no version', () => {
    for (const size of [0, 1, 15, 17]) {
      const bytes = Buffer.alloc(24);
      bytes.writeUInt32LE(size, 0);
      assertFails(bytes, 'bad-size');
    }
  });

  it('refuses a declared size over the limit from the first 4 bytes, before waiting for the rest', () => {
    const head = Buffer.alloc(4);
    head.writeUInt32LE(DEFAULT_MAX_PCB_BYTES + 1, 0);
    const reader = new PreconnectionPduReader();
    assert.throws(
      () => reader.push(head),
      (error: unknown) => error instanceof PcbError && error.failure === 'too-large',
    );
    // A token just within a small configured limit passes; one byte more does not.
    const pdu = encodePreconnectionPdu('x'.repeat(100), { trailingNuls: 0 });
    assert.equal(readAll([pdu], pdu.length)?.pdu.blob, 'x'.repeat(100));
    assertFails(encodePreconnectionPdu('x'.repeat(101), { trailingNuls: 0 }), 'too-large', pdu.length);
    // The spec's largest string (65535 code units) is over the default limit.
    const huge = Buffer.alloc(8);
    huge.writeUInt32LE(PCB_V2_HEADER_BYTES + 2 * 65535, 0);
    assertFails(huge, 'too-large');
  });

  it('refuses an unknown version, and a version that contradicts cbSize', () => {
    const v3 = encodePreconnectionPdu('x');
    v3.writeUInt32LE(3, 8);
    assertFails(v3, 'bad-version');
    // Version 1 with a V2 size.
    const v1Long = encodePreconnectionPdu('x');
    v1Long.writeUInt32LE(1, 8);
    assertFails(v1Long, 'bad-length');
    // Version 2 with the V1 size.
    const v2Short = encodePreconnectionPdu('', { version: 1 });
    v2Short.writeUInt32LE(2, 8);
    assertFails(v2Short, 'bad-length');
  });

  it('refuses a V2 PDU whose cchPCB disagrees with cbSize, either way', () => {
    for (const delta of [-1, 1, 100]) {
      const pdu = encodePreconnectionPdu('token');
      pdu.writeUInt16LE(pdu.readUInt16LE(16) + delta, 16);
      assertFails(pdu, 'bad-length');
    }
  });

  it('judges the PDU as soon as cbSize bytes are in, whatever else came with them', () => {
    const reader = new PreconnectionPduReader({ maxBytes: 64 });
    const head = Buffer.alloc(4);
    head.writeUInt32LE(64, 0);
    assert.equal(reader.push(head), undefined);
    assert.equal(reader.push(Buffer.alloc(30)), undefined);
    assert.equal(reader.buffered, 34);
    // 64 bytes of a PDU with version 0: refused at once, not buffered on.
    assert.throws(
      () => reader.push(Buffer.alloc(1000)),
      (error: unknown) => error instanceof PcbError && error.failure === 'bad-version',
    );
  });
});
