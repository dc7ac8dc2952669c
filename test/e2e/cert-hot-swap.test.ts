/**
 * End to end with real programs, under each client flavour: a live xfreerdp session through `homegate serve`
 * survives `homegate cert import` (run as a separate process, as a user would), a new connection afterwards
 * succeeds, and a TLS probe sees the imported certificate.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { makeLeaf, makeTestCa } from '../helpers/openssl-certs.ts';
import {
  CLIENT_FLAVOURS,
  SHADOW_SERVER_TOOLS,
  attemptSession,
  describeXfreerdpResult,
  homegateOk,
  makeTempDir,
  readAuditLog,
  skipUnlessFlavour,
  startServeFixture,
  startXfreerdp,
  type GatewayEndpoint,
  type ServeFixture,
  type TempDir,
  waitForAudit,
} from './harness/index.ts';

const CLIENT_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 120_000;
/** How long the live session must stay up after the swap before we call it survived. */
const SURVIVAL_MS = 3_000;

/** The SHA-256 fingerprint of the certificate a fresh TLS handshake with the gateway presents. */
function probeFingerprint(gateway: GatewayEndpoint): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: gateway.host,
      port: gateway.port,
      servername: 'localhost',
      rejectUnauthorized: false,
    });
    socket.setTimeout(5_000, () => socket.destroy(new Error('TLS probe timed out')));
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

for (const flavour of CLIENT_FLAVOURS) {
  const skip = skipUnlessFlavour(flavour, [...SHADOW_SERVER_TOOLS, 'openssl']);

  describe(
    `certificate import while ${flavour.label} is connected through homegate serve`,
    { skip, timeout: TEST_TIMEOUT_MS },
    () => {
      let fixture: ServeFixture;
      let fixtures: TempDir;

      before(async () => {
        fixture = await startServeFixture({ flavour, name: 'cert-swap' });
        fixtures = await makeTempDir('cert-swap-fx');
      });

      after(async () => {
        await fixture?.stop();
        await fixtures?.remove();
      });

      test('the live session stays up, a new connection succeeds, and new handshakes see the new certificate', async (t) => {
        const { data, serve, gateway } = fixture;
        assert.equal(await probeFingerprint(gateway), serve.fingerprint, 'the fingerprint serve printed');

        const token = (await homegateOk(data.path, ['token', 'paa', '--host', 'shadow', '--ttl', '600'])).trim();
        const live = await startXfreerdp(fixture.toShadow(token), { flavour });
        t.after(() => live.stop());
        await live.waitForActive(CLIENT_TIMEOUT_MS);
        const connect = await waitForAudit(data.path, (r) => r.event === 'tunnel.connect' && r.host === 'shadow');
        assert.equal(connect.transport, 'websocket');

        // A certificate made by openssl, imported by a separate `homegate` process while serve runs.
        const ca = await makeTestCa(fixtures.path, 'root', 'Homegate E2E Root');
        const leaf = await makeLeaf(fixtures.path, 'gw', { names: ['localhost', gateway.host], ca, days: 90 });
        const importedFingerprint = new X509Certificate(await readFile(leaf.certFile)).fingerprint256;
        assert.notEqual(importedFingerprint, serve.fingerprint);
        await homegateOk(data.path, ['cert', 'import', '--cert', leaf.chainFile, '--key', leaf.keyFile]);
        await serve.process.waitForLine(/TLS certificate changed/, 10_000);
        assert.equal(await probeFingerprint(gateway), importedFingerprint);

        // The live session: the client keeps running and the session has no end in the audit log.
        await new Promise((resolve) => setTimeout(resolve, SURVIVAL_MS));
        assert.equal(live.running, true, describeXfreerdpResult(live.result()));
        const records = await readAuditLog(data.path);
        assert.equal(
          records.some((r) => r.event === 'tunnel.end' && r.session === connect.session),
          false,
          'the live session did not end',
        );

        // A new connection through the gateway, now on the imported certificate.
        const fresh = await attemptSession(fixture.toShadow(token), { flavour, timeoutMs: CLIENT_TIMEOUT_MS });
        assert.ok(fresh.held, describeXfreerdpResult(fresh.result));
        const second = await waitForAudit(
          data.path,
          (r) => r.event === 'tunnel.end' && r.host === 'shadow' && r.session !== connect.session,
        );
        assert.equal(second.transport, 'websocket');

        // `homegate health` (it probes 127.0.0.1) pins the imported certificate: it does not chain to the local CA.
        if (gateway.host === '127.0.0.1') {
          assert.match(await homegateOk(data.path, ['health', '--port', String(serve.port)]), /^healthy: /);
        }

        // Still up after all that; `cert show` says what is served.
        assert.equal(live.running, true, describeXfreerdpResult(live.result()));
        const shown = await homegateOk(data.path, ['cert', 'show']);
        assert.match(shown, /^Source: +imported/m);
        assert.match(shown, new RegExp(`^SHA-256: +${importedFingerprint}$`, 'm'));

        await live.stop();
        const end = await waitForAudit(data.path, (r) => r.event === 'tunnel.end' && r.session === connect.session);
        assert.ok(Number(end.bytesToClient) > 1000, `bytes to client: ${String(end.bytesToClient)}`);
      });
    },
  );
}
