import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { hostname } from 'node:os';
import { createJetApi, type ListenerInfo } from './api/jet-api.ts';
import { CertificateReloader } from './certs/certificate-reloader.ts';
import { loadOrCreateCertificates, type TlsMaterial } from './certs/certificate-store.ts';
import type { SecretCodec } from './certs/secret-files.ts';
import { dataPaths } from './config/data-dir.ts';
import type { LifecycleSettings } from './config/schema.ts';
import { SettingsStore } from './config/settings-store.ts';
import { createClientAddressResolver } from './gateway/http/forwarded.ts';
import { GatewayServer, type GatewayRequest } from './gateway/http/gateway-server.ts';
import { LegacyHttpRouter } from './gateway/http/legacy-router.ts';
import { headerHasToken } from './gateway/http/request-head.ts';
import type { PairingLimits } from './gateway/transport/legacy-pairing.ts';
import type { PacketTransport } from './gateway/transport/packet-transport.ts';
import {
  WebSocketTransport,
  isAcceptableWebSocketKey,
  switchingProtocolsResponse,
} from './gateway/transport/websocket.ts';
import {
  runTunnel,
  type TunnelDeps,
  type TunnelHandle,
  type TunnelLifecycle,
  type TunnelPolicy,
} from './gateway/tunnel.ts';
import { HResult } from './gateway/tsgu/constants.ts';
import { TunnelRefusal } from './gateway/tsgu/session.ts';
import { LogRing, teeLogger } from './logging/log-ring.ts';
import type { Logger } from './logging/logger.ts';
import { createConnector } from './relay/connector.ts';
import { RelayRefusal, RelayServer } from './relay/listener.ts';
import { createAssociationPolicy } from './security/association-policy.ts';
import { IssuedTokenRegistry } from './security/issued-tokens.ts';
import { createPaaPolicy, type PaaGrant } from './security/paa-policy.ts';
import { ReplayCache } from './security/replay-cache.ts';
import { RevocationList } from './security/revocation.ts';
import { createKeyLookup } from './security/trusted-keys.ts';
import { loadOrCreateSigningKey, type SigningKey } from './security/signing-key.ts';
import { AuditLog, type AuditSink } from './sessions/audit-log.ts';
import { SessionRegistry } from './sessions/registry.ts';
import { TypedEmitter } from './util/typed-emitter.ts';
import { openWebAdmin, type WebAdmin } from './web/web-admin.ts';
import packageJson from '../package.json' with { type: 'json' };

export const GATEWAY_PATH = '/remotedesktopgateway/';
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
  /** Limits of the legacy transport's half-open pairs (tests shorten the timeout). */
  readonly legacy?: PairingLimits;
  readonly secretCodec?: SecretCodec;
  /**
   * Serves the web admin page and its API under /admin/ (headless `serve`). Off in the desktop app, which has its
   * own window: nothing listens there for a password.
   */
  readonly webAdmin?: { readonly rendererDir?: string };
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
  readonly audit: AuditSink;
  /** True while new tunnels and relay connections are refused; live sessions carry on. */
  readonly paused: boolean;
  pause(): void;
  resume(): void;
  onPausedChange(listener: (paused: boolean) => void): () => void;
  /** Stops accepting, tells every client, waits (bounded) for tunnels to close, flushes the audit log. */
  stop(): Promise<void>;
}

