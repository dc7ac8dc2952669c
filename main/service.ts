import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { createJetApi, type ListenerInfo } from './api/jet-api.ts';
import { CertificateReloader } from './certs/certificate-reloader.ts';
import { loadOrCreateCertificates, type TlsMaterial } from './certs/certificate-store.ts';
import type { SecretCodec } from './certs/secret-files.ts';
import { dataPaths } from './config/data-dir.ts';
import type { LifecycleSettings, Settings } from './config/schema.ts';
import { SettingsStore } from './config/settings-store.ts';
import { createClientAddressResolver } from './gateway/http/forwarded.ts';
import { GatewayServer } from './gateway/http/gateway-server.ts';
import type { TunnelRequestInfo } from './gateway/http/connection-id.ts';
import { LegacyHttpRouter } from './gateway/http/legacy-router.ts';
import type { PacketTransport } from './gateway/transport/packet-transport.ts';
import { WebSocketRouter, routeGatewayRequest } from './gateway/http/websocket-router.ts';
import { runTunnel, type TunnelHandle, type TunnelLifecycle, type TunnelPolicy } from './gateway/tunnel.ts';
import { HResult } from './gateway/tsgu/constants.ts';
import { TunnelRefusal } from './gateway/tsgu/errors.ts';
import { LogRing, teeLogger } from './logging/log-ring.ts';
import type { Logger } from './logging/logger.ts';
import { AttemptLog } from './doctor/attempt-log.ts';
import { ConnectionDoctor } from './doctor/doctor.ts';
import { ReachabilityBook, watchConnector } from './doctor/reachability.ts';
import { ReachabilityFile } from './doctor/reachability-file.ts';
import { createConnector, type Connector } from './relay/connector.ts';
import { RelayRefusal } from './relay/errors.ts';
import { RelayServer } from './relay/listener.ts';
import { createAssociationPolicy } from './relay/association-policy.ts';
import { IssuedTokenRegistry } from './security/issued-tokens.ts';
import { createPaaPolicy, type PaaGrant } from './gateway/paa-policy.ts';
import { ReplayCache } from './security/replay-cache.ts';
import { ReplayJournal } from './security/replay-journal.ts';
import { RevocationList } from './security/revocation.ts';
import { createKeyLookup } from './security/trusted-keys.ts';
import { loadOrCreateSigningKey, type SigningKey } from './security/signing-key.ts';
import { AuditLog, type AuditLogHealth, type AuditSink } from './sessions/audit-log.ts';
import { SessionRegistry } from './sessions/registry.ts';
import { TypedEmitter } from './util/typed-emitter.ts';
import { openWebAdmin, type WebAdmin } from './web/web-admin.ts';
import { DownloadLinks } from './web/download-links.ts';
import { createDownloadRoute, type DownloadRoute } from './web/download-route.ts';
import { exportDeviceRdpFile } from './ipc/handlers/rdp.ts';
import packageJson from '../package.json' with { type: 'json' };

/** How long a graceful stop waits for tunnels to say goodbye before dropping them. */
export const SHUTDOWN_DRAIN_TIMEOUT_MS = 5_000;
/** What a client is told while the gateway is paused. */
export const PAUSED_MESSAGE = 'the gateway is paused: it accepts no new connections for now';

/** What every command needs: the settings and the token signing key (created on first run). */
export interface HomegateContext {
  readonly dataDir: string;
  readonly settings: SettingsStore;
  readonly signingKey: SigningKey;
  /** How private key files are sealed at rest (the desktop app's OS keychain); plain files when absent. */
  readonly secretCodec?: SecretCodec;
}

export async function openContext(
  dataDir: string,
  logger: Logger,
  secretCodec?: SecretCodec,
): Promise<HomegateContext> {
  const settings = await SettingsStore.open(dataDir, logger);
  const signingKey = await loadOrCreateSigningKey(dataPaths(dataDir).keys, { logger, secretCodec });
  return { dataDir, settings, signingKey, ...(secretCodec ? { secretCodec } : {}) };
}

