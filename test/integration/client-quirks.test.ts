/**
 * Known client behaviour (issue #15), at the wire level against the real gateway on loopback: the macOS and iOS
 * client's `Sec-WebSocket-Protocol: binary`, the `User-Agent: MS-RDGateway/1.0` every client sends, the
 * `RDG-Correlation-Id` recorded in the audit log (and only when it is GUID-shaped), an `RDG-Connection-Id` reused by
 * several clients at once, and the channel id in the channel response, read from the bytes as they came.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { HResult } from '../../main/gateway/tsgu/constants.ts';
import { startEchoGateway, stopEchoGateway, type AuditRecord, type TestGateway } from '../helpers/gateway.ts';
import {
  LegacyTsguClient,
  openInChannel,
  openLegacyTunnel,
  type LegacyClientOptions,
} from '../helpers/legacy-client.ts';
import type { TargetServer } from '../helpers/targets.ts';
import { TsguClient, openTunnel, type TsguClientOptions } from '../helpers/tsgu-client.ts';
import { within } from '../helpers/wait.ts';

const UA = 'MS-RDGateway/1.0';
const newGuid = (): string => `{${randomUUID().toUpperCase()}}`;

describe('known client behaviour at the protocol level', { timeout: 60_000 }, () => {
  let gateway: TestGateway;
  let echo: TargetServer;
  let token: string;
  let tokenId: string;

  before(async () => {
    ({ gateway, echo, token, tokenId } = await startEchoGateway({ limits: { legacyPairSeconds: 2 } }));
  });

  after(() => stopEchoGateway({ gateway, echo }));

  const target = (): { name: string; port: number } => ({ name: 'echo', port: echo.port });
  const legacyOptions = (overrides: Partial<LegacyClientOptions> = {}): LegacyClientOptions => ({
    host: '127.0.0.1',
    port: gateway.port,
    ca: gateway.service.tls.caCertPem,
    ...overrides,
  });

  async function echoes(client: TsguClient | LegacyTsguClient, text: string): Promise<void> {
    client.sendData(Buffer.from(text));
    assert.equal((await client.readData(Buffer.byteLength(text))).toString(), text);
  }

  /** The tunnel.connect line of the session whose client machine name is `clientName`. */
  const connectLine = (clientName: string): Promise<AuditRecord> =>
    gateway.waitForAudit((record) => record.event === 'tunnel.connect' && record.clientName === clientName);

  describe('Sec-WebSocket-Protocol', () => {
    const offers: ReadonlyArray<readonly [string, string | undefined]> = [
      ['binary', 'binary'],
      ['chat, binary', 'binary'],
      ['chat, superchat', undefined],
      ['Binary', undefined],
    ];
    for (const [offer, answer] of offers) {
      it(`offered "${offer}": the 101 names ${answer ?? 'no subprotocol'} and the tunnel works`, async () => {
        const client = await openTunnel(
          gateway.clientOptions({ headers: { 'Sec-WebSocket-Protocol': offer } }),
          token,
          target(),
        );
        try {
          assert.equal(client.responseHeaders.get('sec-websocket-protocol'), answer);
          await echoes(client, `over ${offer}`);
        } finally {
          await client.close();
        }
      });
    }

    it('no offer: no Sec-WebSocket-Protocol in the 101 (FreeRDP, MSTSC)', async () => {
      const client = await TsguClient.connect(gateway.clientOptions());
      try {
        assert.equal(client.responseHeaders.has('sec-websocket-protocol'), false);
      } finally {
        client.destroy();
      }
    });
  });

  describe(`User-Agent: ${UA}`, () => {
    it('is accepted on the WebSocket transport', async () => {
      const options: TsguClientOptions = gateway.clientOptions({ headers: { 'User-Agent': UA } });
      const client = await openTunnel(options, token, target(), 'UAWS');
      try {
        await echoes(client, 'websocket with the MS UA');
        assert.equal((await connectLine('UAWS')).transport, 'websocket');
      } finally {
        await client.close();
      }
    });

    it('is accepted on the legacy transport, on both channels', async () => {
      const client = await openLegacyTunnel(legacyOptions({ headers: { 'User-Agent': UA } }), token, target(), 'UALEG');
      try {
        await echoes(client, 'legacy with the MS UA');
        assert.equal((await connectLine('UALEG')).transport, 'http');
      } finally {
        client.destroy();
      }
    });
  });

  describe('RDG-Correlation-Id', () => {
    it('is recorded, braced and in lower case, in the tunnel.connect line (WebSocket)', async () => {
      const correlationId = newGuid();
      const client = await openTunnel(
        gateway.clientOptions({ headers: { 'RDG-Correlation-Id': correlationId } }),
        token,
        target(),
        'CORRWS',
      );
      try {
        assert.equal((await connectLine('CORRWS')).correlationId, correlationId.toLowerCase());
      } finally {
        await client.close();
      }
    });

    it('is recorded from the legacy OUT request, without braces too', async () => {
      const bare = randomUUID();
      const client = await openLegacyTunnel(
        legacyOptions({ headers: { 'RDG-Correlation-Id': bare } }),
        token,
        target(),
        'CORRLEG',
      );
      try {
        assert.equal((await connectLine('CORRLEG')).correlationId, `{${bare}}`);
      } finally {
        client.destroy();
      }
    });

    it('is recorded in the refusal line of a tunnel refused for its token', async () => {
      const correlationId = newGuid();
      const client = await TsguClient.connect(
        gateway.clientOptions({ headers: { 'RDG-Correlation-Id': correlationId } }),
      );
      try {
        await client.handshake();
        const refused = await gateway.auditFromNow();
        const tunnel = await client.createTunnel('not-a-token');
        assert.notEqual(tunnel.statusCode, HResult.S_OK);
        const line = await refused((record) => record.event === 'tunnel.refused' && record.correlationId !== undefined);
        assert.equal(line.correlationId, correlationId.toLowerCase());
      } finally {
        client.destroy();
      }
    });

    // Each carries a marker that must not appear anywhere in the audit log.
    const junk = [
      'not-a-guid-MARKER0',
      `${newGuid()}, {MARKER1}`,
      `${newGuid()}"}{"event":"MARKER2`,
      `{${'A'.repeat(300)}MARKER3}`,
    ];
    for (const [index, value] of junk.entries()) {
      it(`a value that is not GUID-shaped is ignored and never logged (${index + 1})`, async () => {
        const name = `JUNK${index}`;
        const client = await openTunnel(
          gateway.clientOptions({ headers: { 'RDG-Correlation-Id': value } }),
          token,
          target(),
          name,
        );
        try {
          assert.equal('correlationId' in (await connectLine(name)), false);
          assert.equal(JSON.stringify(await gateway.auditRecords()).includes(`MARKER${index}`), false);
        } finally {
          await client.close();
        }
      });
    }
  });

  describe('RDG-Connection-Id reused by several clients', () => {
    it('two clients with one id and their own tokens pair separately; a third cannot attach to a waiting half', async () => {
      const id = newGuid();
      const other = await gateway.token(['echo']);
      const third = await gateway.token(['echo']);
      // Each client has its own loopback address: the gateway sees three clients.
      const a = await LegacyTsguClient.connect(legacyOptions({ connectionId: id, localAddress: '127.0.0.2' }));
      const b = await LegacyTsguClient.connect(legacyOptions({ connectionId: id, localAddress: '127.0.0.3' }));
      try {
        for (const [client, clientToken, name] of [
          [a, token, 'PAIRA'],
          [b, other.token, 'PAIRB'],
        ] as const) {
          assert.equal((await client.handshake()).errorCode, HResult.S_OK);
          assert.equal((await client.createTunnel(clientToken)).statusCode, HResult.S_OK);
          assert.equal((await client.authorizeTunnel(name)).errorCode, HResult.S_OK);
          assert.equal((await client.createChannel(['echo'], echo.port)).errorCode, HResult.S_OK);
        }
        await echoes(a, 'A through its own pair');
        await echoes(b, 'B through its own pair');
        const [lineA, lineB] = await Promise.all([connectLine('PAIRA'), connectLine('PAIRB')]);
        assert.deepEqual([lineA.client, lineA.tokenId], ['127.0.0.2', tokenId]);
        assert.deepEqual([lineB.client, lineB.tokenId], ['127.0.0.3', other.claims.jti]);

        // While A's and B's tunnels live, their id is free for a new pair: A's client reuses it (FreeRDP 3).
        const again = await openLegacyTunnel(
          legacyOptions({ connectionId: id, localAddress: '127.0.0.2' }),
          token,
          target(),
          'PAIRA2',
        );
        try {
          await echoes(again, 'a second tunnel with the same id');
        } finally {
          again.destroy();
        }

        // A waiting OUT half of client A; client C (another address, another token) opens both channels with the
        // same id: they pair with each other, never with A's half, and A's own IN still finds it.
        const waitingOut = await LegacyTsguClient.connect(
          legacyOptions({ connectionId: id, localAddress: '127.0.0.2', inConnectionId: newGuid() }),
        );
        try {
          const c = await openLegacyTunnel(
            legacyOptions({ connectionId: id, localAddress: '127.0.0.4' }),
            third.token,
            target(),
            'PAIRC',
          );
          try {
            await echoes(c, 'C in a pair of its own');
            assert.deepEqual((await connectLine('PAIRC')).client, '127.0.0.4');
            assert.equal(waitingOut.rawReceived.length, 0, "nothing of C's tunnel reached A's waiting OUT");
          } finally {
            c.destroy();
          }
        } finally {
          waitingOut.destroy();
        }
      } finally {
        a.destroy();
        b.destroy();
      }
    });

    it("an IN half squatted with a victim's id by another client neither joins nor blocks the victim's tunnel", async () => {
      const id = newGuid();
      const squatted = await openInChannel(legacyOptions({ localAddress: '127.0.0.5' }), id);
      const received: Buffer[] = [];
      squatted.on('data', (bytes: Buffer) => received.push(bytes));
      const expired = gateway.waitForLog(
        'legacy channel expired waiting for its partner',
        (record) => record.connectionId === id.toLowerCase() && record.client === '127.0.0.5',
      );
      try {
        const victim = await openLegacyTunnel(
          legacyOptions({ connectionId: id, localAddress: '127.0.0.6' }),
          token,
          target(),
          'VICTIM',
        );
        try {
          await echoes(victim, 'the victim pairs with its own IN');
          assert.equal((await connectLine('VICTIM')).client, '127.0.0.6');
        } finally {
          victim.destroy();
        }
        assert.equal((await expired).channel, 'in', "the squatter's IN only ever waited, and expired");
        await within(
          new Promise((resolve) => (squatted.destroyed ? resolve(undefined) : squatted.once('close', resolve))),
          5_000,
          'the squatting IN dropped',
        );
        assert.equal(Buffer.concat(received).length, 0);
      } finally {
        squatted.destroy();
      }
    });
  });

  describe('channel response', () => {
    it('carries channel id 1 in its bytes (fieldsPresent 0x0001, then the u32 channelId)', async () => {
      const client = await openLegacyTunnel(legacyOptions(), token, target(), 'CHANID');
      try {
        const wire = client.rawReceived;
        // Walk the packets as they came: u16 type, u16 reserved, u32 length.
        let offset = 0;
        let channelResponse: Buffer | undefined;
        while (offset + 8 <= wire.length) {
          const length = wire.readUInt32LE(offset + 4);
          if (wire.readUInt16LE(offset) === 0x0009) channelResponse = wire.subarray(offset, offset + length);
          offset += length;
        }
        assert.ok(channelResponse, 'a CHANNEL_RESPONSE on the OUT channel');
        assert.equal(
          channelResponse.toString('hex'),
          '09000000' + '14000000' + '00000000' + '0100' + '0000' + '01000000',
        );
      } finally {
        client.destroy();
      }
    });
  });
});