/** The composition root: builds the whole gateway from a data directory. The CLI and the Electron app both call it. */
export async function startGateway(options: StartGatewayOptions): Promise<GatewayService> {
  const { dataDir } = options;
  // Recent log lines, secrets removed, for GET /jet/diagnostics/logs.
  const logs = new LogRing();
  const logger = teeLogger(options.logger, logs);
  const paths = dataPaths(dataDir);
  const context = await openContext(dataDir, logger, options.secretCodec);
  const { settings } = context;
  const tls = await loadOrCreateCertificates(paths.tls, {
    publicNames: settings.get().publicNames,
    logger,
    secretCodec: options.secretCodec,
  });
  const audit = await AuditLog.open(paths.auditLog, logger);
  const sessions = new SessionRegistry({ audit, logger });
  const revocation = await RevocationList.open(paths.jrl, logger);
  const keys = createKeyLookup(context.signingKey, () => settings.get().tokens.provisionerKeys, logger);
  const isRevoked = (claims: Readonly<Record<string, unknown>>): boolean => revocation.isRevoked(claims);
  const connector = createConnector({
    logger,
    wake: () => {
      const { wakeOnLan } = settings.get();
      return {
        address: wakeOnLan.broadcastAddress,
        port: wakeOnLan.port,
        bootWaitMs: wakeOnLan.bootWaitSeconds * 1000,
      };
    },
  });
  const issuedTokens = await IssuedTokenRegistry.open(paths.issuedTokens, logger);
  let paused = false;
  const pauseEvents = new TypedEmitter<{ changed: boolean }>((error) =>
    logger.error('pause listener failed', { error }),
  );
  const paaPolicyDeps = {
    settings: () => settings.get(),
    signingKey: context.signingKey,
    keys,
    isRevoked,
    connector,
    // Single-use PAA tokens get the relay's reconnection window (clients reconnect during security negotiation).
    replay: new ReplayCache({
      reuseWindowSeconds: () => settings.get().relay.reuseWindowSeconds,
      maxReuses: () => settings.get().relay.maxReuses,
    }),
  };
  /**
   * The MS-TSGU policy for one client: refused at tunnel create while paused (E_PROXY_MAXCONNECTIONSREACHED, what RD
   * Gateway answers when new connections are disabled), and single-use tokens bound to that client's address.
   */
  function tunnelPolicyFor(clientAddress: string): TunnelPolicy<PaaGrant> {
    const policy = createPaaPolicy({ ...paaPolicyDeps, clientAddress });
    return {
      ...policy,
      authenticate: async (token) => {
        if (paused) throw new TunnelRefusal(HResult.E_PROXY_MAXCONNECTIONSREACHED, 'paused', PAUSED_MESSAGE);
        return policy.authenticate(token);
      },
    };
  }
  // A new revocation list also ends the live sessions (MS-TSGU and relay) whose tokens it lists.
  revocation.onChange((jrl) => {
    const ended = sessions.disconnectWhere(isRevoked, 'revoked');
    const values = Object.values(jrl.jrl).reduce((sum, list) => sum + list.length, 0);
    audit.record({ event: 'jrl.updated', jti: jrl.jti, iat: jrl.iat, values, endedSessions: ended });
    logger.info('revocation list in force', { jti: jrl.jti, iat: jrl.iat, values, endedSessions: ended.length });
  });
  const associationPolicy = createAssociationPolicy({
    settings: () => settings.get(),
    keys,
    isRevoked,
    replay: new ReplayCache({
      reuseWindowSeconds: () => settings.get().relay.reuseWindowSeconds,
      maxReuses: () => settings.get().relay.maxReuses,
    }),
  });
  const relay = new RelayServer({
    policy: {
      authorize: async (token, clientAddress) => {
        if (paused) throw new RelayRefusal('token', 'paused', PAUSED_MESSAGE);
        return associationPolicy.authorize(token, clientAddress);
      },
    },
    connector,
    sessions,
    audit,
    logger,
  });
  const listeners: ListenerInfo[] = [];
  const api = createJetApi({
    settings: () => settings.get(),
    sessions,
    revocation,
    keys,
    logs,
    listeners: () => listeners,
    audit,
    logger,
    version: packageJson.version,
    hostname: hostname(),
  });
  const tunnels = new Set<TunnelHandle>();
  /** What every MS-TSGU tunnel runs with, whatever carries it; limits and messages are read when a tunnel starts. */
  const tunnelDeps: Omit<TunnelDeps<PaaGrant>, 'policy'> = {
    sessions,
    audit,
    logger,
    lifecycle: () => tunnelLifecycle(settings.get().lifecycle),
  };

  const server = new GatewayServer({
    tls,
    logger,
    onGatewayRequest: (request) => handleGatewayRequest(request),
    onHttpRequest: (request, response) => handleHttpRequest(request, response),
    onHttpUpgrade: (request, socket, head) => handleHttpUpgrade(request, socket, head),
    // Sessions, the audit log and legacy pairing see the client behind trusted proxies, not the proxy.
    clientAddress: createClientAddressResolver(() => settings.get().http),
  });
  const legacy = new LegacyHttpRouter({
    ...options.legacy,
    logger,
    startTunnel: (transport) => startTunnel(transport),
  });

  /** Runs one MS-TSGU tunnel over any transport; settles when it has ended. */
  function startTunnel(transport: PacketTransport): Promise<void> {
    const tunnel = runTunnel(transport, { ...tunnelDeps, policy: tunnelPolicyFor(transport.remoteAddress) });
    tunnels.add(tunnel);
    return tunnel.done.then(() => {
      tunnels.delete(tunnel);
    });
  }

  function handleGatewayRequest(request: GatewayRequest): void {
    const { head, socket, rest, remoteAddress } = request;
    const reject = (status: string): void => {
      logger.info('gateway request refused', {
        client: remoteAddress,
        method: head.method,
        target: head.target,
        status,
      });
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (head.target.toLowerCase().split('?')[0] !== GATEWAY_PATH) return reject('404 Not Found');
    const wantsWebSocket =
      head.method === 'RDG_OUT_DATA' &&
      headerHasToken(head.headers.get('connection'), 'upgrade') &&
      head.headers.get('upgrade')?.toLowerCase() === 'websocket';
    if (!wantsWebSocket) return legacy.handle(request);
    const key = head.headers.get('sec-websocket-key');
    if (head.headers.get('sec-websocket-version') !== '13' || !isAcceptableWebSocketKey(key)) {
      return reject('400 Bad Request');
    }
    socket.write(switchingProtocolsResponse(key));
    void startTunnel(new WebSocketTransport(socket, rest, remoteAddress));
    socket.resume();
  }

  let webAdmin: WebAdmin | undefined;
  /** `/` and `/admin/…` go to the web admin page when it is on; everything else is the /jet API. */
  function handleHttpRequest(request: IncomingMessage, response: ServerResponse): void {
    if (webAdmin?.handles(request)) return webAdmin.handleRequest(request, response);
    api.handle(request, response);
  }

  /** Standard WebSocket upgrades (GET): only the web admin's event stream takes them. */
  function handleHttpUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    if (webAdmin) return webAdmin.handleUpgrade(request, socket, head);
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  }

  const listen = options.listen ?? settings.get().listen;
  const relayListen = options.relayListen ?? settings.get().relay.listen;
  const plainListen = options.plainListen ?? settings.get().http.plainListen;
  let address: AddressInfo;
  let relayAddress: AddressInfo | undefined;
  let plainAddress: AddressInfo | undefined;
  try {
    address = await server.listen(listen.host, listen.port);
    if (relayListen) relayAddress = await relay.listen(relayListen.host, relayListen.port);
    if (plainListen) plainAddress = await server.listenPlain(plainListen.host, plainListen.port);
  } catch (error) {
    await server.stopAccepting();
    sessions.close();
    await audit.close();
    throw error;
  }
  const externalName = settings.get().publicNames[0] ?? hostname();
  listeners.push({
    internalUrl: `https://${urlHost(address.address)}:${address.port}`,
    externalUrl: `https://${urlHost(externalName)}:${address.port}`,
  });
  if (relayAddress) {
    listeners.push({
      internalUrl: `tcp://${urlHost(relayAddress.address)}:${relayAddress.port}`,
      externalUrl: `tcp://${urlHost(externalName)}:${relayAddress.port}`,
    });
    logger.info('relay listening', { host: relayAddress.address, port: relayAddress.port });
  }
  settings.watch();
  revocation.watch();
  // Certificate changes (daily renewal, new public names, `homegate cert ...`) reach new handshakes only.
  const certificates = new CertificateReloader({
    dir: paths.tls,
    initial: tls,
    publicNames: () => settings.get().publicNames,
    logger,
    ...(options.secretCodec ? { secretCodec: options.secretCodec } : {}),
  });
  certificates.onChange((material) => server.setTlsMaterial(material));
  settings.onChange((next, previous) => {
    if (next.publicNames.join('\n') !== previous.publicNames.join('\n')) {
      void certificates.reload('public-names-changed');
    }
  });
  certificates.start();
  logger.info('gateway listening', { host: address.address, port: address.port, fingerprint: tls.fingerprintSha256 });
  if (plainAddress) {
    // Without TLS anyone on the path reads and changes the tunnel, tokens included: only a trusted proxy may reach it.
    logger.warn('plain HTTP listener on: it must only be reachable by a trusted TLS-terminating reverse proxy', {
      host: plainAddress.address,
      port: plainAddress.port,
      trustedProxies: settings.get().http.trustedProxies,
    });
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      webAdmin?.close();
      await server.stopAccepting();
      server.destroyPending();
      legacy.close();
      relay.stopAccepting();
      for (const tunnel of tunnels) tunnel.terminate('shutdown');
      relay.terminateAll('shutdown');
      await Promise.race([
        Promise.all([...[...tunnels].map((tunnel) => tunnel.done), relay.drained()]),
        new Promise((resolve) => setTimeout(resolve, SHUTDOWN_DRAIN_TIMEOUT_MS).unref()),
      ]);
      if (tunnels.size > 0) logger.warn('tunnels still open after the drain timeout', { open: tunnels.size });
      certificates.close();
      revocation.close();
      sessions.close();
      settings.close();
      await audit.close();
      logger.info('gateway stopped');
    })();
    return stopping;
  };

  const service: GatewayService = {
    context,
    address,
    get tls() {
      return certificates.current;
    },
    certificates,
    sessions,
    relayAddress,
    plainAddress,
    revocation,
    issuedTokens,
    audit,
    get paused() {
      return paused;
    },
    pause: () => setPaused(true),
    resume: () => setPaused(false),
    onPausedChange: (listener) => pauseEvents.on('changed', listener),
    stop,
  };
  function setPaused(next: boolean): void {
    if (next === paused) return;
    paused = next;
    logger.info(paused ? 'gateway paused: new connections are refused' : 'gateway resumed');
    pauseEvents.emit('changed', paused);
  }
  if (options.webAdmin) {
    const resolveClient = createClientAddressResolver(() => settings.get().http);
    try {
      webAdmin = await openWebAdmin(service, {
        logger,
        ...options.webAdmin,
        passwordFile: paths.adminPassword,
        clientAddress: (request) => resolveClient(request.socket.remoteAddress ?? '', headerMap(request)),
      });
    } catch (error) {
      await stop();
      throw error;
    }
  }
  return service;
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
