import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { loadOrCreateCertificates, type TlsMaterial } from './certs/certificate-store.ts';
import type { SecretCodec } from './certs/secret-files.ts';
import { SettingsStore } from './config/settings-store.ts';
import { GatewayServer, type GatewayRequest } from './gateway/http/gateway-server.ts';
import { headerHasToken } from './gateway/http/request-head.ts';
import {
  WebSocketTransport,
  isAcceptableWebSocketKey,
  switchingProtocolsResponse,
} from './gateway/transport/websocket.ts';
import { runTunnel, type TunnelHandle } from './gateway/tunnel.ts';
import type { Logger } from './logging/logger.ts';
import { createPaaPolicy } from './security/paa-policy.ts';
import { loadOrCreateSigningKey, type SigningKey } from './security/signing-key.ts';
import { AUDIT_LOG_FILE_NAME, AuditLog } from './sessions/audit-log.ts';
import { SessionRegistry } from './sessions/registry.ts';

export const GATEWAY_PATH = '/remotedesktopgateway/';
/** How long a graceful stop waits for tunnels to say goodbye before dropping them. */
export const SHUTDOWN_DRAIN_TIMEOUT_MS = 5_000;

/** Where each kind of file lives inside the data directory. */
export function dataPaths(dataDir: string) {
  return {
    keys: join(dataDir, 'keys'),
    tls: join(dataDir, 'tls'),
    auditLog: join(dataDir, AUDIT_LOG_FILE_NAME),
  };
}

/** What every command needs: the settings and the token signing key (created on first run). */
export interface HomegateContext {
  readonly dataDir: string;
  readonly settings: SettingsStore;
  readonly signingKey: SigningKey;
}

export async function openContext(
  dataDir: string,
  logger: Logger,
  secretCodec?: SecretCodec,
): Promise<HomegateContext> {
  const settings = await SettingsStore.open(dataDir, logger);
  const signingKey = await loadOrCreateSigningKey(dataPaths(dataDir).keys, { logger, secretCodec });
  return { dataDir, settings, signingKey };
}

export interface StartGatewayOptions {
  readonly dataDir: string;
  readonly logger: Logger;
  /** Overrides the listen address in the settings (not saved). */
  readonly listen?: { readonly host: string; readonly port: number };
  readonly secretCodec?: SecretCodec;
}

export interface GatewayService {
  readonly context: HomegateContext;
  readonly address: AddressInfo;
  readonly tls: TlsMaterial;
  readonly sessions: SessionRegistry;
  /** Stops accepting, tells every client, waits (bounded) for tunnels to close, flushes the audit log. */
  stop(): Promise<void>;
}

/** The composition root: builds the whole gateway from a data directory. The CLI and the Electron app both call it. */
export async function startGateway(options: StartGatewayOptions): Promise<GatewayService> {
  const { logger, dataDir } = options;
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
  const policy = createPaaPolicy({ settings: () => settings.get(), signingKey: context.signingKey });
  const tunnels = new Set<TunnelHandle>();

  const server = new GatewayServer({
    tls,
    logger,
    onGatewayRequest: (request) => handleGatewayRequest(request),
    onHttpRequest: (request, response) => handleHttpRequest(request, response),
  });

  function handleGatewayRequest({ head, socket, rest, remoteAddress }: GatewayRequest): void {
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
    if (!wantsWebSocket) {
      // The legacy two-channel transport is not served yet; 501 tells clients to use the WebSocket one.
      return reject('501 Not Implemented');
    }
    const key = head.headers.get('sec-websocket-key');
    if (head.headers.get('sec-websocket-version') !== '13' || !isAcceptableWebSocketKey(key)) {
      return reject('400 Bad Request');
    }
    socket.write(switchingProtocolsResponse(key));
    const transport = new WebSocketTransport(socket, rest, remoteAddress);
    const tunnel = runTunnel(transport, { policy, sessions, audit, logger });
    tunnels.add(tunnel);
    void tunnel.done.then(() => tunnels.delete(tunnel));
    socket.resume();
  }

  function handleHttpRequest(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === '/jet/health') {
      sendJson(response, 200, { status: 'ok', gatewayId: settings.get().gatewayId });
      return;
    }
    sendJson(response, 404, { error: 'not-found', message: `no route for ${request.method ?? ''} ${path ?? ''}` });
  }

  const listen = options.listen ?? settings.get().listen;
  let address: AddressInfo;
  try {
    address = await server.listen(listen.host, listen.port);
  } catch (error) {
    sessions.close();
    await audit.close();
    throw error;
  }
  settings.watch();
  logger.info('gateway listening', { host: address.address, port: address.port, fingerprint: tls.fingerprintSha256 });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await server.stopAccepting();
      server.destroyPending();
      for (const tunnel of tunnels) tunnel.terminate('shutdown');
      await Promise.race([
        Promise.all([...tunnels].map((tunnel) => tunnel.done)),
        new Promise((resolve) => setTimeout(resolve, SHUTDOWN_DRAIN_TIMEOUT_MS).unref()),
      ]);
      if (tunnels.size > 0) logger.warn('tunnels still open after the drain timeout', { open: tunnels.size });
      sessions.close();
      settings.close();
      await audit.close();
      logger.info('gateway stopped');
    })();
    return stopping;
  };

  return { context, address, tls, sessions, stop };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  response.end(text);
}
