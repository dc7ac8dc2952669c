/**
 * The refusals on the wire: a sample of the fuzzed inputs sent to a real gateway over TLS on loopback. A request
 * head the parser refuses must be answered with its status (and that status's reason phrase) and the connection
 * closed; WebSocket frames it refuses, after FreeRDP's upgrade, with a close frame carrying the parser's code; a
 * preconnection PDU the relay's reader refuses, by closing the connection and logging the reader's failure.
 * The pure fuzz tests cover the parsers' decisions in depth; this checks that those decisions reach the client.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { RequestHeadError, findHeadEnd, parseRequestHead } from '../../main/gateway/http/request-head.ts';
import { PcbError } from '../../main/relay/errors.ts';
import { PreconnectionPduReader } from '../../main/relay/pcb.ts';
import { ClientFrameParser } from '../../main/gateway/transport/websocket-frames.ts';
import { MAX_PACKET_BYTES } from '../../main/gateway/tsgu/constants.ts';
import { maskedFrame } from '../helpers/websocket-frames.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawHttpsExchange } from '../helpers/raw-https.ts';
import { within } from '../helpers/wait.ts';
import { fuzzRuns, mutated } from './fuzz.ts';
import { PCB_STREAM, REQUEST_HEADS, WEBSOCKET_CAPTURE, WEBSOCKET_FRAMES } from './seeds.ts';

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  431: 'Request Header Fields Too Large',
  505: 'HTTP Version Not Supported',
};

let gateway: TestGateway;
before(async () => {
  gateway = await startTestGateway({ relay: true });
});
after(() => gateway?.dispose());

/** The status the parser refuses `head` with, or undefined when it accepts it (or wants more bytes). */
function refusal(head: Buffer): number | undefined {
  try {
    const end = findHeadEnd(head);
    if (end !== -1) parseRequestHead(head.subarray(0, end));
    return undefined;
  } catch (error) {
    assert.ok(error instanceof RequestHeadError);
    return error.status;
  }
}

/**
 * The close code the parser fails `frames` with, when it fails before passing on a whole MS-TSGU header, and the
 * payloads of the pings before it (the gateway answers each with a pong before its close frame).
 */
function frameFailure(frames: Buffer): { code: number; pings: Buffer[] } | undefined {
  let code: number | undefined;
  let passedOn = 0;
  const pings: Buffer[] = [];
  const parser = new ClientFrameParser(
    {
      data: (bytes) => (passedOn += bytes.length),
      ping: (payload) => {
        if (code === undefined) pings.push(Buffer.from(payload));
      },
      close: () => undefined,
      fail: (failCode) => (code = failCode),
    },
    MAX_PACKET_BYTES,
  );
  parser.push(Buffer.from(frames));
  // With fewer than 8 bytes passed on, no packet header was complete: the tunnel cannot have acted first.
  return passedOn < 8 && code !== undefined ? { code, pings } : undefined;
}

/** Up to `count` inputs from `arbitrary` for which `keep` gives an expectation (a deterministic sample). */
function sample<T>(arbitrary: fc.Arbitrary<Buffer>, keep: (input: Buffer) => T | undefined, count: number) {
  const kept: Array<{ input: Buffer; expected: T }> = [];
  for (const input of fc.sample(arbitrary, { numRuns: 40 * count, seed: 0x5eed })) {
    const expected = keep(input);
    if (expected !== undefined) kept.push({ input, expected });
    if (kept.length === count) break;
  }
  assert.equal(kept.length, count, 'enough refused inputs in the sample');
  return kept;
}

const options = () => ({ host: '127.0.0.1', port: gateway.port, ca: gateway.service.tls.caCertPem });

test('wire: refused request heads are answered with their status, then closed', async (t) => {
  const cases = sample(mutated(REQUEST_HEADS), refusal, fuzzRuns(40, 0.0001));
  for (const { input, expected } of cases) {
    const response = await rawHttpsExchange(options(), input);
    assert.equal(response.status, expected, JSON.stringify(input.toString('latin1')));
    assert.equal(response.reason, REASONS[expected]);
  }
  t.diagnostic(`${cases.length} heads, statuses ${[...new Set(cases.map((c) => c.expected))].join(', ')}`);
});