export interface StartGatewayOptions {
  readonly dataDir: string;
  readonly logger: Logger;
  /** Overrides the listen address in the settings (not saved). */
  readonly listen?: { readonly host: string; readonly port: number };
  /** Overrides (or enables) the relay listen address in the settings (not saved). */
  readonly relayListen?: { readonly host: string; readonly port: number };
  /** Overrides (or enables) the plain-HTTP listener for a TLS-terminating proxy (not saved). */
  readonly plainListen?: { readonly host: string; readonly port: number };
  readonly secretCodec?: SecretCodec;
  /**
   * Serves the web admin page and its API under /admin/ (headless `serve`). Off in the desktop app, which has its
   * own window: nothing listens there for a password.
   */
  readonly webAdmin?: { readonly rendererDir?: string };
  /** The one-time download links' table (tests pass one with their own clock). */
  readonly downloadLinks?: DownloadLinks;
}

export interface GatewayService {
  readonly context: HomegateContext;
  readonly address: AddressInfo;
  /** The certificate served to new connections now (it changes on renewal, import, regenerate). */
  readonly tls: TlsMaterial;
  readonly certificates: CertificateReloader;
  readonly sessions: SessionRegistry;
  /** The TCP relay's address, when the relay is on. */
  readonly relayAddress: AddressInfo | undefined;
  /** The plain-HTTP listener's address, when it is on (behind a TLS-terminating proxy). */
  readonly plainAddress: AddressInfo | undefined;
  /** The revocation list (JRL) in force. */
  readonly revocation: RevocationList;
  /** The tokens issued through the UI (metadata only), for listing and revoking. */
  readonly issuedTokens: IssuedTokenRegistry;
  readonly audit: AuditSink & AuditLogHealth;
  /** The connection doctor's failed attempts, and each host's last reachability. */
  readonly attempts: AttemptLog;
  readonly reachability: ReachabilityBook;
  /** One-time download links of device-token .rdp files (`/download/<code>`), in memory. */
  readonly downloadLinks: DownloadLinks;
  /** True while new tunnels and relay connections are refused; live sessions carry on. */
  readonly paused: boolean;
  pause(): void;
  resume(): void;
  onPausedChange(listener: (paused: boolean) => void): () => void;
  /** Stops accepting, tells every client, waits (bounded) for tunnels to close, flushes the audit log. */
  stop(): Promise<void>;
}

type Disposer = () => void | Promise<void>;

/** What the setup steps share: the stores opened from the data directory. */
interface GatewayCore {
  readonly logger: Logger;
  /** Recent log lines, secrets removed, for GET /jet/diagnostics/logs. */
  readonly logs: LogRing;
  readonly context: HomegateContext;
  readonly settings: SettingsStore;
  readonly tls: TlsMaterial;
  readonly audit: AuditLog;
  readonly sessions: SessionRegistry;
  readonly revocation: RevocationList;
  /** Single-use tokens already used, per kind, remembered across restarts. */
  readonly replay: { readonly paa: ReplayCache; readonly association: ReplayCache };
  readonly issuedTokens: IssuedTokenRegistry;
  readonly doctor: ConnectionDoctor;
  readonly attempts: AttemptLog;
  readonly reachability: ReachabilityBook;
}

/** What the listeners route to: the MS-TSGU tunnels, the relay, the /jet API and (headless) the web admin. */
interface GatewayRoutes {
  readonly server: GatewayServer;
  readonly legacy: LegacyHttpRouter;
  readonly relay: RelayServer;
  readonly tunnels: Set<TunnelHandle>;
  readonly listeners: ListenerInfo[];
  webAdmin: WebAdmin | undefined;
  /** `/download/<code>`, in both shells; set once the service exists (its files need it). */
  downloads: DownloadRoute | undefined;
}

interface GatewayAddresses {
  readonly address: AddressInfo;
  readonly relayAddress: AddressInfo | undefined;
  readonly plainAddress: AddressInfo | undefined;
}

/**
 * The composition root: builds the whole gateway from a data directory. The CLI and the Electron app both call it.
 * An explicit list of setup steps, each pushing its disposer; `stop()` (or a failed start) disposes in reverse, so
 * the listeners stop and the tunnels drain before the stores close and the audit log is flushed last.
 */
