/**
 * An in-memory stand-in for the gateway behind the contract, for store tests: it keeps hosts, tokens and settings,
 * records every call, and fails a call on request with the `ApiError` a transport would raise.
 */
import type {
  CallInput,
  CallName,
  CallOutput,
  EditableSettings,
  EventName,
  EventPayload,
  GatewayStatus,
  HomegateApi,
} from '../../shared/ipc/contract.ts';
import { contract } from '../../shared/ipc/contract.ts';
import type { ConnectionAttempt, HostReachability } from '../../shared/model/doctor.ts';
import type { Host } from '../../shared/model/hosts.ts';
import type { LocalRdpServer } from '../../shared/model/onboarding.ts';
import type { SessionInfo } from '../../shared/model/sessions.ts';
import type { AuditEntry, CertificateInfo, IssuedToken } from '../../shared/model/ui.ts';
import { ApiError } from '../../renderer/src/api/errors.ts';

export const STATUS: GatewayStatus = {
  listening: { host: '127.0.0.1', port: 8443 },
  relayListening: null,
  paused: false,
  certificateFingerprint: 'AA:BB',
  liveSessions: 0,
  publicAddress: 'home.example.net:8443',
  version: '0.1.0',
  auditLogProblem: null,
};

export const CERTIFICATE: CertificateInfo = {
  source: 'local',
  subject: 'CN=homegate',
  issuer: 'CN=Homegate local CA',
  dnsNames: ['localhost'],
  ipAddresses: ['127.0.0.1'],
  fingerprintSha256: '11:22',
  caFingerprintSha256: '33:44',
  notAfter: '2031-01-01T00:00:00.000Z',
};

export function session(id: string, startedAt: string, extra: Partial<SessionInfo> = {}): SessionInfo {
  return {
    id,
    transport: 'websocket',
    clientAddress: '203.0.113.7',
    clientName: undefined,
    tokenId: `jti-${id}`,
    host: 'desktop',
    target: '192.168.1.20:3389',
    startedAt,
    bytesToTarget: 10,
    bytesToClient: 20,
    ...extra,
  };
}

export class FakeGateway {
  status: GatewayStatus = { ...STATUS };
  sessions: SessionInfo[] = [];
  hosts: Host[] = [];
  tokens: IssuedToken[] = [];
  settings: EditableSettings = {
    publicNames: [],
    paaTtlSeconds: 900,
    idleTimeoutMinutes: 0,
    maxSessionMinutes: 1440,
    consentMessage: '',
    serviceMessage: '',
  };
  audit: AuditEntry[] = [];
  attempts: ConnectionAttempt[] = [];
  reachability: HostReachability[] = [];
  onboarding: CallOutput<'onboarding.get'> = { completedSteps: [], finished: false };
  localRdp: LocalRdpServer[] = [];
  readonly calls: { name: CallName; input: unknown }[] = [];
  readonly #failures = new Map<CallName, ApiError>();
  readonly #listeners = new Map<EventName, Set<(payload: never) => void>>();
  #nextJti = 1;

  /** The next call of `name` rejects with this error. */
  failNext(name: CallName, error: ApiError = new ApiError('internal', `${name} failed`)): void {
    this.#failures.set(name, error);
  }

