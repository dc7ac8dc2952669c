/**
 * Swapping the gateway's certificate while it runs (`homegate cert import` / `cert use-local` through the CLI's
 * `main`, against the running gateway's data directory): a tunnel opened before the swap keeps echoing through
 * it, on the TLS session it started with, while every new handshake — even one offering to resume an old
 * session — gets the new certificate.
 */
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { main } from '../../main/cli.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { makeLeaf, makeTestCa, type MadeCa, type MadeLeaf } from '../helpers/openssl-certs.ts';
import { TargetServer } from '../helpers/targets.ts';
import type { TsguClient } from '../helpers/tsgu-client.ts';
import { openTunnel } from '../helpers/tsgu-client.ts';
import { within } from '../helpers/wait.ts';

const SWAP_TIMEOUT_MS = 5_000;

interface Probe {
  readonly peer: PeerCertificate;
  readonly authorized: boolean;
  readonly authorizationError: string | undefined;
  readonly reused: boolean;
  readonly session: Buffer | undefined;
}

/** One fresh TLS handshake with the gateway; what certificate it presented. */
async function probe(port: number, options: { ca?: string; session?: Buffer } = {}): Promise<Probe> {
  const socket = tlsConnect({
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    rejectUnauthorized: false,
    ALPNProtocols: ['http/1.1'],
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.session === undefined ? {} : { session: options.session }),
  });
  let session: Buffer | undefined;
  socket.on('session', (data: Buffer) => (session = data));
  try {
    await within(
      new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', resolve);
        socket.once('error', reject);
      }),
      5_000,
      'TLS handshake',
    );
    // TLS 1.3 sends its session ticket after the handshake; give it a moment to arrive.
    await new Promise((resolve) => setTimeout(resolve, 50));
    return {
      peer: socket.getPeerCertificate(),
      authorized: socket.authorized,
      authorizationError: socket.authorizationError?.toString(),
      reused: socket.isSessionReused(),
      session: session ?? socket.getSession(),
    };
  } finally {
    socket.destroy();
  }
}

async function cli(args: readonly string[]): Promise<string> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { out: (text) => (stdout += text), err: (text) => (stderr += text) }, () =>
    Promise.resolve('SIGTERM'),
  );
  assert.equal(code, 0, `homegate ${args.join(' ')}: ${stderr}`);
  return stdout;
}

async function echoes(client: TsguClient, label: string): Promise<void> {
  const payload = Buffer.concat([Buffer.from(`${label}:`), randomBytes(32 * 1024)]);
  client.sendData(payload);
  const back = await client.readData(payload.length);
  assert.ok(back.equals(payload), `${label}: the echo came back intact`);
}

