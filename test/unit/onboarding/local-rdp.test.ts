/**
 * "This PC": the probe counts only an X.224 Connection Confirm as RDP. Real loopback listeners: one answering as an
 * RDP server's first reply does, one answering like a web server, one port with nothing on it.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { findLocalRdp, isConnectionConfirm, localAddresses } from '../../../main/onboarding/local-rdp.ts';

/** TPKT + X.224 Connection Confirm + RDP_NEG_RSP (TLS), as an RDP server answers a connection request. */
const CONFIRM = Buffer.from([
  0x03, 0x00, 0x00, 0x13, 0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00, 0x02, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00,
]);

function listen(answer: (request: Buffer) => Buffer): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', (request: Buffer) => socket.end(answer(request)));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const portOf = (server: Server): number => (server.address() as AddressInfo).port;

describe('findLocalRdp', () => {
  let rdp: Server;
  let web: Server;
  let requests: Buffer[] = [];

  before(async () => {
    rdp = await listen((request) => {
      requests.push(request);
      return CONFIRM;
    });
    web = await listen(() => Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'));
  });
  after(() => {
    rdp.close();
    web.close();
  });

  it('finds a server that confirms the X.224 connection request, with its round trip', async () => {
    requests = [];
    const found = await findLocalRdp({ addresses: ['127.0.0.1'], port: portOf(rdp) });
    assert.equal(found.length, 1);
    assert.equal(found[0]?.address, '127.0.0.1');
    assert.equal(found[0]?.port, portOf(rdp));
    assert.ok((found[0]?.latencyMs ?? -1) >= 0);
    // What it sent is a TPKT-framed X.224 Connection Request (code 0xE0).
    assert.equal(requests[0]?.[0], 0x03);
    assert.equal(requests[0]?.readUInt16BE(2), requests[0]?.length);
    assert.equal(requests[0]?.[5], 0xe0);
  });

  it('does not take a web server, or a closed port, for Remote Desktop', async () => {
    assert.deepEqual(await findLocalRdp({ addresses: ['127.0.0.1'], port: portOf(web) }), []);
    const closed = await listen(() => CONFIRM);
    const port = portOf(closed);
    await new Promise((resolve) => closed.close(resolve));
    assert.deepEqual(await findLocalRdp({ addresses: ['127.0.0.1'], port }), []);
  });

  it('gives up on an address that never answers within the deadline', async () => {
    const silent = createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    assert.deepEqual(await findLocalRdp({ addresses: ['127.0.0.1'], port: portOf(silent), timeoutMs: 100 }), []);
    silent.close();
  });

  it('tries loopback first and a bounded number of addresses', () => {
    const addresses = localAddresses();
    assert.equal(addresses[0], '127.0.0.1');
    assert.ok(addresses.length <= 8);
    assert.ok(isConnectionConfirm(CONFIRM));
    assert.ok(!isConnectionConfirm(Buffer.from('HTTP/1.1')));
  });
});