export async function startGateway(options: StartGatewayOptions): Promise<GatewayService> {
  const disposers: Disposer[] = [];
  try {
    const core = await openCore(options, disposers);
    const pause = new PauseSwitch(core.logger);
    const routes = createRoutes(core, pause);
    const addresses = await listen(core, routes, options, disposers);
    const certificates = followChanges(core, routes.server, options, disposers);
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= disposeAll(disposers).then(() => core.logger.info('gateway stopped'));
      return stopping;
    };
    const downloadLinks = options.downloadLinks ?? new DownloadLinks();
    const service = serviceOf(core, addresses, certificates, pause, stop, downloadLinks);
    routes.downloads = createDownloadRoute({
      links: downloadLinks,
      exportFile: (grant, client) => exportDeviceRdpFile(service, grant, { via: 'link', client }),
      audit: core.audit,
      logger: core.logger,
      clientAddress: requestClientResolver(() => core.settings.get().http),
    });
    if (options.webAdmin) {
      routes.webAdmin = await startWebAdmin(service, core, options.webAdmin);
      disposers.push(() => routes.webAdmin?.close());
    }
    return service;
  } catch (error) {
    for (const dispose of disposers.reverse()) await Promise.resolve(dispose()).catch(() => undefined);
    throw error;
  }
}

async function disposeAll(disposers: Disposer[]): Promise<void> {
  for (const dispose of disposers.reverse()) await dispose();
}

/** The settings, keys, certificate, audit log, session registry, revocation list and issued-token registry. */
async function openCore(options: StartGatewayOptions, disposers: Disposer[]): Promise<GatewayCore> {
  const logs = new LogRing();
  const logger = teeLogger(options.logger, logs);
  const paths = dataPaths(options.dataDir);
  const context = await openContext(options.dataDir, logger, options.secretCodec);
  const { settings } = context;
  const tls = await loadOrCreateCertificates(paths.tls, {
    publicNames: settings.get().publicNames,
    keyType: settings.get().tls.keyType,
    logger,
    secretCodec: options.secretCodec,
  });
  const audit = await AuditLog.open(paths.auditLog, logger);
  disposers.push(() => audit.close());
  const attempts = await AttemptLog.open(paths.attempts, logger);
  disposers.push(() => attempts.flush());
  disposers.push(() => settings.close());
  const issuedTokens = await IssuedTokenRegistry.open(paths.issuedTokens, logger);
  const reachabilityFile = new ReachabilityFile(paths.reachability, logger);
  const reachability = new ReachabilityBook({ logger, initial: await reachabilityFile.read() });
  disposers.push(() => reachabilityFile.flush());
  disposers.push(reachability.onChange(() => reachabilityFile.save(reachability.records())));
  const doctor = new ConnectionDoctor({
    log: attempts,
    certificate: tls,
    deviceOf: (jti) => issuedTokens.get(jti)?.device,
    reachability,
    audit,
  });
  // Every refusal of both front doors goes to the audit log; the doctor reads them there.
  disposers.push(doctor.followAudit(audit));
  const sessions = new SessionRegistry({ audit, logger });
  disposers.push(() => sessions.close());
  const revocation = await RevocationList.open(paths.jrl, logger);
  disposers.push(() => revocation.close());
  const replay = {
    paa: await openReplayCache(paths.usedPaaTokens, settings, logger),
    association: await openReplayCache(paths.usedAssociationTokens, settings, logger),
  };
  return {
    replay,
    logger,
    logs,
    context,
    settings,
    tls,
    audit,
    sessions,
    revocation,
    issuedTokens,
    doctor,
    attempts,
    reachability,
  };
}

/**
 * One replay cache per kind of single-use token, its first uses saved in a journal so a restart still refuses
 * them. Single-use tokens get the relay's reconnection window (clients reconnect during security negotiation).
 */
async function openReplayCache(path: string, settings: SettingsStore, logger: Logger): Promise<ReplayCache> {
  const { journal, restored } = await ReplayJournal.open(path, logger);
  return new ReplayCache({
    reuseWindowSeconds: () => settings.get().relay.reuseWindowSeconds,
    maxReuses: () => settings.get().relay.maxReuses,
    restored,
    onRemember: (use, remembered) => journal.record(use, remembered),
  });
}

/** Pausing refuses new tunnels and relay connections; live sessions carry on. Not saved: a restart resumes. */
class PauseSwitch {
  readonly #logger: Logger;
  readonly #events: TypedEmitter<{ changed: boolean }>;
  #paused = false;

  constructor(logger: Logger) {
    this.#logger = logger;
    this.#events = new TypedEmitter((error) => logger.error('pause listener failed', { error }));
  }

