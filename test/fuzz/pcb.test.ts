/**
 * Fuzzing the relay's preconnection-PDU reader (main/relay/pcb.ts) with the PDU FreeRDP sent (and the RDP bytes
 * after it), mutated and split. Each input is also read whole by [MS-RDPEPS] 2.2.1 as written here. The streaming
 * reader must give the same PDU or the same PcbError whatever the reads, refuse as soon as the first four bytes say
 * so, hold less than its limit while it waits, hand back exactly the bytes after the PDU, and throw nothing else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  DEFAULT_MAX_PCB_BYTES,
  PcbError,
  PreconnectionPduReader,
  encodePreconnectionPdu,
  type PcbFailure,
  type PreconnectionPdu,
} from '../../main/relay/pcb.ts';
import { check, mutated, randomBytes, splitInput, splits } from './fuzz.ts';
import { PCB_STREAM } from './seeds.ts';

type Read =
  | { readonly pdu: PreconnectionPdu; readonly size: number }
  | { readonly failure: PcbFailure; readonly at: number }
  | 'incomplete';

/** RDP_PRECONNECTION_PDU_V1 (16 bytes) / _V2 (18 + 2 × cchPCB bytes), with cbSize checked against the limit. */
function reference(input: Buffer, maxBytes: number): Read {
  if (input.length < 4) return 'incomplete';
  // A TPKT header (03 00) is an X.224 request: the client was not given a PCB.
  if (input[0] === 0x03 && input[1] === 0x00) return { failure: 'no-pcb', at: 3 };
  const size = input.readUInt32LE(0);
  if (size > maxBytes) return { failure: 'too-large', at: 3 };
  if (size !== 16 && size < 18) return { failure: 'bad-size', at: 3 };
  if (input.length < size) return 'incomplete';
  const [flags, version, id] = [input.readUInt32LE(4), input.readUInt32LE(8), input.readUInt32LE(12)];
  if (version === 1) {
    return size === 16 ? { pdu: { version: 1, flags, id, blob: '' }, size } : { failure: 'bad-length', at: size - 1 };
  }
  if (version !== 2) return { failure: 'bad-version', at: size - 1 };
  if (size < 18 || 18 + 2 * input.readUInt16LE(16) !== size) return { failure: 'bad-length', at: size - 1 };
  let blob = input.toString('utf16le', 18, size);
  while (blob.endsWith('\0')) blob = blob.slice(0, -1);
  return { pdu: { version: 2, flags, id, blob }, size };
}

function runOne(input: Buffer, cuts: readonly number[] | 'bytewise', maxBytes: number): void {
  const expected = reference(input, maxBytes);
  const reader = new PreconnectionPduReader({ maxBytes });
  let start = 0;
  for (const chunk of splitInput(input, cuts)) {
    const end = start + chunk.length;
    let result: ReturnType<PreconnectionPduReader['push']>;
    try {
      result = reader.push(chunk);
    } catch (error) {
      assert.ok(error instanceof PcbError, `only PcbError escapes: ${String(error)}`);
      assert.ok(typeof expected === 'object' && 'failure' in expected, `refused a well-formed PDU: ${error.failure}`);
      assert.equal(error.failure, expected.failure);
      assert.ok(start <= expected.at && expected.at < end, `refused in the read holding byte ${expected.at}`);
      return;
    }
    if (result === undefined) {
      // Memory: while waiting, the reader holds less than the PDU it waits for, which is within the limit.
      assert.ok(reader.buffered < Math.max(4, input.length >= 4 ? input.readUInt32LE(0) : 4));
      assert.ok(reader.buffered <= maxBytes + 3);
      start = end;
      continue;
    }
    assert.ok(typeof expected === 'object' && 'pdu' in expected, 'a PDU where the bytes hold none');
    assert.deepEqual(result.pdu, expected.pdu);
    assert.ok(start < expected.size && expected.size <= end, 'the PDU is returned by the read that completes it');
    assert.deepEqual(result.rest, input.subarray(expected.size, end), 'exactly the bytes after the PDU, none lost');
    return;
  }
  assert.ok(input.length === 0 || expected === 'incomplete', `still waiting on ${JSON.stringify(expected)}`);
}

/** PDUs as a client might send them: either version, odd NUL counts, any text, then X.224-like bytes. */
const builtPdu = fc
  .tuple(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.constantFrom(1 as const, 2 as const),
    fc.integer({ min: 0, max: 3 }),
    fc.nat(),
    fc.nat(),
    randomBytes(20),
  )
  .map(([blob, version, trailingNuls, id, flags, rest]) =>
    Buffer.concat([encodePreconnectionPdu(blob, { version, trailingNuls, id, flags }), rest]),
  );

const limit = fc.oneof(fc.constant(DEFAULT_MAX_PCB_BYTES), fc.integer({ min: 0, max: 400 }));

test('preconnection PDU: FreeRDP PDU and what follows, mutated and split', async (t) => {
  await check(
    t,
    fc.property(mutated([PCB_STREAM]), splits, (input, cuts) => runOne(input, cuts, DEFAULT_MAX_PCB_BYTES)),
    1000,
    0.4,
  );
});

test('preconnection PDU: built PDUs round-trip; mutated, random bytes, small limits', async (t) => {
  await check(
    t,
    fc.property(
      fc.oneof(
        builtPdu,
        builtPdu.chain((pdu) => mutated([pdu])),
        randomBytes(40),
        mutated([PCB_STREAM.subarray(0, 64)]),
      ),
      limit,
      splits,
      (input, maxBytes, cuts) => runOne(input, cuts, maxBytes),
    ),
    2000,
    0.4,
  );
});

test('preconnection PDU: what FreeRDP and MSTSC encode reads back as sent, whatever the reads', async (t) => {
  await check(
    t,
    fc.property(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.integer({ min: 0, max: 3 }),
      randomBytes(20),
      splits,
      (blob, trailingNuls, after, cuts) => {
        const pdu = encodePreconnectionPdu(blob, { trailingNuls });
        const reader = new PreconnectionPduReader();
        let result: ReturnType<PreconnectionPduReader['push']>;
        for (const chunk of splitInput(Buffer.concat([pdu, after]), cuts)) {
          result = reader.push(chunk);
          if (result) break;
        }
        assert.ok(result, 'the PDU was read');
        assert.equal(result.pdu.blob, blob.replace(/\0+$/, ''));
      },
    ),
    1000,
    0.2,
  );
});
