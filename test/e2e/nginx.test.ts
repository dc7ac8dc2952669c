/**
 * End to end through a real NGINX running the shipped site file (deploy/nginx/homegate.conf), under each client
 * flavour: xfreerdp → NGINX (TLS on loopback; port 443 of a loopback address of its own for FreeRDP 3, which dials
 * 443) → `homegate serve --plain-listen` → freerdp-shadow-cli, over both MS-TSGU transports.
 *
 * NGINX connects to the gateway from 127.0.0.2 (`proxy_bind`) while the client connects to NGINX from 127.0.0.1, so
 * the audit log shows which address the gateway believed: the forwarded one while 127.0.0.2 is a trusted proxy, the
 * proxy's own once it is not.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  CLIENT_FLAVOURS,
  NGINX_TOOLS,
  SHADOW_SERVER_TOOLS,
  XFREERDP_BASE_ARGS,
  attemptSession,
  describeXfreerdpResult,
  gatewayListenAddress,
  homegateOk,
  makeTempDir,
  parseEndpoint,
  readAuditLog,
  skipUnlessFlavour,
  startHomegateServe,
  startNginx,
  startShadowServer,
  xfreerdpTarget,
  type AuditRecord,
  type GatewayTransport,
  type HomegateServe,
  type NginxHandle,
  type ShadowServerHandle,
  type TempDir,
  allowHost,
  waitForAudit,
} from './harness/index.ts';

const SITE_FILE = fileURLToPath(new URL('../../deploy/nginx/homegate.conf', import.meta.url));
const CLIENT_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 90_000;
/** The address NGINX connects to the gateway from; the client reaches NGINX from 127.0.0.1. */
const PROXY_ADDRESS = '127.0.0.2';

/** Replaces the one line that matches `pattern` (the shipped file must still contain it, once). */
function replaceLine(text: string, pattern: RegExp, replacement: string): string {
  const matches = text.match(new RegExp(pattern.source, 'gm')) ?? [];
  if (matches.length !== 1) throw new Error(`deploy/nginx/homegate.conf: ${matches.length} lines match ${pattern}`);
  return text.replace(new RegExp(pattern.source, 'm'), replacement);
}

/** The shipped site file with only its CHANGE lines (and the IPv6 listen) adapted to this test. */
function renderSite(
  template: string,
  listen: { readonly host: string; readonly port: number },
  upstreamPort: number,
  tlsDir: string,
): string {
  let site = template;
  site = replaceLine(site, /^\s*listen 443 ssl;.*$/, `    listen ${listen.host}:${listen.port} ssl;`);
  site = replaceLine(site, /^\s*listen \[::\]:443 ssl;.*$/, '');
  site = replaceLine(site, /^\s*server 127\.0\.0\.1:8080;.*$/, `    server 127.0.0.1:${upstreamPort};`);
  site = replaceLine(site, /^\s*ssl_certificate\s.*$/, `    ssl_certificate ${join(tlsDir, 'server.pem')};`);
  site = replaceLine(
    site,
    /^\s*ssl_certificate_key\s.*$/,
    `    ssl_certificate_key ${join(tlsDir, 'server-key.pem')};`,
  );
  return site;
}

async function setTrustedProxies(dataDir: string, trustedProxies: readonly string[]): Promise<void> {
  const path = join(dataDir, 'settings.json');
  const settings = JSON.parse(await readFile(path, 'utf8')) as { http?: Record<string, unknown> };
  settings.http = { ...settings.http, trustedProxies };
  await writeFile(path, `${JSON.stringify(settings, null, 2)}\n`);
}