describe('certificate hot swap on a running gateway', { timeout: 60_000 }, () => {
  let gateway: TestGateway;
  let echo: TargetServer;
  let token: string;
  let fixtures: string;
  let ca: MadeCa;
  let leaf: MadeLeaf;
  let importedFingerprint: string;

  before(async () => {
    fixtures = await mkdtemp(join(tmpdir(), 'homegate-swap-fx-'));
    ca = await makeTestCa(fixtures, 'root', 'Homegate Swap Test Root');
    leaf = await makeLeaf(fixtures, 'gw', { names: ['localhost', '127.0.0.1'], ca, days: 90 });
    importedFingerprint = new X509Certificate(await readFile(leaf.certFile)).fingerprint256;
    gateway = await startTestGateway();
    echo = await TargetServer.start({ mode: 'echo' });
    await gateway.addHost({ name: 'echo', port: echo.port });
    ({ token } = await gateway.token(['echo']));
  });

  after(async () => {
    await gateway?.dispose();
    await echo?.close();
    await rm(fixtures, { recursive: true, force: true });
  });

  it('keeps a live tunnel echoing through an import and a use-local, and new handshakes see each new certificate', async () => {
    const localFingerprint = gateway.service.tls.fingerprintSha256;
    const localCa = gateway.service.tls.caCertPem;
    const live = await openTunnel(gateway.clientOptions(), token, { name: 'echo', port: echo.port }, 'LIVEPC');
    try {
      assert.equal(live.authorized, true);
      assert.equal(live.socket.getPeerCertificate().fingerprint256, localFingerprint);
      await echoes(live, 'before');
      const before = await probe(gateway.port, { ca: localCa });
      assert.equal(before.peer.fingerprint256, localFingerprint);
      assert.equal(before.authorized, true);

      // Import, as a user would run it while `serve` is up.
      const swapped = gateway.waitForLog(
        'TLS certificate changed; new connections get the new one',
        (record) => record.fingerprintSha256 === importedFingerprint,
        SWAP_TIMEOUT_MS,
      );
      await cli(['cert', 'import', '--cert', leaf.chainFile, '--key', leaf.keyFile, '--data-dir', gateway.dataDir]);
      const swapLog = await swapped;
      assert.equal(swapLog.reason, 'files-changed');
      assert.equal(swapLog.source, 'imported');
      assert.equal(gateway.service.tls.source, 'imported');

      // The live tunnel: same TLS connection, same certificate, still echoing.
      await echoes(live, 'after-import');
      assert.equal(live.socket.getPeerCertificate().fingerprint256, localFingerprint);
      assert.equal(live.closeInfo, undefined, 'the live tunnel is still open');

      // A new handshake gets the imported certificate, which chains to the openssl CA (and not to ours), even
      // when the client offers to resume its earlier session.
      const fresh = await probe(gateway.port, { ca: await readFile(ca.certFile, 'utf8'), session: before.session });
      assert.equal(fresh.peer.fingerprint256, importedFingerprint);
      assert.equal(fresh.reused, false, 'no resumption into the old certificate');
      assert.equal(fresh.authorized, true, fresh.authorizationError);
      const oldTrust = await probe(gateway.port, { ca: localCa });
      assert.equal(oldTrust.authorized, false);

      // A new tunnel works on the new certificate, next to the old one.
      const second = await openTunnel(
        gateway.clientOptions({ ca: await readFile(ca.certFile, 'utf8') }),
        token,
        { name: 'echo', port: echo.port },
        'NEWPC',
      );
      try {
        assert.equal(second.socket.getPeerCertificate().fingerprint256, importedFingerprint);
        await echoes(second, 'second');
        await echoes(live, 'live-beside-second');

        // And back to the local certificate.
        const back = gateway.waitForLog(
          'TLS certificate changed; new connections get the new one',
          (record) => record.fingerprintSha256 === localFingerprint,
          SWAP_TIMEOUT_MS,
        );
        await cli(['cert', 'use-local', '--data-dir', gateway.dataDir]);
        await back;
        assert.equal((await probe(gateway.port, { ca: localCa })).peer.fingerprint256, localFingerprint);
        await echoes(live, 'after-use-local');
        await echoes(second, 'second-after-use-local');
        assert.equal(second.socket.getPeerCertificate().fingerprint256, importedFingerprint);
      } finally {
        await second.close();
      }
    } finally {
      await live.close();
    }
    assert.deepEqual(
      gateway.logs.filter((record) => record.level === 'error').map((record) => record.msg),
      [],
      'no errors logged',
    );
  });

  it('re-issues the local certificate for new public names and serves it without a restart', async () => {
    const before = gateway.service.tls;
    const changed = gateway.waitForLog(
      'TLS certificate changed; new connections get the new one',
      (record) => record.reason === 'public-names-changed',
      SWAP_TIMEOUT_MS,
    );
    await gateway.service.context.settings.update((settings) => ({
      ...settings,
      publicNames: ['gw.swap.example.test'],
    }));
    await changed;
    const after = gateway.service.tls;
    assert.ok(after.dnsNames.includes('gw.swap.example.test'));
    assert.notEqual(after.fingerprintSha256, before.fingerprintSha256);
    const fresh = await probe(gateway.port, { ca: after.caCertPem });
    assert.equal(fresh.peer.fingerprint256, after.fingerprintSha256);
    assert.equal(fresh.authorized, true);
  });
});