  emit<N extends EventName>(event: N, payload: EventPayload<N>): void {
    for (const listener of this.#listeners.get(event) ?? []) (listener as (p: EventPayload<N>) => void)(payload);
  }

  listenerCount(event: EventName): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  readonly api: HomegateApi = {
    'gateway.status': (input) => this.#run('gateway.status', input, () => this.status),
    'gateway.setPaused': (input) =>
      this.#run('gateway.setPaused', input, () => (this.status = { ...this.status, paused: input.paused })),
    'sessions.list': (input) => this.#run('sessions.list', input, () => this.sessions),
    'sessions.disconnect': (input) =>
      this.#run('sessions.disconnect', input, () => {
        const before = this.sessions.length;
        this.sessions = this.sessions.filter((s) => s.id !== input.id);
        return this.sessions.length < before;
      }),
    'hosts.list': (input) => this.#run('hosts.list', input, () => this.hosts),
    'hosts.add': (input) =>
      this.#run('hosts.add', input, () => {
        if (this.hosts.some((h) => h.name === input.name)) {
          throw new ApiError('conflict', `a host named ${input.name} exists`);
        }
        this.hosts.push(input);
        return input;
      }),
    'hosts.update': (input) =>
      this.#run('hosts.update', input, () => {
        this.hosts = this.hosts.map((h) => (h.name === input.name ? input.host : h));
        return input.host;
      }),
    'hosts.remove': (input) =>
      this.#run('hosts.remove', input, () => {
        this.hosts = this.hosts.filter((h) => h.name !== input.name);
        return true;
      }),
    'hosts.test': (input) =>
      this.#run('hosts.test', input, () => ({ reachable: true, latencyMs: 2, error: undefined })),
    'hosts.wake': (input) =>
      this.#run('hosts.wake', input, () => ({
        host: input.name,
        mac: '00:11:22:33:44:55',
        sentTo: '255.255.255.255:9',
      })),
    'tokens.list': (input) => this.#run('tokens.list', input, () => this.tokens),
    'tokens.issue': (input) =>
      this.#run('tokens.issue', input, () => {
        const issued: IssuedToken = {
          jti: `jti-${this.#nextJti++}`,
          kind: input.device ? 'device' : 'paa',
          host: input.host,
          label: input.label,
          device: input.device,
          // As a real gateway sees it: validated, defaults filled in.
          singleUse: contract.calls['tokens.issue'].input.parse(input).singleUse,
          issuedAt: new Date(Date.now() + this.#nextJti).toISOString(),
          expiresAt: new Date(Date.now() + input.ttlSeconds * 1000).toISOString(),
          revokedAt: undefined,
        };
        this.tokens.push(issued);
        return { token: `token-${issued.jti}`, issued };
      }),
    'tokens.revoke': (input) =>
      this.#run('tokens.revoke', input, () => {
        this.tokens = this.tokens.map((t) =>
          t.jti === input.jti ? { ...t, revokedAt: '2030-01-01T00:00:00.000Z' } : t,
        );
        return true;
      }),
    'rdp.export': (input) =>
      this.#run('rdp.export', input, () => ({
        fileName: `${input.host}.rdp`,
        mimeType: 'application/x-rdp',
        contentBase64: 'AA==',
      })),
    'rdp.downloadLink': (input) =>
      this.#run('rdp.downloadLink', input, () => ({
        url: `https://${STATUS.publicAddress}/download/${'A'.repeat(43)}`,
        host: input.host,
        device: input.device,
        expiresAt: new Date(Date.now() + 600_000).toISOString(),
      })),
    'certs.info': (input) => this.#run('certs.info', input, () => CERTIFICATE),
    'certs.regenerate': (input) =>
      this.#run('certs.regenerate', input, () => ({ ...CERTIFICATE, fingerprintSha256: '55:66' })),
    'certs.import': (input) => this.#run('certs.import', input, () => ({ ...CERTIFICATE, source: 'imported' })),
    'certs.exportCa': (input) =>
      this.#run('certs.exportCa', input, () => ({
        fileName: `homegate-ca.${input.format}`,
        mimeType: 'application/x-pem-file',
        contentBase64: 'AA==',
      })),
    'settings.get': (input) => this.#run('settings.get', input, () => this.settings),
    'settings.update': (input) => this.#run('settings.update', input, () => (this.settings = input)),
    'audit.list': (input) => this.#run('audit.list', input, () => this.audit.slice(-input.limit)),
    'doctor.attempts': (input) => this.#run('doctor.attempts', input, () => this.attempts),
    'doctor.clear': (input) =>
      this.#run('doctor.clear', input, () => {
        this.attempts = [];
        return true;
      }),
    'doctor.reachability': (input) => this.#run('doctor.reachability', input, () => this.reachability),
    'onboarding.get': (input) => this.#run('onboarding.get', input, () => this.onboarding),
    'onboarding.save': (input) => this.#run('onboarding.save', input, () => (this.onboarding = input)),
    'onboarding.findLocalRdp': (input) => this.#run('onboarding.findLocalRdp', input, () => this.localRdp),
    // Newest first by position; `before` is an index into `audit` (oldest first), as the real cursor is a byte offset.
    'audit.query': (input) =>
      this.#run('audit.query', input, () => {
        const end = Math.min(this.audit.length, input.before ?? this.audit.length);
        const matches = this.audit
          .slice(0, end)
          .map((entry, index) => ({ entry, index }))
          .filter(({ entry }) => (input.event ? entry.event === input.event : true))
          .reverse()
          .slice(0, input.limit);
        const last = matches.at(-1);
        return {
          entries: matches.map(({ entry }) => entry),
          next: matches.length === input.limit && last && last.index > 0 ? last.index : undefined,
        };
      }),
    on: (event, listener) => {
      let listeners = this.#listeners.get(event);
      if (!listeners) this.#listeners.set(event, (listeners = new Set()));
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };

  async #run<N extends CallName, T>(name: N, input: CallInput<N>, answer: () => T): Promise<T> {
    this.calls.push({ name, input });
    // Answer asynchronously, as every real transport does.
    await Promise.resolve();
    const failure = this.#failures.get(name);
    if (failure) {
      this.#failures.delete(name);
      throw failure;
    }
    return structuredClone(answer());
  }

  callsOf(name: CallName): unknown[] {
    return this.calls.filter((call) => call.name === name).map((call) => call.input);
  }
}
