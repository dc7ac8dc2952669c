import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import type { Host } from '../../../shared/model/hosts.ts';
import { silentLogger } from '../../../main/logging/logger.ts';
import { createConnector } from '../../../main/relay/connector.ts';
import { dialTarget } from '../../../main/relay/dial.ts';
import { DialError } from '../../../main/relay/errors.ts';
import {
  MAGIC_PACKET_BYTES,
  MAGIC_PACKET_COPIES,
  magicPacket,
  sendMagicPacket,
} from '../../../main/relay/wake-on-lan.ts';
import { unusedPort } from '../../helpers/targets.ts';

const MAC = '00:11:22:aa:BB:cc';

/** A loopback UDP listener standing in for the LAN broadcast: every test packet goes here and nowhere else. */
async function udpListener(): Promise<{
  socket: UdpSocket;
  port: number;
  packets: Buffer[];
  next: () => Promise<Buffer>;
}> {
  const socket = createSocket('udp4');
  const packets: Buffer[] = [];
  const waiters: ((packet: Buffer) => void)[] = [];
  socket.on('message', (packet) => {
    packets.push(packet);
    waiters.shift()?.(packet);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  return {
    socket,
    port,
    packets,
    next: () =>
      new Promise<Buffer>((resolve) => {
        const queued = packets.length;
        if (queued > 0 && waiters.length === 0) resolve(packets[queued - 1]);
        else waiters.push(resolve);
      }),
  };
}

describe('Wake-on-LAN', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('builds the 102-byte magic packet: 6 × FF, then the MAC 16 times', () => {
    const packet = magicPacket(MAC);
    assert.equal(packet.length, MAGIC_PACKET_BYTES);
    const expected = Buffer.concat([
      Buffer.alloc(6, 0xff),
      ...Array.from({ length: 16 }, () => Buffer.from('001122aabbcc', 'hex')),
    ]);
    assert.deepStrictEqual(packet, expected);
    assert.deepStrictEqual(magicPacket('00-11-22-AA-BB-CC'), expected);
    assert.throws(() => magicPacket('00:11:22:33:44'), /not a MAC/);
  });

  it('sends the packet over UDP, several copies (to a loopback listener)', async () => {
    const listener = await udpListener();
    cleanups.push(() => {
      listener.socket.close();
    });
    await sendMagicPacket(MAC, { address: '127.0.0.1', port: listener.port });
    const deadline = Date.now() + 2_000;
    while (listener.packets.length < MAGIC_PACKET_COPIES && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(listener.packets.length, MAGIC_PACKET_COPIES);
    for (const packet of listener.packets) assert.deepStrictEqual(packet, magicPacket(MAC));
  });

  it('wakes a host that does not answer, then connects once it boots (within the bound)', async () => {
    const listener = await udpListener();
    cleanups.push(() => {
      listener.socket.close();
    });
    const port = await unusedPort();
    const host: Host = { name: 'sleeper', address: '127.0.0.1', port, mac: MAC };
    let server: Server | undefined;
    // "Boot" the host when its magic packet arrives.
    void listener.next().then(() => {
      server = createServer((socket) => socket.end());
      server.listen(port, '127.0.0.1');
    });
    cleanups.push(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));
    const connector = createConnector({
      logger: silentLogger,
      wake: () => ({ address: '127.0.0.1', port: listener.port, bootWaitMs: 5_000 }),
      retryIntervalMs: 50,
    });
    const connected = await connector.connect([host]);
    cleanups.push(() => void connected.socket.destroy());
    assert.equal(connected.woken, true);
    assert.equal(connected.host, host);
    assert.deepStrictEqual(listener.packets[0], magicPacket(MAC));
  });

  it('gives up after the boot wait, naming the host and the wait', async () => {
    const listener = await udpListener();
    cleanups.push(() => {
      listener.socket.close();
    });
    const host: Host = { name: 'deep-sleeper', address: '127.0.0.1', port: await unusedPort(), mac: MAC };
    const connector = createConnector({
      logger: silentLogger,
      wake: () => ({ address: '127.0.0.1', port: listener.port, bootWaitMs: 300 }),
      retryIntervalMs: 50,
    });
    const started = Date.now();
    await assert.rejects(connector.connect([host]), (error) => {
      assert.ok(error instanceof DialError);
      assert.equal(error.failure, 'timeout');
      assert.match(error.message, /deep-sleeper did not answer within 0.3 s of a wake-on-LAN packet/);
      return true;
    });
    assert.ok(Date.now() - started < 3_000);
    assert.ok(listener.packets.length >= 1);
  });

  it('sends nothing for a host without a MAC, or when the host answers', async () => {
    const listener = await udpListener();
    cleanups.push(() => {
      listener.socket.close();
    });
    const wake = () => ({ address: '127.0.0.1', port: listener.port, bootWaitMs: 1_000 });
    const connector = createConnector({ logger: silentLogger, wake, retryIntervalMs: 50 });
    const noMac: Host = { name: 'plain', address: '127.0.0.1', port: await unusedPort() };
    await assert.rejects(
      connector.connect([noMac]),
      (error) => error instanceof DialError && error.failure === 'refused',
    );

    const server = createServer((socket: Socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const awake: Host = { name: 'awake', address: '127.0.0.1', port: (server.address() as AddressInfo).port, mac: MAC };
    const connected = await connector.connect([awake]);
    connected.socket.destroy();
    assert.equal(connected.woken, false);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(listener.packets.length, 0);
  });
});

describe('connector: alternates (dst_alt) in order', () => {
  it('tries the hosts in order and connects to the first that answers, reporting the ones that did not', async () => {
    const server = createServer((socket: Socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const dead: Host = { name: 'dead', address: '127.0.0.1', port: await unusedPort() };
      const alive: Host = { name: 'alive', address: '127.0.0.1', port: (server.address() as AddressInfo).port };
      const dialled: string[] = [];
      const connector = createConnector({
        logger: silentLogger,
        wake: () => undefined,
        dial: (address, port, options) => {
          dialled.push(`${address}:${port}`);
          return dialTarget(address, port, options);
        },
      });
      const connected = await connector.connect([dead, alive, dead]);
      connected.socket.destroy();
      assert.equal(connected.host, alive);
      assert.deepStrictEqual(dialled, [`127.0.0.1:${dead.port}`, `127.0.0.1:${alive.port}`]);
      assert.deepStrictEqual(
        connected.failures.map((f) => [f.host.name, f.error.failure]),
        [['dead', 'refused']],
      );
      await assert.rejects(connector.connect([dead, dead]), /no target answered/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('stops at once when the client gives up (abort)', async () => {
    const abort = new AbortController();
    const connector = createConnector({
      logger: silentLogger,
      wake: () => undefined,
      dial: () => {
        abort.abort();
        return Promise.reject(new DialError('refused', 'refused'));
      },
    });
    const host: Host = { name: 'a', address: '127.0.0.1', port: 1 };
    await assert.rejects(connector.connect([host, host], abort.signal), (error: Error) => error.name === 'AbortError');
  });
});