test('wire: refused WebSocket frames after the upgrade are answered with their close code', async (t) => {
  const upgrade = WEBSOCKET_CAPTURE.subarray(0, WEBSOCKET_CAPTURE.length - WEBSOCKET_FRAMES.length);
  const seeds = [
    WEBSOCKET_FRAMES.subarray(0, 64),
    // A binary frame declaring 1 MiB (above the frame limit), and a close frame whose reason is not UTF-8.
    Buffer.from('82ff0000000000100000a1b2c3d4', 'hex'),
    maskedFrame(0x8, Buffer.from('03e8c328', 'hex'), Buffer.from('a1b2c3d4', 'hex')),
  ];
  // Found by the long run: a ping before the refused frame is answered with a pong before the close frame.
  const pingFirst = Buffer.concat([maskedFrame(0x9, Buffer.from('hi'), Buffer.from('a1b2c3d4', 'hex')), seeds[1]]);
  const pingFirstExpected = frameFailure(pingFirst);
  assert.ok(pingFirstExpected && pingFirstExpected.pings.length === 1);
  const cases = [
    { input: pingFirst, expected: pingFirstExpected },
    ...sample(mutated(seeds), frameFailure, fuzzRuns(30, 0.0001)),
  ];
  for (const { input, expected } of cases) {
    const response = await rawHttpsExchange(options(), Buffer.concat([upgrade, input]));
    assert.equal(response.status, 101);
    // Server frames are unmasked, control frames at most 125 bytes: a pong (FIN + opcode 10) echoing each ping,
    // then the close frame (FIN + opcode 8), its code the first payload bytes.
    const frames = response.body;
    let offset = 0;
    for (const ping of expected.pings) {
      assert.equal(frames[offset], 0x8a, `a pong, got ${frames.subarray(offset, offset + 4).toString('hex')}`);
      const length = frames[offset + 1] ?? 0;
      assert.deepEqual(frames.subarray(offset + 2, offset + 2 + length), ping, 'the pong echoes its ping');
      offset += 2 + length;
    }
    assert.equal(
      frames[offset],
      0x88,
      `then a close frame, got ${frames.subarray(offset, offset + 4).toString('hex')}`,
    );
    assert.equal(
      frames.readUInt16BE(offset + 2),
      expected.code,
      `close code for ${input.subarray(0, 16).toString('hex')}`,
    );
  }
  const codes = [...new Set(cases.map((c) => c.expected.code))].join(', ');
  const pinged = cases.filter((c) => c.expected.pings.length > 0).length;
  t.diagnostic(`${cases.length} streams (${pinged} with pings first), close codes ${codes}`);
});

/** The failure the relay's reader refuses `stream` with, if it does. */
function pcbFailure(stream: Buffer): string | undefined {
  try {
    new PreconnectionPduReader().push(Buffer.from(stream));
    return undefined;
  } catch (error) {
    assert.ok(error instanceof PcbError);
    return error.failure;
  }
}

test("wire: refused preconnection PDUs close the relay connection, logged with the reader's failure", async (t) => {
  const cases = sample(
    mutated([PCB_STREAM.subarray(0, 64), PCB_STREAM.subarray(0, PCB_STREAM.readUInt32LE(0) + 16)]),
    pcbFailure,
    fuzzRuns(30, 0.0001),
  );
  for (const { input, expected } of cases) {
    const logged = gateway.logs.length;
    const socket = connect(gateway.relayPort, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.resume();
    socket.end(input);
    await within(once(socket, 'close'), 5_000, 'the relay closing the connection');
    const refusal = await gateway.waitForLog(
      'relay connection refused',
      (record) => gateway.logs.indexOf(record) >= logged,
    );
    assert.equal(refusal.failure, expected);
  }
  t.diagnostic(`${cases.length} PDUs, failures ${[...new Set(cases.map((c) => c.expected))].join(', ')}`);
});
