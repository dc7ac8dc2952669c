import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { ApiError } from '../../renderer/src/api/errors.ts';
import type { HomegateTransport, LinkState } from '../../renderer/src/api/transport.ts';
import { connectBridge } from '../../renderer/src/bridge.ts';
import { auditQuery, type AuditQueryInput } from '../../renderer/src/store/slices/audit.ts';
import { tokenStatus } from '../../renderer/src/store/slices/tokens.ts';
import { createHomegateStore, type HomegateStore } from '../../renderer/src/store/store.ts';
import { FakeGateway, session, STATUS } from './fake-api.ts';

/** Lets queued microtasks and fire-and-forget reloads settle. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('renderer store', () => {
  let gateway: FakeGateway;
  let store: HomegateStore;

  beforeEach(() => {
    gateway = new FakeGateway();
    store = createHomegateStore(gateway.api);
  });

  describe('gateway slice', () => {
    it('loads the status, passing through loading to ready', async () => {
      assert.equal(store.getState().statusLoad.phase, 'idle');
      const loading = store.getState().loadStatus();
      assert.equal(store.getState().statusLoad.phase, 'loading');
      await loading;
      assert.equal(store.getState().statusLoad.phase, 'ready');
      assert.deepEqual(store.getState().status, STATUS);
    });

    it('keeps the error message when the status cannot be read', async () => {
      gateway.failNext('gateway.status', new ApiError('unavailable', 'the gateway did not answer'));
      await store.getState().loadStatus();
      assert.deepEqual(store.getState().statusLoad, { phase: 'error', error: 'the gateway did not answer' });
    });

    it('pauses through the API and takes the answer as the new status', async () => {
      await store.getState().setPaused(true);
      assert.deepEqual(gateway.callsOf('gateway.setPaused'), [{ paused: true }]);
      assert.equal(store.getState().status?.paused, true);
    });

    it('rethrows a failed pause so the switch can say so, leaving the status alone', async () => {
      await store.getState().loadStatus();
      gateway.failNext('gateway.setPaused', new ApiError('forbidden', 'no'));
      await assert.rejects(store.getState().setPaused(true), { code: 'forbidden' });
      assert.equal(store.getState().status?.paused, false);
    });
  });

  describe('sessions slice', () => {
    it('keeps only live sessions, newest first', () => {
      store
        .getState()
        .setSessions([
          session('a', '2030-01-01T10:00:00.000Z'),
          session('b', '2030-01-01T11:00:00.000Z'),
          session('c', '2030-01-01T12:00:00.000Z', { endedAt: '2030-01-01T12:05:00.000Z', endReason: 'client-closed' }),
        ]);
      assert.deepEqual(
        store.getState().sessions.map((s) => s.id),
        ['b', 'a'],
      );
      assert.equal(store.getState().sessionsLoad.phase, 'ready');
    });

    it('disconnects through the API and drops the row at once', async () => {
      gateway.sessions = [session('a', '2030-01-01T10:00:00.000Z'), session('b', '2030-01-01T11:00:00.000Z')];
      await store.getState().loadSessions();
      assert.equal(await store.getState().disconnectSession('a'), true);
      assert.deepEqual(gateway.callsOf('sessions.disconnect'), [{ id: 'a' }]);
      assert.deepEqual(
        store.getState().sessions.map((s) => s.id),
        ['b'],
      );
    });

    it('keeps the row when the disconnect fails', async () => {
      gateway.sessions = [session('a', '2030-01-01T10:00:00.000Z')];
      await store.getState().loadSessions();
      gateway.failNext('sessions.disconnect');
      await assert.rejects(store.getState().disconnectSession('a'));
      assert.equal(store.getState().sessions.length, 1);
    });
  });

  describe('hosts slice', () => {
    it('adds hosts in name order and reports a clash with the gateway’s code', async () => {
      await store.getState().loadHosts();
      await store.getState().addHost({ name: 'nas', address: '192.168.1.5', port: 3389 });
      await store.getState().addHost({ name: 'desktop', address: '192.168.1.20', port: 3389 });
      assert.deepEqual(
        store.getState().hosts.map((h) => h.name),
        ['desktop', 'nas'],
      );
      await assert.rejects(store.getState().addHost({ name: 'nas', address: '10.0.0.1', port: 3389 }), {
        name: 'ApiError',
        code: 'conflict',
      });
      assert.equal(store.getState().hosts.length, 2);
    });

    it('renames on update, and forgets the old test result', async () => {
      gateway.hosts = [{ name: 'desktop', address: '192.168.1.20', port: 3389 }];
      await store.getState().loadHosts();
      await store.getState().testHost('desktop');
      assert.equal(store.getState().probes.desktop?.phase, 'done');
      await store.getState().updateHost('desktop', { name: 'office', address: '192.168.1.21', port: 3390 });
      assert.deepEqual(store.getState().hosts, [{ name: 'office', address: '192.168.1.21', port: 3390 }]);
      assert.equal(store.getState().probes.desktop, undefined);
    });

    it('shows a probe as testing, then its result; a failed probe call becomes an error state', async () => {
      gateway.hosts = [{ name: 'desktop', address: '192.168.1.20', port: 3389 }];
      const testing = store.getState().testHost('desktop');
      assert.deepEqual(store.getState().probes.desktop, { phase: 'testing' });
      await testing;
      assert.deepEqual(store.getState().probes.desktop, {
        phase: 'done',
        probe: { reachable: true, latencyMs: 2, error: undefined },
      });
      gateway.failNext('hosts.test', new ApiError('not-found', 'no host named desktop'));
      await store.getState().testHost('desktop');
      assert.deepEqual(store.getState().probes.desktop, { phase: 'error', error: 'no host named desktop' });
    });

    it('keeps each host’s last reachability, read again after a test; wakes a host through the gateway', async () => {
      gateway.hosts = [{ name: 'Desktop', address: '192.168.1.20', port: 3389, mac: '00:11:22:33:44:55' }];
      const last = { host: 'Desktop', reachable: false, at: '2026-12-02T23:00:00.000Z', woken: true };
      gateway.reachability = [last];
      await store.getState().testHost('Desktop');
      assert.deepEqual(store.getState().reachability, { desktop: last });
      gateway.failNext('doctor.reachability', new ApiError('internal', 'the call failed; see the log'));
      await store.getState().loadReachability();
      assert.deepEqual(store.getState().reachability, { desktop: last });
      assert.equal((await store.getState().wakeHost('Desktop')).host, 'Desktop');
      gateway.failNext('hosts.wake', new ApiError('invalid-input', 'no MAC address'));
      await assert.rejects(store.getState().wakeHost('Desktop'), { code: 'invalid-input' });
    });

    it('remembers when the reachability a test noted was taken, and takes newer ones from events', async () => {
      gateway.hosts = [{ name: 'desktop', address: '192.168.1.20', port: 3389 }];
      const tested = { host: 'desktop', reachable: true, at: '2030-01-01T10:00:00.000Z', woken: false };
      gateway.reachability = [tested];
      await store.getState().testHost('desktop');
      assert.deepEqual(store.getState().probes.desktop, {
        phase: 'done',
        probe: { reachable: true, latencyMs: 2, error: undefined },
        at: tested.at,
      });
      const later = { ...tested, reachable: false, at: '2030-01-01T10:05:00.000Z' };
      store.getState().noteReachability(later);
      assert.deepEqual(store.getState().reachability.desktop, later);
    });

    it('removes a host and its probe', async () => {
      gateway.hosts = [{ name: 'desktop', address: '192.168.1.20', port: 3389 }];
      await store.getState().loadHosts();
      await store.getState().testHost('desktop');
      await store.getState().removeHost('desktop');
      assert.deepEqual(store.getState().hosts, []);
      assert.deepEqual(store.getState().probes, {});
    });

    it('an error on the first load leaves an error state, and a later load recovers', async () => {
      gateway.failNext('hosts.list', new ApiError('internal', 'the call failed; see the log'));
      await store.getState().loadHosts();
      assert.deepEqual(store.getState().hostsLoad, { phase: 'error', error: 'the call failed; see the log' });
      await store.getState().loadHosts();
      assert.equal(store.getState().hostsLoad.phase, 'ready');
    });
  });

  describe('tokens slice', () => {
    it('issues a token: the secret is returned once, the list keeps only metadata', async () => {
      const result = await store
        .getState()
        .issueToken({ host: 'desktop', ttlSeconds: 900, singleUse: true, label: 'hotel laptop' });
      assert.equal(result.token, `token-${result.issued.jti}`);
      assert.equal(store.getState().tokens.length, 1);
      assert.equal(JSON.stringify(store.getState()).includes(result.token), false);
    });

    it('marks a revoked token at once, then takes the gateway’s record', async () => {
      const { issued } = await store.getState().issueToken({ host: 'desktop', ttlSeconds: 900, singleUse: false });
      await store.getState().revokeToken(issued.jti);
      assert.notEqual(store.getState().tokens[0]?.revokedAt, undefined);
      await settle();
      assert.equal(store.getState().tokens[0]?.revokedAt, '2030-01-01T00:00:00.000Z');
      assert.equal(tokenStatus(store.getState().tokens[0], Date.now()), 'revoked');
    });

    it('derives active, expired and revoked', () => {
      const base = {
        jti: 'j',
        kind: 'paa' as const,
        host: 'h',
        label: undefined,
        device: undefined,
        singleUse: false,
        issuedAt: '2030-01-01T00:00:00.000Z',
        expiresAt: '2030-01-01T01:00:00.000Z',
        revokedAt: undefined,
      };
      const at = (iso: string): number => Date.parse(iso);
      assert.equal(tokenStatus(base, at('2030-01-01T00:30:00.000Z')), 'active');
      assert.equal(tokenStatus(base, at('2030-01-01T01:00:00.000Z')), 'expired');
      assert.equal(
        tokenStatus({ ...base, revokedAt: '2030-01-01T00:10:00.000Z' }, at('2030-01-01T00:30:00.000Z')),
        'revoked',
      );
    });

    it('an .rdp export refreshes the token list, since the file carries a new token', async () => {
      const file = await store.getState().exportRdp({
        host: 'desktop',
        mode: 'gateway',
        options: { screenMode: 'window', multiMonitor: false, clipboard: true, drives: false, audio: 'off' },
      });
      assert.equal(file.fileName, 'desktop.rdp');
      await settle();
      assert.equal(gateway.callsOf('tokens.list').length, 1);
    });
  });

  describe('certificates and settings slices', () => {
    it('loads the certificate; regenerating replaces it and refreshes the status', async () => {
      await store.getState().loadCertificate();
      assert.equal(store.getState().certificate?.fingerprintSha256, '11:22');
      await store.getState().regenerateCertificate();
      assert.equal(store.getState().certificate?.fingerprintSha256, '55:66');
      await settle();
      assert.equal(gateway.callsOf('gateway.status').length, 1);
    });

    it('an import failure keeps the certificate in use', async () => {
      await store.getState().loadCertificate();
      gateway.failNext('certs.import', new ApiError('invalid-input', 'the key does not match the certificate'));
      await assert.rejects(store.getState().importCertificate({ certPem: 'x', keyPem: 'y' }), {
        message: 'the key does not match the certificate',
      });
      assert.equal(store.getState().certificate?.source, 'local');
    });

    it('saves settings and keeps what the gateway answered', async () => {
      await store.getState().loadSettings();
      const wanted = { ...store.getState().settings!, publicNames: ['home.example.net'], idleTimeoutMinutes: 30 };
      await store.getState().saveSettings(wanted);
      assert.deepEqual(gateway.settings, wanted);
      assert.deepEqual(store.getState().settings, wanted);
    });
  });

  describe('audit slice', () => {
    const entries = Array.from({ length: 450 }, (_, index) => ({
      time: new Date(Date.UTC(2030, 0, 1, 0, index)).toISOString(),
      event: index % 2 === 0 ? 'tunnel.connect' : 'token.issued',
      host: 'desktop',
    }));

    it('loads the newest page, then older pages beyond the first 200', async () => {
      gateway.audit = entries;
      await store.getState().loadAudit();
      assert.deepEqual(gateway.callsOf('audit.query'), [{ limit: 200 }]);
      assert.equal(store.getState().audit.length, 200);
      assert.equal(store.getState().audit[0]?.time, entries[449]?.time);
      await store.getState().loadOlderAudit();
      await store.getState().loadOlderAudit();
      assert.equal(store.getState().audit.length, 450);
      assert.equal(store.getState().audit.at(-1)?.time, entries[0]?.time);
      assert.equal(store.getState().auditNext, undefined);
    });

    it('asks the gateway with the filters: event, text and a day range through its end', async () => {
      gateway.audit = entries;
      store.getState().setAuditFilters({ event: 'tunnel.connect', search: ' desk ', fromDay: '2030-01-01' });
      await settle();
      const [query] = gateway.callsOf('audit.query') as AuditQueryInput[];
      assert.equal(query?.event, 'tunnel.connect');
      assert.equal(query?.search, 'desk');
      assert.equal(query?.from, new Date(2030, 0, 1).toISOString());
      assert.equal(store.getState().audit.length, 200);
      assert.ok(store.getState().audit.every((entry) => entry.event === 'tunnel.connect'));
      assert.equal(
        auditQuery({ event: '', search: '', fromDay: '', toDay: '2030-01-05' }).to,
        new Date(2030, 0, 6).toISOString(),
      );
    });

    it('collects every matching record for an export', async () => {
      gateway.audit = entries;
      const { entries: all, truncated } = await store.getState().collectAudit();
      assert.equal(all.length, 450);
      assert.equal(truncated, false);
    });
  });

  describe('ui slice', () => {
    it('navigates with a host to preselect', () => {
      store.getState().navigate('export', 'desktop');
      assert.equal(store.getState().view, 'export');
      assert.equal(store.getState().focusHost, 'desktop');
      store.getState().navigate('export');
      assert.equal(store.getState().focusHost, 'desktop', 'the hash following the click keeps the host');
      store.getState().navigate('hosts');
      assert.equal(store.getState().focusHost, undefined);
    });

    it('keeps the newest four notices and dismisses by id', () => {
      for (let i = 1; i <= 5; i += 1) store.getState().notify('info', `n${i}`);
      assert.deepEqual(
        store.getState().notices.map((n) => n.text),
        ['n2', 'n3', 'n4', 'n5'],
      );
      store.getState().dismissNotice(store.getState().notices[0].id);
      assert.equal(store.getState().notices.length, 3);
    });
  });

  describe('bridge', () => {
    function fakeTransport(initial: LinkState = 'connecting'): {
      transport: HomegateTransport;
      setLink: (state: LinkState) => void;
    } {
      const listeners = new Set<(state: LinkState) => void>();
      let link = initial;
      return {
        transport: {
          kind: 'web',
          api: gateway.api,
          onLink(listener) {
            listeners.add(listener);
            listener(link);
            return () => listeners.delete(listener);
          },
        },
        setLink(state) {
          link = state;
          for (const listener of listeners) listener(state);
        },
      };
    }

    it('loads the live data, feeds events to the store, and unsubscribes on dispose', async () => {
      const { transport } = fakeTransport();
      const dispose = connectBridge(transport, store);
      await settle();
      assert.equal(store.getState().statusLoad.phase, 'ready');
      assert.equal(store.getState().sessionsLoad.phase, 'ready');

      gateway.emit('sessions.changed', [session('a', '2030-01-01T10:00:00.000Z')]);
      assert.deepEqual(
        store.getState().sessions.map((s) => s.id),
        ['a'],
      );
      gateway.emit('status.changed', { ...STATUS, paused: true });
      assert.equal(store.getState().status?.paused, true);
      const seen = { host: 'Desk', reachable: true, at: '2030-01-01T10:00:00.000Z', woken: false };
      gateway.emit('doctor.reachability', seen);
      assert.deepEqual(store.getState().reachability.desk, seen);

      dispose();
      assert.equal(gateway.listenerCount('sessions.changed'), 0);
      assert.equal(gateway.listenerCount('status.changed'), 0);
      assert.equal(gateway.listenerCount('doctor.reachability'), 0);
    });

    it('loads once when the link is open from the start (IPC)', async () => {
      const { transport } = fakeTransport('open');
      const dispose = connectBridge(transport, store);
      await settle();
      assert.equal(gateway.callsOf('sessions.list').length, 1);
      assert.equal(gateway.callsOf('gateway.status').length, 1);
      dispose();
    });

    it('reloads what events would have said whenever the link opens: first, and back from an outage', async () => {
      const { transport, setLink } = fakeTransport();
      const dispose = connectBridge(transport, store);
      await settle();
      assert.equal(gateway.callsOf('sessions.list').length, 1, 'shown before the link opens');
      gateway.sessions = [session('early', '2030-01-01T09:00:00.000Z')];
      setLink('open');
      await settle();
      assert.equal(gateway.callsOf('sessions.list').length, 2);
      assert.deepEqual(
        store.getState().sessions.map((s) => s.id),
        ['early'],
        'a session that started before the link opened is listed',
      );
      setLink('reconnecting');
      assert.equal(store.getState().link, 'reconnecting');
      gateway.sessions = [session('late', '2030-01-01T10:00:00.000Z')];
      setLink('open');
      await settle();
      assert.equal(gateway.callsOf('sessions.list').length, 3);
      assert.deepEqual(
        store.getState().sessions.map((s) => s.id),
        ['late'],
      );
      dispose();
    });
  });
});