for (const flavour of CLIENT_FLAVOURS) {
  const skip = skipUnlessFlavour(flavour, [...SHADOW_SERVER_TOOLS, ...NGINX_TOOLS]);

  describe(
    `${flavour.label} through NGINX (deploy/nginx/homegate.conf) to homegate serve`,
    { skip, timeout: 5 * TEST_TIMEOUT_MS },
    () => {
      let shadow: ShadowServerHandle;
      let data: TempDir;
      let serve: HomegateServe;
      let nginx: NginxHandle;

      before(async () => {
        shadow = await startShadowServer();
        data = await makeTempDir('nginx-gateway');
        await allowHost(data.path, 'shadow', shadow.port);
        await setTrustedProxies(data.path, [PROXY_ADDRESS]);
        serve = await startHomegateServe(data.path, { extraArgs: ['--plain-listen', '127.0.0.1:0'] });
        const upstreamPort = serve.plainPort;
        assert.ok(upstreamPort !== undefined, 'serve printed its plain-HTTP address');
        const template = await readFile(SITE_FILE, 'utf8');
        nginx = await startNginx({
          site: (listen) => renderSite(template, listen, upstreamPort, join(data.path, 'tls')),
          // FreeRDP 3 dials 443: NGINX then listens there, on a loopback address of its own.
          ...(flavour.commandLineGatewayPort === 0
            ? {}
            : { listenAddress: async () => parseEndpoint(await gatewayListenAddress(flavour)) }),
          httpDirectives: [`proxy_bind ${PROXY_ADDRESS};`],
        });
      });

      after(async () => {
        await nginx?.stop();
        await serve?.stop();
        await shadow?.stop();
        await data?.remove();
      });

      /** One session through NGINX; returns the tunnel's connect and end audit records. */
      async function connectThroughNginx(
        transport: GatewayTransport,
      ): Promise<{ connect: AuditRecord; end: AuditRecord }> {
        const skipRecords = (await readAuditLog(data.path)).length;
        const token = (await homegateOk(data.path, ['token', 'paa', '--host', 'shadow'])).trim();
        const { held, result } = await attemptSession(
          [
            xfreerdpTarget('127.0.0.1', shadow.port),
            ...XFREERDP_BASE_ARGS,
            ...flavour.gatewayArgs({ host: nginx.host, port: nginx.port }, token, transport),
          ],
          { flavour, timeoutMs: CLIENT_TIMEOUT_MS },
        );
        const context = `${describeXfreerdpResult(result)}\nnginx access log:\n${await nginx.accessLog()}`;
        assert.ok(held, context);
        const connect = await waitForAudit(data.path, (r) => r.event === 'tunnel.connect', skipRecords);
        const end = await waitForAudit(
          data.path,
          (r) => r.event === 'tunnel.end' && r.session === connect.session,
          skipRecords,
        );
        assert.ok(Number(end.bytesToTarget) > 1000, `bytes to target: ${String(end.bytesToTarget)}`);
        assert.ok(Number(end.bytesToClient) > 1000, `bytes to client: ${String(end.bytesToClient)}`);
        return { connect, end };
      }

      test(
        'the WebSocket transport passes, and the client is the address NGINX forwarded',
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          const { connect } = await connectThroughNginx('websocket');
          assert.equal(connect.transport, 'websocket');
          assert.equal(connect.client, '127.0.0.1', 'the X-Forwarded-For address, not the proxy at 127.0.0.2');
          assert.match(await nginx.accessLog(), /^127\.0\.0\.1 "RDG_OUT_DATA \/remoteDesktopGateway\/" 101 /m);
        },
      );

      test(
        'the legacy transport (no-websockets) passes, with the forwarded client address',
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          const { connect } = await connectThroughNginx('legacy');
          assert.equal(connect.transport, 'http');
          assert.equal(connect.client, '127.0.0.1', 'both channels paired under the forwarded address');
          const log = await nginx.accessLog();
          assert.match(log, /^127\.0\.0\.1 "RDG_OUT_DATA \/remoteDesktopGateway\/" 200 /m);
          assert.match(log, /^127\.0\.0\.1 "RDG_IN_DATA \/remoteDesktopGateway\/" 200 /m);
        },
      );

      test(
        'once NGINX is no longer a trusted proxy, its X-Forwarded-For is ignored',
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          await setTrustedProxies(data.path, []);
          await serve.process.waitForLine(/settings reloaded/, 10_000);
          const cases: ReadonlyArray<readonly [GatewayTransport, string]> = [
            ['websocket', 'websocket'],
            ['legacy', 'http'],
          ];
          for (const [transport, served] of cases) {
            const { connect } = await connectThroughNginx(transport);
            assert.equal(connect.transport, served);
            assert.equal(connect.client, PROXY_ADDRESS, `${served}: the TCP peer, since the header is not believed`);
          }
        },
      );
    },
  );
}
