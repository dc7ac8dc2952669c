import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import * as ws from 'ws';
import {
  WebSocketTransport,
  binaryFrame,
  dataFrameHeader,
  installFastUnmask,
  isAcceptableWebSocketKey,
  switchingProtocolsResponse,
  unmaskInPlace,
  websocketAccept,
} from '../../../../main/gateway/transport/websocket.ts';
import { encodeDataPacket } from '../../../../main/gateway/tsgu/codec.ts';
import { MAX_PACKET_BYTES } from '../../../../main/gateway/tsgu/constants.ts';
import { TsguEncodeError } from '../../../../main/gateway/tsgu/errors.ts';

describe('websocketAccept', () => {
  it('matches the RFC 6455 section 1.3 example', () => {
    assert.equal(websocketAccept('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it("hashes FreeRDP 2.x's non-base64 key exactly as sent (value from openssl sha1 | base64)", () => {
    assert.equal(websocketAccept('SRRXHF\\IRPBZZ[_'), 'EwFjlEWAfzlIaA0gAoLaItRhN7Y=');
  });

  it('writes the accept value into the 101 response', () => {
    assert.equal(
      switchingProtocolsResponse('dGhlIHNhbXBsZSBub25jZQ=='),
      'HTTP/1.1 101 Switching Protocols\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
    );
  });
});

describe('isAcceptableWebSocketKey', () => {
  it('accepts base64 keys and the printable keys FreeRDP 2.x sends', () => {
    for (const key of ['dGhlIHNhbXBsZSBub25jZQ==', 'SRRXHF\\IRPBZZ[_', '@ABCDEFGHIJKLMN_', 'x', 'k'.repeat(64)]) {
      assert.ok(isAcceptableWebSocketKey(key), key);
    }
  });

  it('refuses a missing, empty, overlong or non-printable key', () => {
    for (const key of [
      undefined,
      '',
      'k'.repeat(65),
      'with space',
      'tab\there',
      'cr\rlf',
      'nul\0',
      'caf\u00e9',
      '\u007f',
    ]) {
      assert.ok(!isAcceptableWebSocketKey(key), JSON.stringify(key));
    }
  });
});

/** ws' frame parser; its constructor is not in @types/ws. */
const { Receiver } = ws as unknown as { Receiver: new (options: { isServer: boolean }) => unknown };

/** RFC 6455 §5.3, one byte at a time: the reference the word-wise version must match. */
function unmaskReference(data: Buffer, mask: Buffer): Buffer {
  const out = Buffer.from(data);
  for (let i = 0; i < out.length; i++) out[i] ^= mask[i & 3];
  return out;
}

/** One masked client frame (FIN set unless `fin` is false). */
function maskedFrame(opcode: number, payload: Buffer, mask: Buffer, fin = true): Buffer {
  const extended = payload.length < 126 ? 0 : payload.length < 0x10000 ? 2 : 8;
  const header = Buffer.alloc(2 + extended + 4);
  header[0] = (fin ? 0x80 : 0) | opcode;
  if (extended === 0) header[1] = 0x80 | payload.length;
  else if (extended === 2) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(payload.length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  mask.copy(header, 2 + extended);
  return Buffer.concat([header, unmaskReference(payload, mask)]);
}

describe('unmaskInPlace', () => {
  it('matches the byte-wise XOR for every length 0..80 at every alignment', () => {
    const mask = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
    const backing = randomBytes(100);
    for (let offset = 0; offset < 4; offset++) {
      for (let length = 0; length <= 80; length++) {
        const data = Buffer.from(backing).subarray(offset, offset + length);
        const expected = unmaskReference(data, mask);
        unmaskInPlace(data, mask);
        assert.deepEqual(data, expected, `offset ${offset}, length ${length}`);
      }
    }
  });

  it('matches it for a large payload with a random key', () => {
    const mask = randomBytes(4);
    const data = randomBytes(70_001).subarray(3);
    const expected = unmaskReference(data, mask);
    unmaskInPlace(data, mask);
    assert.deepEqual(data, expected);
  });
});

describe('installFastUnmask', () => {
  it("finds the parser internals it needs in the pinned ws (else client bytes fall back to ws' byte loop)", () => {
    assert.equal(installFastUnmask(new Receiver({ isServer: true })), true);
  });

  it('leaves anything else alone', () => {
    assert.equal(installFastUnmask(undefined), false);
    assert.equal(installFastUnmask({ consume: () => Buffer.alloc(0) }), false);
  });
});

describe('WebSocketTransport receiving masked frames', () => {
  it('delivers payloads intact: sizes around the word and length-field edges, fragments, a ping between', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    const [accepted] = (await once(server, 'connection')) as [Socket];
    try {
      const transport = new WebSocketTransport(accepted, Buffer.alloc(0), '127.0.0.1');
      const received: Buffer[] = [];
      transport.start({
        data: (chunk) => received.push(Buffer.from(chunk)),
        drain: () => undefined,
        closed: () => undefined,
      });

      const payloads = [1, 3, 31, 32, 33, 125, 126, 127, 1000, 65535, MAX_PACKET_BYTES].map((n) => randomBytes(n));
      const frames = payloads.map((payload) => maskedFrame(0x2, payload, randomBytes(4)));
      // A message in three fragments with a masked ping between them (each frame has its own key).
      const fragmented = randomBytes(5000);
      frames.push(
        maskedFrame(0x2, fragmented.subarray(0, 1001), randomBytes(4), false),
        maskedFrame(0x9, Buffer.from('ping'), randomBytes(4)),
        maskedFrame(0x0, fragmented.subarray(1001, 3000), randomBytes(4), false),
        maskedFrame(0x0, fragmented.subarray(3000), randomBytes(4)),
      );
      payloads.push(fragmented);
      // Written in odd-sized pieces, so frames and keys straddle reads.
      const stream = Buffer.concat(frames);
      for (let offset = 0; offset < stream.length; offset += 7919) client.write(stream.subarray(offset, offset + 7919));

      const deadline = Date.now() + 5_000;
      while (received.length < payloads.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(received.length, payloads.length);
      received.forEach((payload, i) => assert.ok(payload.equals(payloads[i]), `message ${i}`));
      transport.destroy();
    } finally {
      client.destroy();
      accepted.destroy();
      server.close();
    }
  });
});

describe('binaryFrame', () => {
  it('uses the shortest length form: 7 bits to 125, 16 bits to 65535, 64 bits above', () => {
    for (const [length, header] of [
      [0, '8200'],
      [125, '827d'],
      [126, '827e007e'],
      [65535, '827effff'],
      [65536, '827f0000000000010000'],
      [65545, '827f0000000000010009'],
    ] as const) {
      const payload = randomBytes(length);
      const frame = binaryFrame(payload);
      assert.equal(frame.subarray(0, header.length / 2).toString('hex'), header, `length ${length}`);
      assert.ok(frame.subarray(header.length / 2).equals(payload), `payload of ${length}`);
    }
  });
});

describe('WebSocketTransport sending', () => {
  it('writes each packet as one unmasked binary frame, in order, and the close frame after them', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    const [accepted] = (await once(server, 'connection')) as [Socket];
    try {
      const transport = new WebSocketTransport(accepted, Buffer.alloc(0), '127.0.0.1');
      transport.start({ data: () => undefined, drain: () => undefined, closed: () => undefined });
      const packets: Buffer[] = [8, 125, 126, 4096, 4097, 65535, MAX_PACKET_BYTES].map((n) => randomBytes(n));
      for (const packet of packets) transport.send(packet);
      // sendData: the same frames as send(encodeDataPacket(payload)), small and large.
      const payloads = [1, 4000, 65535].map((n) => randomBytes(n));
      for (const payload of payloads) {
        transport.sendData(payload);
        packets.push(encodeDataPacket(payload));
      }
      transport.close();

      const chunks: Buffer[] = [];
      client.on('data', (chunk: Buffer) => chunks.push(chunk));
      await once(client, 'end');
      const stream = Buffer.concat(chunks);
      let offset = 0;
      for (const packet of packets) {
        assert.equal(stream[offset], 0x82);
        const length7 = stream[offset + 1] & 0x7f;
        assert.equal(stream[offset + 1] & 0x80, 0, 'a server frame is not masked');
        const [length, start] =
          length7 === 126
            ? [stream.readUInt16BE(offset + 2), offset + 4]
            : length7 === 127
              ? [Number(stream.readBigUInt64BE(offset + 2)), offset + 10]
              : [length7, offset + 2];
        assert.equal(length, packet.length);
        assert.ok(stream.subarray(start, start + length).equals(packet));
        offset = start + length;
      }
      assert.equal(stream[offset], 0x88, 'the close frame follows the data');
    } finally {
      client.destroy();
      accepted.destroy();
      server.close();
    }
  });
});

describe('dataFrameHeader', () => {
  it('with the payload is the frame of the encoded DATA packet, across the frame length forms', () => {
    for (const length of [1, 115, 116, 65525, 65526, 65535]) {
      const payload = randomBytes(length);
      assert.deepEqual(
        Buffer.concat([dataFrameHeader(length), payload]),
        binaryFrame(encodeDataPacket(payload)),
        `payload of ${length}`,
      );
    }
  });

  it('refuses what encodeDataPacket refuses: empty and oversized payloads', () => {
    assert.throws(() => dataFrameHeader(0), TsguEncodeError);
    assert.throws(() => dataFrameHeader(65536), TsguEncodeError);
  });
});
