/**
 * "Wake now" and the hosts' last reachability through the contract, against a real gateway: `hosts.wake` sends the
 * real magic packet, received here on a UDP socket on loopback; `hosts.test` and the gateway's dials are
 * remembered with their time, listed by `doctor.reachability` and saved in the data directory. A host that starts
 * listening only when its magic packet arrives makes a session that says it was woken.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { CallInput, CallName, CallOutput } from '../../shared/ipc/contract.ts';
import { dataPaths } from '../../main/config/data-dir.ts';
import { createCallHandlers, dispatchCall, type CallHandlers } from '../../main/ipc/dispatch.ts';
import { silentLogger } from '../../main/logging/logger.ts';
import { MAGIC_PACKET_BYTES, MAGIC_PACKET_COPIES } from '../../main/relay/wake-on-lan.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { unusedPort } from '../helpers/targets.ts';
import { openTunnel } from '../helpers/tsgu-client.ts';
import type { HostReachability } from '../../shared/model/doctor.ts';
import type { SessionInfo } from '../../shared/model/sessions.ts';
import { watchContractEvents } from '../../main/ipc/events.ts';

const MAC = '00:11:22:aa:bb:cc';
const WAIT_MS = 5_000;

describe('Wake now and the last reachability, through the contract', { timeout: 60_000 }, () => {
  let gateway: TestGateway;
  let call: <N extends CallName>(name: N, input: CallInput<N>) => Promise<CallOutput<N>>;
  const udp = createSocket('udp4');
  const received: Buffer[] = [];

  before(async () => {
    udp.on('message', (message) => received.push(message));
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    gateway = await startTestGateway();
    await gateway.service.context.settings.update((settings) => ({
      ...settings,
      wakeOnLan: { ...settings.wakeOnLan, broadcastAddress: '127.0.0.1', port: udp.address().port },
    }));
    const handlers: CallHandlers = createCallHandlers(gateway.service, silentLogger);
    call = async (name, input) =>
      (await dispatchCall(handlers, name, input, silentLogger, { via: 'app' })) as CallOutput<typeof name>;
  });
  after(async () => {
    await gateway.dispose();
    udp.close();
  });

  it('sends the magic packet for the MAC of the host to the configured address and port', async () => {
    const port = await unusedPort();
    await call('hosts.add', { name: 'sleeper', address: '127.0.0.1', port, mac: MAC });
    const audit = await gateway.auditFromNow();
    const result = await call('hosts.wake', { name: 'SLEEPER' });
    assert.deepEqual(result, { host: 'sleeper', mac: MAC, sentTo: `127.0.0.1:${udp.address().port}` });
    // Who woke which host, with which MAC, to where, and that it was sent.
    const woken = await audit((line) => line.event === 'host.woken');
    assert.deepEqual(
      { ...woken, time: undefined },
      {
        time: undefined,
        event: 'host.woken',
        host: 'sleeper',
        mac: MAC,
        sentTo: result.sentTo,
        via: 'app',
        result: 'sent',
      },
    );
    const deadline = Date.now() + WAIT_MS;
    while (received.length < MAGIC_PACKET_COPIES && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(received.length, MAGIC_PACKET_COPIES);
    const macBytes = Buffer.from(MAC.replace(/:/g, ''), 'hex');
    for (const packet of received) {
      assert.equal(packet.length, MAGIC_PACKET_BYTES);
      assert.deepEqual(packet.subarray(0, 6), Buffer.alloc(6, 0xff));
      for (let index = 0; index < 16; index += 1) {
        assert.deepEqual(packet.subarray(6 + index * 6, 12 + index * 6), macBytes);
      }
    }
  });

  it('refuses a host without a MAC and one that is not on the list, sending nothing', async () => {
    const before = received.length;
    await call('hosts.add', { name: 'plain', address: '127.0.0.1', port: 3389 });
    await assert.rejects(call('hosts.wake', { name: 'plain' }), { code: 'invalid-input', message: /no MAC/ });
    await assert.rejects(call('hosts.wake', { name: 'ghost' }), { code: 'not-found' });
    await assert.rejects(call('hosts.wake', { name: 'bad name!' }), { code: 'invalid-input' });
    assert.equal(received.length, before);
    const lines = await gateway.auditRecords();
    assert.ok(
      !lines.some((line) => line.event === 'host.woken' && line.host !== 'sleeper'),
      'nothing sent, nothing audited',
    );
  });

  it('a host that answers only after its magic packet makes a session marked as woken', async () => {
    const port = await unusedPort();
    const mac = '00:11:22:aa:bb:dd';
    const macBytes = Buffer.from(mac.replace(/:/g, ''), 'hex');
    let host: Server | undefined;
    const wake = (message: Buffer): void => {
      if (host || !message.subarray(6, 12).equals(macBytes)) return;
      host = createServer((socket) => socket.pipe(socket)).listen(port, '127.0.0.1');
    };
    udp.on('message', wake);
    try {
      await call('hosts.add', { name: 'dozer', address: '127.0.0.1', port, mac });
      const started = new Promise<SessionInfo>((resolve) => gateway.service.sessions.on('start', resolve));
      const client = await openTunnel(gateway.clientOptions(), (await gateway.token(['dozer'])).token, {
        name: 'dozer',
        port,
      });
      try {
        const session = await started;
        assert.equal(session.host, 'dozer');
        assert.equal(session.woken, true);
        assert.equal(gateway.service.reachability.get('dozer')?.woken, true);
        const connect = await gateway.waitForAudit((line) => line.event === 'tunnel.connect' && line.host === 'dozer');
        assert.equal(connect.woken, true);
      } finally {
        client.destroy();
      }
    } finally {
      udp.off('message', wake);
      host?.close();
    }
  });

  it('remembers a Test with its time, lists it, sends it as an event, and saves it in the data directory', async () => {
    const started = Date.now();
    const events: HostReachability[] = [];
    const stopEvents = watchContractEvents(gateway.service, (name, payload) => {
      if (name === 'doctor.reachability') events.push(payload as HostReachability);
    });
    let listed: HostReachability | undefined;
    try {
      const probe = await call('hosts.test', { name: 'sleeper' });
      assert.equal(probe.reachable, false);
      listed = (await call('doctor.reachability', undefined)).find((entry) => entry.host === 'sleeper');
      assert.equal(listed?.reachable, false);
      assert.ok(Date.parse(listed.at) >= started - 1000);
      assert.match(listed.error ?? '', /refused/);
      // Events of one turn are sent at the end of it.
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(events, [listed]);
    } finally {
      stopEvents();
    }

    const path = dataPaths(gateway.dataDir).reachability;
    const deadline = Date.now() + WAIT_MS;
    let saved: { hosts: { host: string; at: string }[] } | undefined;
    while (Date.now() < deadline) {
      saved = await readFile(path, 'utf8').then(
        (text) => JSON.parse(text) as { hosts: { host: string; at: string }[] },
        () => undefined,
      );
      if (saved?.hosts.some((entry) => entry.host === 'sleeper')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(saved?.hosts.find((entry) => entry.host === 'sleeper')?.at, listed.at);
  });
});
