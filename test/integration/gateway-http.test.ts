/**
 * What the gateway's HTTPS front door does with requests that are not a tunnel: the health endpoint, unknown
 * paths, MS-TSGU requests it refuses, malformed and oversize heads — each answered with its status and the
 * connection closed where the answer says so.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { rawHttpsExchange } from '../helpers/raw-https.ts';
import { FREERDP_STYLE_KEY, TsguClient, UpgradeRefusedError } from '../helpers/tsgu-client.ts';

interface JsonResponse {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly json: unknown;
}

describe('non-tunnel HTTP on the gateway port', { timeout: 30_000 }, () => {
  let gateway: TestGateway;

  before(async () => {
    gateway = await startTestGateway();
  });

  after(() => gateway.dispose());

  /** A GET through Node's own HTTPS client, verifying the certificate for 'localhost'. */
  async function get(path: string): Promise<JsonResponse> {
    const reply = await gateway.request('GET', path, { timeoutMs: 5_000 });
    return {
      status: reply.status,
      contentType: reply.headers['content-type'],
      json: JSON.parse(reply.body.toString('utf8')),
    };
  }

  const raw = (request: string | Buffer) =>
    rawHttpsExchange({ host: '127.0.0.1', port: gateway.port, ca: gateway.service.tls.caCertPem }, request);

  const rdgHead = (method: string, path: string, extra: readonly string[]): string =>
    [`${method} ${path} HTTP/1.1`, 'Host: localhost', ...extra, 'Content-Length: 0', '', ''].join('\r\n');

  it('GET /jet/health answers 200 with JSON naming the gateway', async () => {
    const response = await get('/jet/health');
    assert.equal(response.status, 200);
    assert.match(response.contentType ?? '', /^application\/json/);
    assert.deepEqual(response.json, { status: 'ok', gatewayId: gateway.gatewayId });
  });

  it('an unknown path answers 404 with JSON', async () => {
    const response = await get('/no/such/thing');
    assert.equal(response.status, 404);
    assert.match(response.contentType ?? '', /^application\/json/);
    assert.equal((response.json as { error?: unknown }).error, 'not-found');
  });

  it('RDG_OUT_DATA upgrade to another path answers 404', async () => {
    await assert.rejects(
      TsguClient.connect(gateway.clientOptions({ path: '/rpc/rpcproxy.dll' })),
      (error) => error instanceof UpgradeRefusedError && error.status === 404,
    );
  });

  it('legacy RDG_OUT_DATA without an RDG-Connection-Id answers 400 and closes', async () => {
    const response = await raw(rdgHead('RDG_OUT_DATA', '/remoteDesktopGateway/', ['Connection: Keep-Alive']));
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('connection'), 'close');
  });

  it('RDG_IN_DATA without an RDG-Connection-Id answers 400', async () => {
    const response = await raw(rdgHead('RDG_IN_DATA', '/remoteDesktopGateway/', ['Connection: Keep-Alive']));
    assert.equal(response.status, 400);
  });

  it('an upgrade with another WebSocket version answers 400', async () => {
    const response = await raw(
      rdgHead('RDG_OUT_DATA', '/remoteDesktopGateway/', [
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 8',
        `Sec-WebSocket-Key: ${FREERDP_STYLE_KEY}`,
      ]),
    );
    assert.equal(response.status, 400);
  });

  it('an upgrade without a key answers 400', async () => {
    const response = await raw(
      rdgHead('RDG_OUT_DATA', '/remoteDesktopGateway/', [
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
      ]),
    );
    assert.equal(response.status, 400);
  });

  it('accepts the path case-insensitively and a FreeRDP-style key verbatim', async () => {
    const client = await TsguClient.connect(
      gateway.clientOptions({ path: '/REMOTEDESKTOPGATEWAY/', websocketKey: FREERDP_STYLE_KEY }),
    );
    await client.close();
  });

  it('a request head over the size limit answers 431 and closes', async () => {
    const head = `GET /jet/health HTTP/1.1\r\nHost: localhost\r\nX-Filler: ${'a'.repeat(20 * 1024)}\r\n\r\n`;
    const response = await raw(head);
    assert.equal(response.status, 431);
  });

  it('an unsupported HTTP version answers 505 with its own reason phrase (found by fuzzing: it said Bad Request)', async () => {
    const response = await raw('RDG_OUT_DATA /remoteDesktopGateway/ HTTP/2.0\r\n\r\n');
    assert.equal(response.status, 505);
    assert.equal(response.reason, 'HTTP Version Not Supported');
  });

  it('a malformed request line answers 400', async () => {
    const response = await raw('RDG_OUT_DATA  /remoteDesktopGateway/ HTTP/1.1\r\n\r\n');
    assert.equal(response.status, 400);
  });

  it('offers only HTTP/1.1 over ALPN, even to a client that prefers h2', async () => {
    const response = await rawHttpsExchange(
      {
        host: '127.0.0.1',
        port: gateway.port,
        ca: gateway.service.tls.caCertPem,
        ALPNProtocols: ['h2', 'http/1.1'],
      },
      'GET /jet/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    );
    assert.equal(response.alpnProtocol, 'http/1.1');
    assert.equal(response.status, 200);
  });
});
