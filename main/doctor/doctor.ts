import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { normalizeIpAddress } from '../net/ip-address.ts';
import type { ConnectionObserver } from '../gateway/http/gateway-server.ts';
import type { AuditEvent, AuditSink } from '../sessions/audit-log.ts';
import type { AttemptLog } from './attempt-log.ts';
import {
  diagnoseNoRequest,
  diagnoseRefusal,
  diagnoseTlsError,
  diagnoseUnpairedLegacy,
  type SniCheck,
} from './causes.ts';
import type { ReachabilityBook } from './reachability.ts';

export interface CertificateNames {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

export interface DoctorDeps {
  readonly log: AttemptLog;
  /** The names of the certificate served at start (`useCertificate` follows changes). */
  readonly certificate: CertificateNames;
  /** The device label of a token the gateway issued, by its `jti`. */
  readonly deviceOf: (tokenId: string) => string | undefined;
  readonly reachability: ReachabilityBook;
  /** Where `connection.dropped` lines go: connections the gateway closed before they sent a request. */
  readonly audit: AuditSink;
}

/** Why the gateway closed a connection before it made a request, as `connection.dropped` says it. */
type DropReason = 'tls-handshake-timeout' | 'no-request' | 'slow-head' | 'no-partner';

/**
 * The connection doctor: turns what the front doors see into failed attempts with a cause and a fix. It hears TLS
 * failures through the gateway server's observer, and refusals from the audit log every refusal already goes
 * to (so the tunnel and relay code need no hook of their own).
 *
 * It also writes a `connection.dropped` audit line for each connection the gateway closed before any request: a
 * handshake or a first request head that did not finish in time (silent or slow clients) and a legacy channel whose
 * partner never came. The audit log folds their floods like refusals'; the line names the client, the transport,
 * the reason and (legacy) the channel, nothing the client sent.
 */
export class ConnectionDoctor {
  readonly #deps: DoctorDeps;
  #certificate: CertificateNames;
  readonly observer: ConnectionObserver;

  constructor(deps: DoctorDeps) {
    this.#deps = deps;
    this.#certificate = deps.certificate;
    this.observer = {
      tlsError: (socket, error, client) => this.#tlsError(socket, error, client),
      noRequest: (socket, info) => this.#noRequest(socket, info),
      handshakeTimedOut: (client) => this.#dropped(canonical(client), 'tls', 'tls-handshake-timeout'),
    };
  }

  /** A legacy channel was closed without its partner (see `LegacyRouterOptions.onUnpaired`). */
  unpairedLegacyChannel(channel: { readonly role: 'out' | 'in'; readonly clientAddress: string }): void {
    this.#dropped(channel.clientAddress, 'http', 'no-partner', { channel: channel.role });
    this.#deps.log.record(diagnoseUnpairedLegacy(channel.role), { client: channel.clientAddress, transport: 'http' });
  }

  /** The certificate new handshakes get from now on (renewal, import, new public names). */
  useCertificate(names: CertificateNames): void {
    this.#certificate = { dnsNames: [...names.dnsNames], ipAddresses: [...names.ipAddresses] };
  }

  /** Reads every refusal the audit log records from now on; answers the disposer. */
  followAudit(audit: { onRecord(listener: (record: AuditEvent) => void): () => void }): () => void {
    return audit.onRecord((record) => {
      if (record.event === 'tunnel.refused') this.#refusal(record);
    });
  }

  #tlsError(socket: TLSSocket, error: Error, client: string): void {
    const diagnosis = diagnoseTlsError((error as NodeJS.ErrnoException).code, this.#sni(socket));
    if (diagnosis) this.#deps.log.record(diagnosis, { client, transport: 'tls', ...sniName(socket) });
  }

  #noRequest(socket: Socket, info: { readonly timedOut: boolean; readonly bufferedBytes: number }): void {
    const tls = 'encrypted' in socket;
    if (info.timedOut) {
      this.#dropped(clientOf(socket), tls ? 'tls' : 'http', info.bufferedBytes > 0 ? 'slow-head' : 'no-request');
    }
    // Without TLS (the listener behind a proxy) a connection that sent nothing says nothing about certificates.
    if (!tls && info.bufferedBytes === 0) return;
    const sni = tls ? this.#sni(socket as TLSSocket) : { name: undefined, inCertificate: true };
    const diagnosis = diagnoseNoRequest({ ...info, sni });
    if (!diagnosis) return;
    this.#deps.log.record(diagnosis, {
      client: clientOf(socket),
      transport: tls ? 'tls' : 'http',
      ...(tls ? sniName(socket as TLSSocket) : {}),
    });
  }

  #dropped(client: string, transport: string, reason: DropReason, more: { channel?: string } = {}): void {
    this.#deps.audit.record({ event: 'connection.dropped', client, transport, reason, ...more });
  }

  #refusal(event: AuditEvent): void {
    const text = (key: string): string | undefined => (typeof event[key] === 'string' ? event[key] : undefined);
    const host = text('host');
    const record = {
      transport: text('transport') ?? 'unknown',
      stage: text('stage') ?? 'unknown',
      ...optional('reason', text('reason')),
      ...optional('failure', text('failure')),
      ...optional('detail', text('detail')),
      ...optional('host', host),
      ...optional('requested', text('requested')),
    };
    const diagnosis = diagnoseRefusal(record, host === undefined ? undefined : this.#deps.reachability.wakeOnLan(host));
    if (!diagnosis) return;
    const tokenId = text('tokenId');
    this.#deps.log.record(diagnosis, {
      client: text('client') ?? 'unknown',
      transport: record.transport,
      device: tokenId === undefined ? undefined : this.#deps.deviceOf(tokenId),
      host,
      requested: record.requested,
    });
  }

  #sni(socket: TLSSocket): SniCheck {
    const name = typeof socket.servername === 'string' && socket.servername.length > 0 ? socket.servername : undefined;
    if (name === undefined) return { name, inCertificate: true };
    return { name, inCertificate: certificateCarries(name, this.#certificate) };
  }
}

/** Whether a certificate with these SANs is valid for `name` (one wildcard label, as TLS clients match). */
export function certificateCarries(name: string, sans: CertificateNames): boolean {
  const wanted = name.toLowerCase().replace(/\.$/, '');
  const ip = normalizeIpAddress(wanted);
  if (ip !== undefined) return sans.ipAddresses.some((address) => normalizeIpAddress(address) === ip);
  return sans.dnsNames.some((dnsName) => {
    const pattern = dnsName.toLowerCase();
    if (!pattern.startsWith('*.')) return pattern === wanted;
    const dot = wanted.indexOf('.');
    return dot > 0 && wanted.slice(dot + 1) === pattern.slice(2);
  });
}

function clientOf(socket: Socket): string {
  return canonical(socket.remoteAddress ?? '');
}

function canonical(address: string): string {
  return normalizeIpAddress(address) ?? (address || 'unknown');
}

function sniName(socket: TLSSocket): { requested?: string } {
  return typeof socket.servername === 'string' && socket.servername.length > 0 ? { requested: socket.servername } : {};
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
