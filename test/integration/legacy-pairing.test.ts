/**
 * How the gateway pairs the two legacy channels (RDG-Connection-Id) and refuses what does not pair: half-open pairs
 * expire and free their slot, ids are validated, a duplicate channel is refused, an id may be used again and by
 * several clients (each pairs with its own), the number of pending pairs is capped, and body framings that invite
 * request smuggling are refused.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type KnownClientPacket } from '../../main/gateway/tsgu/codec.ts';
import { decodeServerPacket, encodeClientPacket } from '../helpers/tsgu-codec.ts';
import { ExtendedAuth, HResult } from '../../main/gateway/tsgu/constants.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import {
  LegacyStatusError,
  LegacyTsguClient,
  legacyRequestHead,
  openLegacyTunnel,
  openOutChannel,
  openSocket,
  type LegacyClientOptions,
} from '../helpers/legacy-client.ts';
import { TargetServer } from '../helpers/targets.ts';
import { readResponseHead } from '../helpers/tsgu-client.ts';
import { within } from '../helpers/wait.ts';

const PAIR_TIMEOUT_MS = 300;
const HANDSHAKE: KnownClientPacket = {
  type: 'handshake-request',
  verMajor: 1,
  verMinor: 0,
  clientVersion: 0,
  extendedAuth: ExtendedAuth.PAA,
};
const newId = (): string => `{${randomUUID()}}`;
const closedSocket = (socket: Socket): Promise<void> =>
  new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

describe('legacy channel pairing', { timeout: 60_000 }, () => {
  let gateway: TestGateway;
  let echo: TargetServer;
  let token: string;

  before(async () => {
    gateway = await startTestGateway({
      plain: true,
      limits: { legacyPairSeconds: PAIR_TIMEOUT_MS / 1000 },
    });
    echo = await TargetServer.start({ mode: 'echo' });
    await gateway.addHost({ name: 'echo', port: echo.port });
    ({ token } = await gateway.token(['echo']));
  });

  after(async () => {
    await gateway.dispose();
    await echo.close();
  });

  const options = (overrides: Partial<LegacyClientOptions> = {}): LegacyClientOptions => ({
    host: '127.0.0.1',
    port: gateway.port,
    ca: gateway.service.tls.caCertPem,
    ...overrides,
  });

  /** Sends one request head (and optional body bytes) and returns the status, or 'none' if nothing came back. */
  async function statusOf(head: string, body = ''): Promise<number | 'none'> {
    const socket = await openSocket(options());
    try {
      socket.write(head + body);
      return (await readResponseHead(socket, 1_000)).status;
    } catch (error) {
      if (/no response head/.test((error as Error).message)) return 'none';
      throw error;
    } finally {
      socket.destroy();
    }
  }

  it('an OUT channel whose IN never comes is dropped after the pair timeout, and its id is free again', async () => {
    const id = newId();
    const out = await openOutChannel(options(), id);
    const expired = gateway.waitForLog('legacy channel expired waiting for its partner', (r) => r.connectionId === id);
    await within(closedSocket(out.socket), PAIR_TIMEOUT_MS + 2_000, 'the gateway dropping the lone OUT channel');
    const record = await expired;
    assert.equal(record.channel, 'out');
    assert.equal(record.client, '127.0.0.1');
    // The slot was freed: the same id makes a working tunnel now.
    const client = await openLegacyTunnel(options({ connectionId: id }), token, { name: 'echo', port: echo.port });
    try {
      client.sendData(Buffer.from('after expiry'));
      assert.equal((await client.readData(12)).toString(), 'after expiry');
      assert.equal(await client.closeChannel(), HResult.S_OK);
    } finally {
      client.destroy();
    }
  });

  it('channels with mismatched ids do not pair: both wait and expire', async () => {
    const outId = newId();
    const inId = newId();
    const expiredIn = gateway.waitForLog(
      'legacy channel expired waiting for its partner',
      (r) => r.connectionId === inId,
    );
    const client = await LegacyTsguClient.connect(options({ connectionId: outId, inConnectionId: inId }));
    try {
      // The gateway has no tunnel for either: the handshake goes unanswered and both connections are dropped.
      client.sendPacket(HANDSHAKE);
      await within(client.outClosed, PAIR_TIMEOUT_MS + 2_000, 'OUT dropped');
      await within(client.inClosed, PAIR_TIMEOUT_MS + 2_000, 'IN dropped');
      assert.equal((await expiredIn).channel, 'in');
    } finally {
      client.destroy();
    }
  });

  it('a second OUT channel with a waiting id is refused with 409', async () => {
    const id = newId();
    const first = await openOutChannel(options(), id);
    try {
      await assert.rejects(
        openOutChannel(options(), id),
        (error) => error instanceof LegacyStatusError && error.status === 409,
      );
    } finally {
      first.socket.destroy();
    }
  });

  it('an id in use by a live tunnel can be used again: the new pair is its own tunnel, the live one is untouched', async () => {
    const id = newId();
    const client = await openLegacyTunnel(options({ connectionId: id }), token, { name: 'echo', port: echo.port });
    try {
      const second = await openLegacyTunnel(options({ connectionId: id }), token, { name: 'echo', port: echo.port });
      try {
        second.sendData(Buffer.from('second'));
        assert.equal((await second.readData(6)).toString(), 'second');
      } finally {
        second.destroy();
      }
      client.sendData(Buffer.from('still here'));
      assert.equal((await client.readData(10)).toString(), 'still here');
    } finally {
      client.destroy();
    }
  });

  it('an IN channel from another client address does not join a waiting OUT: it waits for its own', async () => {
    // 127.0.0.1 is made a trusted proxy so that a forwarded header can give the IN channel another client address.
    await gateway.service.context.settings.update((s) => ({
      ...s,
      http: { ...s.http, trustedProxies: ['127.0.0.1'] },
    }));
    try {
      const id = newId();
      const out = await openOutChannel(options({ extraHeaders: ['X-Forwarded-For: 192.0.2.10'] }), id);
      try {
        const expired = gateway.waitForLog(
          'legacy channel expired waiting for its partner',
          (r) => r.connectionId === id && r.client === '198.51.100.66',
        );
        const spoofed = legacyRequestHead('RDG_IN_DATA', id, { extraHeaders: ['X-Forwarded-For: 198.51.100.66'] });
        assert.equal(await statusOf(spoofed), 200, 'the first IN request is answered as for any client');
        const socket = await openSocket(options());
        try {
          socket.write(
            legacyRequestHead('RDG_IN_DATA', id, { chunked: true, extraHeaders: ['X-Forwarded-For: 198.51.100.66'] }),
          );
          assert.equal((await expired).channel, 'in');
        } finally {
          socket.destroy();
        }
      } finally {
        out.socket.destroy();
      }
    } finally {
      await gateway.service.context.settings.update((s) => ({ ...s, http: { ...s.http, trustedProxies: [] } }));
    }
  });

  const malformedIds = ['', '3F2504E0-4F89-11D3-9A0C-0305E82C3301', '{not-a-guid}', '{3F2504E0-4F89-11D3-9A0C}'];
  for (const id of malformedIds) {
    it(`a malformed RDG-Connection-Id ${JSON.stringify(id)} is refused with 400 on both methods`, async () => {
      assert.equal(await statusOf(legacyRequestHead('RDG_OUT_DATA', id)), 400);
      assert.equal(await statusOf(legacyRequestHead('RDG_IN_DATA', id)), 400);
    });
  }

  it('pending pairs per client are capped (503)', async (t) => {
    // A gateway of its own, so that channels other tests left closing cannot count against the cap.
    const capped = await startTestGateway({ limits: { maxHalfOpenLegacyPairsPerAddress: 2 } });
    t.after(() => capped.dispose());
    const cappedOptions = options({ port: capped.port, ca: capped.service.tls.caCertPem });
    const outs = [await openOutChannel(cappedOptions, newId()), await openOutChannel(cappedOptions, newId())];
    try {
      await assert.rejects(
        openOutChannel(cappedOptions, newId()),
        (error) => error instanceof LegacyStatusError && error.status === 503,
      );
      // A channel that leaves frees its slot as soon as the gateway sees the connection close.
      outs[0]?.socket.destroy();
      for (let attempt = 1; ; attempt++) {
        try {
          outs.push(await openOutChannel(cappedOptions, newId()));
          break;
        } catch (error) {
          if (!(error instanceof LegacyStatusError) || attempt === 40) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    } finally {
      for (const out of outs) out.socket.destroy();
    }
  });

  describe('body framing', () => {
    const id = newId();
    it('Transfer-Encoding together with Content-Length is refused (400)', async () => {
      const head = legacyRequestHead('RDG_IN_DATA', id, { chunked: true, extraHeaders: ['Content-Length: 5'] });
      assert.equal(await statusOf(head), 400);
    });

    it('a transfer coding other than chunked is refused (501)', async () => {
      const head = legacyRequestHead('RDG_IN_DATA', id, { extraHeaders: ['Transfer-Encoding: gzip, chunked'] });
      assert.equal(await statusOf(head.replace('Content-Length: 0\r\n', '')), 501);
    });

    it('chunked wrapped in white space that is not HTTP white space (VT, FF) is not chunked (501)', async () => {
      for (const coding of ['\x0bchunked', 'chunked\x0c']) {
        const head = legacyRequestHead('RDG_IN_DATA', id, { extraHeaders: [`Transfer-Encoding: ${coding}`] });
        assert.equal(await statusOf(head.replace('Content-Length: 0\r\n', '')), 501, JSON.stringify(coding));
      }
    });

    it('a malformed Content-Length is refused (400)', async () => {
      const head = legacyRequestHead('RDG_IN_DATA', id).replace('Content-Length: 0', 'Content-Length: -1');
      assert.equal(await statusOf(head), 400);
    });

    it('RDG_OUT_DATA with a body is refused (400)', async () => {
      assert.equal(await statusOf(legacyRequestHead('RDG_OUT_DATA', id, { chunked: true })), 400);
    });

    it('an IN channel with a Content-Length body (not chunked) carries the stream as it is', async () => {
      const connectionId = newId();
      const out = await openOutChannel(options(), connectionId);
      const input = await openSocket(options());
      try {
        const head = legacyRequestHead('RDG_IN_DATA', connectionId).replace(
          'Content-Length: 0',
          'Content-Length: 1000000',
        );
        input.write(head);
        input.write(encodeClientPacket(HANDSHAKE));
        const handshakeResponse = new Promise<Buffer>((resolve) => out.socket.once('data', resolve));
        out.socket.resume();
        const bytes = await within(handshakeResponse, 5_000, 'the handshake response on OUT');
        assert.equal(decodeServerPacket(bytes).type, 'handshake-response');
      } finally {
        out.socket.destroy();
        input.destroy();
      }
    });
  });
});