  get paused(): boolean {
    return this.#paused;
  }

  set(next: boolean): void {
    if (next === this.#paused) return;
    this.#paused = next;
    this.#logger.info(next ? 'gateway paused: new connections are refused' : 'gateway resumed');
    this.#events.emit('changed', next);
  }

  onChange(listener: (paused: boolean) => void): () => void {
    return this.#events.on('changed', listener);
  }
}

/**
 * The gateway's policies over the core: PAA for MS-TSGU tunnels and ASSOCIATION for the relay, both refusing while
 * paused (at tunnel create with E_PROXY_MAXCONNECTIONSREACHED, what RD Gateway answers when new connections are
 * disabled). Single-use tokens get the relay's reconnection window (clients reconnect during security negotiation),
 * one replay cache per kind of token, configured here once.
 */
function createPolicies(core: GatewayCore, pause: PauseSwitch, connector: Connector) {
  const { settings, revocation, logger } = core;
  const keys = createKeyLookup(core.context.signingKey, () => settings.get().tokens.provisionerKeys, logger);
  const isRevoked = (claims: Readonly<Record<string, unknown>>): boolean => revocation.isRevoked(claims);
  const paaDeps = { settings: () => settings.get(), signingKey: core.context.signingKey, keys, isRevoked, connector };
  const paaReplay = core.replay.paa;
  const association = createAssociationPolicy({
    settings: paaDeps.settings,
    keys,
    isRevoked,
    replay: core.replay.association,
  });
  return {
    keys,
    /** The MS-TSGU policy for one client: single-use tokens are bound to that client's address. */
    tunnelPolicyFor(clientAddress: string): TunnelPolicy<PaaGrant> {
      const policy = createPaaPolicy({ ...paaDeps, replay: paaReplay, clientAddress });
      return {
        ...policy,
        authenticate: async (token) => {
          if (pause.paused) throw new TunnelRefusal(HResult.E_PROXY_MAXCONNECTIONSREACHED, 'paused', PAUSED_MESSAGE);
          return policy.authenticate(token);
        },
      };
    },
    relay: {
      authorize: async (token: string, clientAddress: string) => {
        if (pause.paused) throw new RelayRefusal('token', 'paused', PAUSED_MESSAGE);
        return association.authorize(token, clientAddress);
      },
    },
  };
}

/** The listeners and what they route to; nothing listens yet. */
function createRoutes(core: GatewayCore, pause: PauseSwitch): GatewayRoutes {
  const { settings, sessions, audit, logger } = core;
  // Every dial notes the host's reachability (and whether Wake-on-LAN was used) for the doctor and the UI.
  const connector = watchConnector(
    createConnector({ logger, wake: () => wakeOnLanTarget(settings.get()) }),
    core.reachability,
    () => true,
  );
  const policies = createPolicies(core, pause, connector);
  const relay = new RelayServer({
    policy: policies.relay,
    connector,
    sessions,
    audit,
    logger,
    limits: () => settings.get().limits,
  });
  const listeners: ListenerInfo[] = [];
  const api = createJetApi({
    settings: () => settings.get(),
    sessions,
    revocation: core.revocation,
    keys: policies.keys,
    logs: core.logs,
    listeners: () => listeners,
    logger,
    version: packageJson.version,
    hostname: hostname(),
    // Its failure limiter counts the client behind trusted proxies, not the proxy.
    clientAddress: requestClientResolver(() => settings.get().http),
  });
  const tunnels = new Set<TunnelHandle>();
  /** Runs one MS-TSGU tunnel over any transport; settles when it has ended. Limits are read when it starts. */
  const startTunnel = (transport: PacketTransport, info: TunnelRequestInfo): Promise<void> => {
    const tunnel = runTunnel(transport, {
      ...info,
      sessions,
      audit,
      logger,
      lifecycle: () => tunnelLifecycle(settings.get().lifecycle),
      policy: policies.tunnelPolicyFor(transport.remoteAddress),
    });
    tunnels.add(tunnel);
    return tunnel.done.then(() => {
      tunnels.delete(tunnel);
    });
  };
  const legacy = new LegacyHttpRouter({
    logger,
    startTunnel,
    limits: () => settings.get().limits,
    onUnpaired: (channel) => core.doctor.unpairedLegacyChannel(channel),
  });
  const websocket = new WebSocketRouter({ logger, startTunnel });
  const routes: GatewayRoutes = {
    server: new GatewayServer({
      tls: core.tls,
      logger,
      onGatewayRequest: (request) => routeGatewayRequest(request, { websocket, legacy, logger }),
      // `/download/…` is a one-time link's file; `/` and `/admin/…` go to the web admin page when it is on;
      // everything else is the /jet API.
      onHttpRequest: (request, response) => {
        if (routes.downloads?.handles(request)) return routes.downloads.handleRequest(request, response);
        if (routes.webAdmin?.handles(request)) return routes.webAdmin.handleRequest(request, response);
        return api.handle(request, response);
      },
      // Standard WebSocket upgrades (GET): only the web admin's event stream takes them.
      onHttpUpgrade: (request, socket, head) =>
        routes.webAdmin
          ? routes.webAdmin.handleUpgrade(request, socket, head)
          : socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'),
      // Sessions, the audit log and legacy pairing see the client behind trusted proxies, not the proxy.
      clientAddress: createClientAddressResolver(() => settings.get().http),
      limits: () => settings.get().limits,
      observer: core.doctor.observer,
    }),
    legacy,
    relay,
    tunnels,
    listeners,
    webAdmin: undefined,
    downloads: undefined,
  };
  return routes;
}

function wakeOnLanTarget(settings: Settings): { address: string; port: number; bootWaitMs: number } {
  const { wakeOnLan } = settings;
  return { address: wakeOnLan.broadcastAddress, port: wakeOnLan.port, bootWaitMs: wakeOnLan.bootWaitSeconds * 1000 };
}

/**
 * Opens the TLS listener, then the relay and the plain listener when they are on. Its disposer stops accepting,
 * tells every client, and waits (bounded) for the tunnels and relay connections to close.
 */
async function listen(
  core: GatewayCore,
  routes: GatewayRoutes,
  options: StartGatewayOptions,
  disposers: Disposer[],
): Promise<GatewayAddresses> {
  const { settings, logger } = core;
  const { server, relay, tunnels } = routes;
  disposers.push(async () => {
    await server.stopAccepting();
    server.destroyPending();
    routes.legacy.close();
    relay.stopAccepting();
    for (const tunnel of tunnels) tunnel.terminate('shutdown');
    relay.terminateAll('shutdown');
    await Promise.race([
      Promise.all([...[...tunnels].map((tunnel) => tunnel.done), relay.drained()]),
      new Promise((resolve) => setTimeout(resolve, SHUTDOWN_DRAIN_TIMEOUT_MS).unref()),
    ]);
    if (tunnels.size > 0) logger.warn('tunnels still open after the drain timeout', { open: tunnels.size });
  });
  const listen = options.listen ?? settings.get().listen;
  const relayListen = options.relayListen ?? settings.get().relay.listen;
  const plainListen = options.plainListen ?? settings.get().http.plainListen;
  const address = await server.listen(listen.host, listen.port);
  const relayAddress = relayListen ? await relay.listen(relayListen.host, relayListen.port) : undefined;
  const plainAddress = plainListen ? await server.listenPlain(plainListen.host, plainListen.port) : undefined;
  const externalName = settings.get().publicNames[0] ?? hostname();
  routes.listeners.push(listenerInfo('https', address, externalName));
  if (relayAddress) {
    routes.listeners.push(listenerInfo('tcp', relayAddress, externalName));
    logger.info('relay listening', { host: relayAddress.address, port: relayAddress.port });
  }
  logger.info('gateway listening', {
    host: address.address,
    port: address.port,
    fingerprint: core.tls.fingerprintSha256,
  });
  if (plainAddress) {
    // Without TLS anyone on the path reads and changes the tunnel, tokens included: only a trusted proxy may reach it.
    logger.warn('plain HTTP listener on: it must only be reachable by a trusted TLS-terminating reverse proxy', {
      host: plainAddress.address,
      port: plainAddress.port,
      trustedProxies: settings.get().http.trustedProxies,
    });
  }
  return { address, relayAddress, plainAddress };
}

function listenerInfo(scheme: 'https' | 'tcp', address: AddressInfo, externalName: string): ListenerInfo {
  return {
    internalUrl: `${scheme}://${urlHost(address.address)}:${address.port}`,
    externalUrl: `${scheme}://${urlHost(externalName)}:${address.port}`,
  };
}

/**
 * Follows edits from other processes: the settings, the revocation list (a new list ends the live sessions, MS-TSGU
 * and relay, whose tokens it lists) and the certificate (daily renewal, new public names, `homegate cert ...`),
 * which reaches new handshakes only.
 */
function followChanges(
  core: GatewayCore,
  server: GatewayServer,
  options: StartGatewayOptions,
  disposers: Disposer[],
): CertificateReloader {
  const { settings, revocation, sessions, audit, logger } = core;
  revocation.onChange(({ pushed, local, values, source, client }) => {
    const ended = sessions.disconnectWhere((claims) => revocation.isRevoked(claims), 'revoked');
    const fields = { source, ...(client === undefined ? {} : { client }), jti: pushed.jti, iat: pushed.iat, values };
    audit.record({ event: 'jrl.updated', ...fields, localValues: local.length, endedSessions: ended });
    logger.info('revocation list in force', { ...fields, localValues: local.length, endedSessions: ended.length });
  });
  settings.watch();
  revocation.watch();
  const certificates = new CertificateReloader({
    dir: dataPaths(options.dataDir).tls,
    initial: core.tls,
    publicNames: () => settings.get().publicNames,
    keyType: () => settings.get().tls.keyType,
    logger,
    ...(options.secretCodec ? { secretCodec: options.secretCodec } : {}),
  });
  disposers.push(() => certificates.close());
  certificates.onChange((material) => {
    server.setTlsMaterial(material);
    core.doctor.useCertificate(material);
  });
  settings.onChange((next, previous) => {
    if (next.publicNames.join('\n') !== previous.publicNames.join('\n')) {
      void certificates.reload('public-names-changed');
    }
  });
  certificates.start();
  return certificates;
}

function serviceOf(
  core: GatewayCore,
  addresses: GatewayAddresses,
  certificates: CertificateReloader,
  pause: PauseSwitch,
  stop: () => Promise<void>,
  downloadLinks: DownloadLinks,
): GatewayService {
  return {
    context: core.context,
    ...addresses,
    get tls() {
      return certificates.current;
    },
    certificates,
    sessions: core.sessions,
    revocation: core.revocation,
    issuedTokens: core.issuedTokens,
    audit: core.audit,
    attempts: core.attempts,
    reachability: core.reachability,
    downloadLinks,
    get paused() {
      return pause.paused;
    },
    pause: () => pause.set(true),
    resume: () => pause.set(false),
    onPausedChange: (listener) => pause.onChange(listener),
    stop,
  };
}

/** The web admin page (headless `serve`), seeing the client behind trusted proxies as the gateway does. */
function startWebAdmin(
  service: GatewayService,
  core: GatewayCore,
  options: NonNullable<StartGatewayOptions['webAdmin']>,
): Promise<WebAdmin> {
  return openWebAdmin(service, {
    logger: core.logger,
    ...options,
    passwordFile: dataPaths(core.context.dataDir).adminPassword,
    clientAddress: requestClientResolver(() => core.settings.get().http),
  });
}

/** The client an HTTP request comes from: the TCP peer, or the address trusted proxies forwarded. */
function requestClientResolver(current: () => Settings['http']): (request: IncomingMessage) => string {
  const resolveClient = createClientAddressResolver(current);
  return (request) => resolveClient(request.socket.remoteAddress ?? '', headerMap(request));
}

/** Request headers as the forwarded-address resolver reads them (lower-case names, repeated values joined). */
function headerMap(request: IncomingMessage): ReadonlyMap<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) map.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return map;
}

/** A host as it goes in a URL: IPv6 literals in brackets. */
function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The settings' lifecycle (minutes, seconds) as a tunnel takes it (milliseconds). */
export function tunnelLifecycle(settings: LifecycleSettings): TunnelLifecycle {
  return {
    setupTimeoutMs: settings.setupTimeoutSeconds * 1000,
    keepaliveIntervalMs: settings.keepaliveSeconds * 1000,
    idleTimeoutMs: settings.idleTimeoutMinutes * 60_000,
    maxSessionMs: settings.maxSessionMinutes * 60_000,
    endAtTokenExpiry: settings.endSessionsAtTokenExpiry,
    consentMessage: settings.consentMessage,
    serviceMessage: settings.serviceMessage,
  };
}
