/**
 * Every contract call against a real gateway (`startGateway` in a temporary data directory), through dispatchCall
 * as the app's IPC and the web admin call it: hosts, tokens (issue, single use, revoke ending a live session),
 * .rdp export, certificates, settings, audit, pause, sessions, and the events the UI follows.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import type { CallInput, CallName, CallOutput, EventName } from '../../shared/ipc/contract.ts';
import type { SessionInfo } from '../../shared/model/sessions.ts';
import { removeImportedCertificate } from '../../main/certs/certificate-store.ts';
import { HResult } from '../../main/gateway/tsgu/constants.ts';
import { createCallHandlers, dispatchCall, type CallHandlers } from '../../main/ipc/dispatch.ts';
import { encodePreconnectionPdu } from '../../main/relay/pcb.ts';
import { watchContractEvents } from '../../main/ipc/events.ts';
import { silentLogger } from '../../main/logging/logger.ts';
import { dataPaths } from '../../main/config/data-dir.ts';
import { LOCAL_REVOCATIONS_FILE_NAME } from '../../main/security/revocation.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { makeLeaf, makeTestCa } from '../helpers/openssl-certs.ts';
import { verifyRdpSignature } from '../helpers/rdp-signature.ts';
import { TargetServer, unusedPort } from '../helpers/targets.ts';
import { TsguStepRefusedError, openTunnel, type TsguClient } from '../helpers/tsgu-client.ts';

const RDP_DEFAULTS = {
  screenMode: 'fullscreen',
  multiMonitor: false,
  clipboard: true,
  drives: false,
  audio: 'local',
} as const;

function caller(handlers: CallHandlers) {
  return async <N extends CallName>(name: N, input: CallInput<N>): Promise<CallOutput<N>> =>
    (await dispatchCall(handlers, name, input, silentLogger, { via: 'app' })) as CallOutput<N>;
}

/** The first session event matching `predicate`, bounded in time. */
function nextSession(
  gateway: TestGateway,
  kind: 'start' | 'end',
  predicate: (info: SessionInfo) => boolean = () => true,
): Promise<SessionInfo> {
  return new Promise((resolve, reject) => {
    const off = gateway.service.sessions.on(kind, (info) => {
      if (!predicate(info)) return;
      clearTimeout(timer);
      off();
      resolve(info);
    });
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no session '${kind}' event within 5 s`));
    }, 5_000);
  });
}

/** An .rdp file's text (UTF-16LE after a byte-order mark). */
function rdpText(contentBase64: string): string {
  const bytes = Buffer.from(contentBase64, 'base64');
  assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xfe]);
  return bytes.subarray(2).toString('utf16le');
}

function settingOf(text: string, name: string): string | undefined {
  const line = text.split('\r\n').find((entry) => entry.startsWith(`${name}:`));
  return line?.slice(line.indexOf(':', name.length + 1) + 1);
}

describe('contract handlers against a real gateway', { timeout: 120_000 }, () => {
  let gateway: TestGateway;
  let echo: TargetServer;
  let call: ReturnType<typeof caller>;

  before(async () => {
    gateway = await startTestGateway();
    echo = await TargetServer.start({ mode: 'echo' });
    call = caller(createCallHandlers(gateway.service, silentLogger));
    await call('hosts.add', { name: 'echo', address: '127.0.0.1', port: echo.port });
  });
  after(async () => {
    await gateway.dispose();
    await echo.close();
  });

  const tunnelTo = async (token: string, clientName = 'TESTPC'): Promise<TsguClient> => {
    const client = await openTunnel(gateway.clientOptions(), token, { name: 'echo', port: echo.port }, clientName);
    await client.writeData(Buffer.from('ping'));
    assert.equal((await client.readData(4)).toString(), 'ping');
    return client;
  };

  describe('hosts', () => {
    it('adds, lists, updates and removes hosts; names are unique without regard to case', async () => {
      const added = await call('hosts.add', { name: 'desk', address: '192.0.2.10', port: 3389 });
      assert.deepEqual(added, { name: 'desk', address: '192.0.2.10', port: 3389 });
      await assert.rejects(call('hosts.add', { name: 'DESK', address: '192.0.2.11', port: 3389 }), {
        code: 'conflict',
      });
      assert.deepEqual(
        (await call('hosts.list', undefined)).map((host) => host.name),
        ['echo', 'desk'],
      );
      const moved = await call('hosts.update', {
        name: 'Desk',
        host: { name: 'desk2', address: 'desk.lan', port: 3390, mac: '00:11:22:33:44:55' },
      });
      assert.equal(moved.name, 'desk2');
      await assert.rejects(
        call('hosts.update', { name: 'desk2', host: { name: 'echo', address: '192.0.2.1', port: 1 } }),
        { code: 'conflict' },
      );
      await assert.rejects(
        call('hosts.update', { name: 'ghost', host: { name: 'ghost', address: '192.0.2.1', port: 1 } }),
        { code: 'not-found' },
      );
      // The settings file is what changed: the CLI and a second process see the same hosts.
      const onDisk = JSON.parse(await readFile(gateway.service.context.settings.path, 'utf8')) as {
        hosts: { name: string; mac?: string }[];
      };
      assert.deepEqual(onDisk.hosts.find((host) => host.name === 'desk2')?.mac, '00:11:22:33:44:55');
      assert.equal(await call('hosts.remove', { name: 'DESK2' }), true);
      assert.equal(await call('hosts.remove', { name: 'desk2' }), false);
      const audit = await gateway.waitForAudit((line) => line.event === 'host.removed');
      assert.equal(audit.host, 'DESK2');
      assert.equal(audit.via, 'app');
    });

    it('tests a host with one bounded TCP connection to its configured address', async () => {
      const before = echo.acceptCount;
      const reachable = await call('hosts.test', { name: 'echo' });
      assert.equal(reachable.reachable, true);
      assert.equal(typeof reachable.latencyMs, 'number');
      assert.equal(reachable.error, undefined);
      await echo.connection(before);

      const port = await unusedPort();
      await call('hosts.add', { name: 'closed', address: '127.0.0.1', port });
      const refused = await call('hosts.test', { name: 'closed' });
      assert.equal(refused.reachable, false);
      assert.match(refused.error ?? '', /refused/);
      await assert.rejects(call('hosts.test', { name: 'nowhere' }), { code: 'not-found' });
      await call('hosts.remove', { name: 'closed' });
    });
  });

  describe('tokens', () => {
    it('issues a PAA token for one host that opens a tunnel, and lists its metadata only', async () => {
      const { token, issued } = await call('tokens.issue', {
        host: 'echo',
        ttlSeconds: 600,
        label: 'laptop',
        singleUse: false,
      });
      const claims = decodeJwt(token);
      assert.deepEqual(claims.hosts, ['echo']);
      assert.equal(claims.jti, issued.jti);
      assert.equal(claims.device, undefined);
      assert.equal(issued.kind, 'paa');
      assert.equal(issued.label, 'laptop');
      assert.equal(issued.revokedAt, undefined);
      assert.equal(Date.parse(issued.expiresAt) - Date.parse(issued.issuedAt), 600_000);
      const client = await tunnelTo(token);
      client.destroy();

      const listed = await call('tokens.list', undefined);
      assert.deepEqual(listed[0], issued, 'newest first');
      const file = await readFile(dataPaths(gateway.dataDir).issuedTokens, 'utf8');
      assert.ok(!file.includes(token), 'the token itself is never stored');
      assert.ok(!file.includes(token.split('.')[2] ?? '-'), 'nor its signature');
      assert.ok(file.includes(issued.jti));
      const record = await gateway.waitForAudit((line) => line.event === 'token.issued' && line.tokenId === issued.jti);
      assert.equal(record.purpose, 'token');
    });

    it('a device label makes a long-lived token bound to one host and that device; without one a day is the most', async () => {
      const thirtyDays = 30 * 24 * 60 * 60;
      const { token, issued } = await call('tokens.issue', {
        host: 'echo',
        ttlSeconds: thirtyDays,
        device: "Sam's laptop",
        singleUse: false,
      });
      assert.equal(issued.kind, 'device');
      assert.equal(issued.device, "Sam's laptop");
      const claims = decodeJwt(token);
      assert.equal(claims.device, "Sam's laptop");
      assert.deepEqual(claims.hosts, ['echo']);
      assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), thirtyDays);
      await assert.rejects(call('tokens.issue', { host: 'echo', ttlSeconds: thirtyDays, singleUse: false }), {
        code: 'invalid-input',
      });
      await assert.rejects(call('tokens.issue', { host: 'ghost', ttlSeconds: 600, singleUse: false }), {
        code: 'not-found',
      });
    });

    it('a single-use token opens one tunnel; its reuse is refused once the reconnection window is over', async () => {
      await gateway.service.context.settings.update((settings) => ({
        ...settings,
        relay: { ...settings.relay, reuseWindowSeconds: 0 },
      }));
      try {
        const { token, issued } = await call('tokens.issue', { host: 'echo', ttlSeconds: 600, singleUse: true });
        assert.equal(issued.singleUse, true);
        assert.equal(decodeJwt(token).single_use, true);
        const first = await tunnelTo(token);
        first.destroy();
        await new Promise((resolve) => setTimeout(resolve, 20));
        await assert.rejects(tunnelTo(token), (error: unknown) => {
          assert.ok(error instanceof TsguStepRefusedError);
          assert.equal(error.step, 'tunnel-create');
          assert.equal(error.code, HResult.E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED);
          return true;
        });
        await gateway.waitForAudit((line) => line.event === 'tunnel.refused' && line.failure === 'replayed');
      } finally {
        await gateway.service.context.settings.update((settings) => ({
          ...settings,
          relay: { ...settings.relay, reuseWindowSeconds: 10 },
        }));
      }
    });

    it('revoking a token refuses new tunnels and ends the live sessions opened with it', async () => {
      const { token, issued } = await call('tokens.issue', { host: 'echo', ttlSeconds: 600, singleUse: false });
      const started = nextSession(gateway, 'start', (info) => info.tokenId === issued.jti);
      const client = await tunnelTo(token, 'REVOKEPC');
      const session = await started;
      const ended = nextSession(gateway, 'end', (info) => info.id === session.id);

      assert.equal(await call('tokens.revoke', { jti: issued.jti }), true);
      assert.equal((await ended).endReason, 'revoked');
      await client.answerCloseChannel().catch(() => undefined);
      client.destroy();
      assert.equal(gateway.service.sessions.get(session.id), undefined);

      await assert.rejects(tunnelTo(token), (error: unknown) => {
        assert.ok(error instanceof TsguStepRefusedError);
        assert.equal(error.code, HResult.E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED);
        return true;
      });
      const listed = (await call('tokens.list', undefined)).find((entry) => entry.jti === issued.jti);
      assert.ok(listed?.revokedAt, 'listed as revoked');
      assert.equal(await call('tokens.revoke', { jti: issued.jti }), false, 'already revoked');
      const local = JSON.parse(await readFile(join(gateway.dataDir, LOCAL_REVOCATIONS_FILE_NAME), 'utf8')) as {
        jti: string[];
      };
      assert.ok(local.jti.includes(issued.jti), 'saved in the local set, which a pushed list cannot replace');
      await gateway.waitForAudit((line) => line.event === 'token.revoked' && line.tokenId === issued.jti);
    });
  });

  describe('gateway', () => {
    it('reports its status', async () => {
      const status = await call('gateway.status', undefined);
      assert.deepEqual(status.listening, { host: '127.0.0.1', port: gateway.port });
      assert.equal(status.relayListening, null);
      assert.equal(status.paused, false);
      assert.equal(status.certificateFingerprint, gateway.service.tls.fingerprintSha256);
      assert.match(status.publicAddress, new RegExp(`:${gateway.port}$`));
      assert.match(status.version, /^\d+\.\d+\.\d+/);
    });

    it('paused: new tunnels are refused with E_PROXY_MAXCONNECTIONSREACHED, live ones carry on', async () => {
      const { token } = await call('tokens.issue', { host: 'echo', ttlSeconds: 600, singleUse: false });
      const live = await tunnelTo(token, 'LIVEPC');
      const paused = await call('gateway.setPaused', { paused: true });
      assert.equal(paused.paused, true);
      assert.equal(gateway.service.paused, true);
      try {
        await assert.rejects(tunnelTo(token), (error: unknown) => {
          assert.ok(error instanceof TsguStepRefusedError);
          assert.equal(error.step, 'tunnel-create');
          assert.equal(error.code, HResult.E_PROXY_MAXCONNECTIONSREACHED);
          return true;
        });
        await gateway.waitForAudit((line) => line.event === 'tunnel.refused' && line.failure === 'paused');
        // The open tunnel still carries data.
        await live.writeData(Buffer.from('still here'));
        assert.equal((await live.readData(10)).toString(), 'still here');
      } finally {
        assert.equal((await call('gateway.setPaused', { paused: false })).paused, false);
      }
      const after = await tunnelTo(token);
      after.destroy();
      live.destroy();
      await gateway.waitForAudit((line) => line.event === 'gateway.resumed');
    });
  });

  describe('sessions', () => {
    it('lists live sessions and disconnects one', async () => {
      const { token } = await call('tokens.issue', { host: 'echo', ttlSeconds: 600, singleUse: false });
      const started = nextSession(gateway, 'start', (info) => info.clientName === 'LISTPC');
      const client = await tunnelTo(token, 'LISTPC');
      const { id } = await started;
      const listed = await call('sessions.list', undefined);
      assert.ok(listed.some((session) => session.id === id && session.host === 'echo'));
      const ended = nextSession(gateway, 'end', (info) => info.id === id);
      assert.equal(await call('sessions.disconnect', { id }), true);
      await client.expectPacket('service-message').catch(() => undefined);
      await client.answerCloseChannel().catch(() => undefined);
      assert.equal((await ended).endReason, 'admin-disconnect');
      client.destroy();
      assert.equal(await call('sessions.disconnect', { id }), false);
      await gateway.waitForAudit((line) => line.event === 'session.disconnected' && line.session === id);
    });
  });

  describe('rdp.export', () => {
    it('exports a gateway .rdp file with a fresh token and the chosen options', async () => {
      const file = await call('rdp.export', {
        host: 'echo',
        mode: 'gateway',
        ttlSeconds: 300,
        options: { ...RDP_DEFAULTS, screenMode: 'window', drives: true, audio: 'off', username: 'sam' },
      });
      assert.equal(file.fileName, 'echo.rdp');
      assert.equal(file.mimeType, 'application/x-rdp');
      const text = rdpText(file.contentBase64);
      assert.equal(settingOf(text, 'full address'), 'echo');
      assert.equal(settingOf(text, 'gatewayhostname'), (await call('gateway.status', undefined)).publicAddress);
      assert.equal(settingOf(text, 'screen mode id'), '1');
      assert.equal(settingOf(text, 'drivestoredirect'), '*');
      assert.equal(settingOf(text, 'audiomode'), '2');
      assert.equal(settingOf(text, 'username'), 'sam');
      // Signed like rdpsign with the served certificate, which chains to the local CA.
      const signed = verifyRdpSignature(Buffer.from(file.contentBase64, 'base64'), {
        caFile: join(dataPaths(gateway.dataDir).tls, 'ca.pem'),
      });
      assert.equal(signed.status, 0, signed.output);
      const token = settingOf(text, 'gatewayaccesstoken') ?? '';
      const claims = decodeJwt(token);
      assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 300);
      const listed = (await call('tokens.list', undefined)).find((entry) => entry.jti === claims.jti);
      assert.equal(listed?.label, 'RDP file');
      const client = await tunnelTo(token);
      client.destroy();
    });

    it('relay mode needs the relay; with it the file carries an ASSOCIATION token in pcb', async () => {
      await assert.rejects(call('rdp.export', { host: 'echo', mode: 'relay', options: RDP_DEFAULTS }), {
        code: 'conflict',
      });
      const relayGateway = await startTestGateway({ relay: true });
      try {
        const relayCall = caller(createCallHandlers(relayGateway.service, silentLogger));
        await relayCall('hosts.add', { name: 'echo', address: '127.0.0.1', port: echo.port });
        const file = await relayCall('rdp.export', { host: 'echo', mode: 'relay', options: RDP_DEFAULTS });
        const text = rdpText(file.contentBase64);
        assert.match(settingOf(text, 'full address') ?? '', new RegExp(`:${relayGateway.relayPort}$`));
        assert.equal(settingOf(text, 'gatewayusagemethod'), '0');
        const claims = decodeJwt(settingOf(text, 'pcb') ?? '');
        assert.equal(claims.dst_hst, `tcp://echo:${echo.port}`);
        const [listed] = await relayCall('tokens.list', undefined);
        assert.equal(listed?.kind, 'association');
        assert.equal(listed?.singleUse, true);

        // Paused, the relay refuses new connections too, before dialling anything.
        await relayCall('gateway.setPaused', { paused: true });
        const accepted = echo.acceptCount;
        const socket = connect(relayGateway.relayPort, '127.0.0.1');
        socket.on('error', () => undefined);
        socket.write(encodePreconnectionPdu(settingOf(text, 'pcb') ?? '', { trailingNuls: 2 }));
        await new Promise<void>((resolve) => socket.once('close', () => resolve()));
        const refusal = await relayGateway.waitForAudit(
          (line) => line.event === 'tunnel.refused' && line.transport === 'relay',
        );
        assert.equal(refusal.failure, 'paused');
        assert.equal(echo.acceptCount, accepted, 'nothing was dialled');
      } finally {
        await relayGateway.dispose();
      }
    });
  });

  describe('certificates', () => {
    it('shows, regenerates and exports the local certificate', async () => {
      const info = await call('certs.info', undefined);
      assert.equal(info.source, 'local');
      assert.equal(info.fingerprintSha256, gateway.service.tls.fingerprintSha256);
      assert.ok(info.dnsNames.includes('localhost'));
      assert.ok(!JSON.stringify(info).includes('PRIVATE KEY'));

      const renewed = await call('certs.regenerate', undefined);
      assert.notEqual(renewed.fingerprintSha256, info.fingerprintSha256);
      assert.equal(gateway.service.tls.fingerprintSha256, renewed.fingerprintSha256, 'served to new connections');
      assert.equal(renewed.caFingerprintSha256, info.caFingerprintSha256, 'the CA clients trust stays');

      const pem = await call('certs.exportCa', { format: 'pem' });
      const der = await call('certs.exportCa', { format: 'der' });
      const fromPem = new X509Certificate(Buffer.from(pem.contentBase64, 'base64').toString('utf8'));
      const fromDer = new X509Certificate(Buffer.from(der.contentBase64, 'base64'));
      assert.equal(fromPem.fingerprint256, fromDer.fingerprint256);
      assert.equal(fromPem.fingerprint256, info.caFingerprintSha256);
      assert.ok(fromPem.ca);
    });

    it('imports a PEM certificate and key, and refuses one that does not match its key', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'homegate-import-'));
      try {
        const ca = await makeTestCa(dir, 'ca');
        const leaf = await makeLeaf(dir, 'leaf', { names: ['gw.example.test', 'localhost'], ca });
        const other = await makeLeaf(dir, 'other', { names: ['localhost'] });
        const certPem = await readFile(leaf.chainFile, 'utf8');
        await assert.rejects(call('certs.import', { certPem, keyPem: await readFile(other.keyFile, 'utf8') }), {
          code: 'invalid-input',
        });
        const imported = await call('certs.import', { certPem, keyPem: await readFile(leaf.keyFile, 'utf8') });
        assert.equal(imported.source, 'imported');
        assert.ok(imported.dnsNames.includes('gw.example.test'));
        assert.equal(gateway.service.tls.source, 'imported');
        await assert.rejects(call('certs.import', { pfxBase64: 'not base64!', passphrase: '' }), {
          code: 'invalid-input',
        });
      } finally {
        // Back to the local certificate, which the other tests' clients trust.
        await removeImportedCertificate(dataPaths(gateway.dataDir).tls, { logger: silentLogger });
        await gateway.service.certificates.reload('files-changed');
        await rm(dir, { recursive: true, force: true });
      }
      assert.equal(gateway.service.tls.source, 'local');
    });
  });

  describe('settings and audit', () => {
    it('gets and updates the editable settings, which map onto the settings file', async () => {
      const current = await call('settings.get', undefined);
      assert.equal(current.paaTtlSeconds, 900);
      const updated = await call('settings.update', {
        ...current,
        publicNames: ['gw.example.test'],
        paaTtlSeconds: 1200,
        idleTimeoutMinutes: 45,
        consentMessage: 'Authorised use only',
      });
      assert.deepEqual(updated.publicNames, ['gw.example.test']);
      const file = JSON.parse(await readFile(gateway.service.context.settings.path, 'utf8')) as {
        publicNames: string[];
        tokens: { paaTtlSeconds: number };
        lifecycle: { idleTimeoutMinutes: number; consentMessage: string; keepaliveSeconds: number };
      };
      assert.deepEqual(file.publicNames, ['gw.example.test']);
      assert.equal(file.tokens.paaTtlSeconds, 1200);
      assert.equal(file.lifecycle.idleTimeoutMinutes, 45);
      assert.equal(file.lifecycle.consentMessage, 'Authorised use only');
      assert.equal(file.lifecycle.keepaliveSeconds, 30, 'fields the UI does not edit stay');
      assert.match((await call('gateway.status', undefined)).publicAddress, /^gw\.example\.test:\d+$/);
      await assert.rejects(call('settings.update', { ...updated, publicNames: ['under_score.example'] }), {
        code: 'invalid-input',
      });
      const record = await gateway.waitForAudit((line) => line.event === 'settings.updated');
      assert.deepEqual(record.changed, ['publicNames', 'paaTtlSeconds', 'idleTimeoutMinutes', 'consentMessage']);
      await call('settings.update', { ...updated, publicNames: [], consentMessage: '' });
    });

    it('lists the newest audit entries first, at most the limit', async () => {
      await call('gateway.setPaused', { paused: true });
      await call('gateway.setPaused', { paused: false });
      // The audit log is a buffered stream: wait until the last line is on disk.
      await gateway.waitForAudit((line) => line.event === 'gateway.resumed');
      const entries = await call('audit.list', { limit: 3 });
      assert.equal(entries.length, 3);
      const newest = entries[0];
      assert.equal(newest?.event, 'gateway.resumed');
      assert.equal(entries[1]?.event, 'gateway.paused');
      assert.ok(entries.every((entry, index) => index === 0 || entry.time <= (entries[index - 1]?.time ?? '')));
    });
  });

  describe('events', () => {
    it('sessions.changed and status.changed follow a tunnel opening and closing, and a pause', async () => {
      const seen: { name: EventName; payload: unknown }[] = [];
      const stop = watchContractEvents(gateway.service, (name, payload) => seen.push({ name, payload }));
      try {
        const { token } = await call('tokens.issue', { host: 'echo', ttlSeconds: 600, singleUse: false });
        const started = nextSession(gateway, 'start', (info) => info.clientName === 'EVENTPC');
        const client = await tunnelTo(token, 'EVENTPC');
        const { id } = await started;
        await new Promise((resolve) => setImmediate(resolve));
        const sessionsEvent = seen.find(
          (event) =>
            event.name === 'sessions.changed' && (event.payload as SessionInfo[]).some((session) => session.id === id),
        );
        assert.ok(sessionsEvent, 'sessions.changed lists the new session');
        assert.ok(seen.some((event) => event.name === 'status.changed'));
        seen.length = 0;
        await call('gateway.setPaused', { paused: true });
        await call('gateway.setPaused', { paused: false });
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(
          seen.filter((event) => event.name === 'status.changed').length >= 1,
          true,
          'a pause changes the status',
        );
        client.destroy();
      } finally {
        stop();
      }
    });
  });
});
