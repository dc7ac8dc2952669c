import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import {
  WebSocketTransport,
  isAcceptableWebSocketKey,
  switchingProtocolsResponse,
  websocketAccept,
} from '../../../../main/gateway/transport/websocket.ts';
import { DATA_HEADROOM_BYTES } from '../../../../main/gateway/transport/packet-transport.ts';
import { encodeDataPacket } from '../../../../main/gateway/tsgu/codec.ts';
import { MAX_PACKET_BYTES } from '../../../../main/gateway/tsgu/constants.ts';
import { maskedFrame } from '../../../helpers/websocket-frames.ts';

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

describe('WebSocketTransport receiving masked frames', () => {
  it('delivers the payload bytes intact and in order, and answers a ping between fragments with a pong', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    const [accepted] = (await once(server, 'connection')) as [Socket];
    try {
      const transport = new WebSocketTransport(accepted, Buffer.alloc(0), '127.0.0.1');
      const received: Buffer[] = [];
      let receivedBytes = 0;
      transport.start({
        data: (chunk) => {
          received.push(Buffer.from(chunk));
          receivedBytes += chunk.length;
        },
        drain: () => undefined,
        closed: () => undefined,
      });
      const fromServer: Buffer[] = [];
      client.on('data', (chunk: Buffer) => fromServer.push(chunk));

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
      const expected = Buffer.concat(payloads);
      // Written in odd-sized pieces, so frames and keys straddle reads.
      const stream = Buffer.concat(frames);
      for (let offset = 0; offset < stream.length; offset += 7919) client.write(stream.subarray(offset, offset + 7919));

      const deadline = Date.now() + 5_000;
      const pong = Buffer.from('8a0470696e67', 'hex');
      while (
        (receivedBytes < expected.length || Buffer.concat(fromServer).length < pong.length) &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(Buffer.concat(received).equals(expected));
      assert.deepEqual(Buffer.concat(fromServer), pong, "a pong with the ping's payload");
      transport.destroy();
    } finally {
      client.destroy();
      accepted.destroy();
      server.close();
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
      // sendDataWithRoom: the same frames as send(encodeDataPacket(payload)), in each frame length form.
      const payloads = [1, 115, 116, 4000, 65525, 65526, 65535].map((n) => randomBytes(n));
      for (const payload of payloads) {
        transport.sendDataWithRoom(Buffer.concat([Buffer.alloc(DATA_HEADROOM_BYTES, 0xee), payload]));
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

describe('WebSocketTransport closing', () => {
  /** A transport on one end of a loopback connection, the raw client socket on the other. */
  async function connectedPair(): Promise<{
    transport: WebSocketTransport;
    client: Socket;
    fromServer: () => Buffer;
    closed: Promise<Error | undefined>;
    cleanup: () => void;
  }> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    const [accepted] = (await once(server, 'connection')) as [Socket];
    const transport = new WebSocketTransport(accepted, Buffer.alloc(0), '127.0.0.1');
    let reports = 0;
    const closed = new Promise<Error | undefined>((resolve) => {
      transport.start({
        data: () => undefined,
        drain: () => undefined,
        closed: (error) => {
          reports++;
          assert.equal(reports, 1, 'closed is reported once');
          resolve(error);
        },
      });
    });
    const chunks: Buffer[] = [];
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    return {
      transport,
      client,
      fromServer: () => Buffer.concat(chunks),
      closed,
      cleanup: () => {
        client.destroy();
        accepted.destroy();
        server.close();
      },
    };
  }

  it("answers the client's close frame with its code, ends the connection and reports a clean close", async () => {
    const { client, fromServer, closed, cleanup } = await connectedPair();
    try {
      client.write(maskedFrame(0x8, Buffer.from([0x03, 0xe9]), randomBytes(4)));
      assert.equal(await closed, undefined);
      await once(client, 'end');
      assert.equal(fromServer().toString('hex'), '880203e9', 'the close frame echoes code 1001');
    } finally {
      cleanup();
    }
  });

  it('fails the connection on a protocol violation: the close code goes out, closed() carries the error', async () => {
    const { client, fromServer, closed, cleanup } = await connectedPair();
    try {
      // Unmasked: a server must fail the connection (RFC 6455 §5.1).
      client.write(Buffer.from([0x82, 0x01, 0x41]));
      assert.match(String(await closed), /must be masked/);
      await once(client, 'end');
      const close = fromServer();
      assert.equal(close[0], 0x88, 'a close frame');
      assert.equal(close.readUInt16BE(2), 1002);
      assert.match(close.subarray(4).toString(), /must be masked/, 'the reason names the violation');
    } finally {
      cleanup();
    }
  });

  it('sends nothing after its own close frame, not even a pong, and ends when the client answers', async () => {
    const { transport, client, fromServer, closed, cleanup } = await connectedPair();
    try {
      transport.close();
      assert.equal(transport.send(Buffer.alloc(8)), true);
      client.write(maskedFrame(0x9, Buffer.from('late ping'), randomBytes(4)));
      client.write(maskedFrame(0x8, Buffer.from([0x03, 0xe8]), randomBytes(4)));
      assert.equal(await closed, undefined);
      await once(client, 'end');
      assert.equal(fromServer().toString('hex'), '880203e8', 'only the close frame');
    } finally {
      cleanup();
    }
  });
});
