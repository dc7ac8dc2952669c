/**
 * The HTTP side of the WebSocket transport, the twin of `LegacyHttpRouter`: answers an `RDG_OUT_DATA` that asks to
 * upgrade to a WebSocket with `101 Switching Protocols` and hands the connection, as one `WebSocketTransport`, to the
 * caller's tunnel starter. Which requests come here is `isWebSocketUpgrade`'s call (`routeGatewayRequest`).
 */
import type { Logger } from '../../logging/logger.ts';
import { WebSocketTransport, isAcceptableWebSocketKey, switchingProtocolsResponse } from '../transport/websocket.ts';
import { tunnelRequestInfo, type TunnelRequestInfo } from './connection-id.ts';
import type { GatewayRequest } from './gateway-server.ts';
import type { LegacyHttpRouter } from './legacy-router.ts';
import { headerHasToken, type RequestHead } from './request-head.ts';

/** The one path MS-TSGU clients ask for, whichever transport they use. */
export const GATEWAY_PATH = '/remotedesktopgateway/';

export interface WebSocketRouterOptions {
  readonly logger: Logger;
  /** Runs a tunnel over the upgraded connection; the returned promise settles when the tunnel has ended. */
  readonly startTunnel: (transport: WebSocketTransport, info: TunnelRequestInfo) => Promise<void>;
}

/** The one subprotocol answered: the macOS and iOS client offers `binary` (rdpgw notes it); others offer none. */
const BINARY_SUBPROTOCOL = 'binary';

/** True for an `RDG_OUT_DATA` with `Connection: Upgrade` and `Upgrade: websocket`. */
export function isWebSocketUpgrade(head: RequestHead): boolean {
  return (
    head.method === 'RDG_OUT_DATA' &&
    headerHasToken(head.headers.get('connection'), 'upgrade') &&
    head.headers.get('upgrade')?.toLowerCase() === 'websocket'
  );
}

export class WebSocketRouter {
  readonly #logger: Logger;
  readonly #startTunnel: (transport: WebSocketTransport, info: TunnelRequestInfo) => Promise<void>;

  constructor(options: WebSocketRouterOptions) {
    this.#logger = options.logger;
    this.#startTunnel = options.startTunnel;
  }

  /** Handles a WebSocket upgrade request (RFC 6455 §4.2): version 13 and a usable key, else 400. Owns the socket. */
  handle(request: GatewayRequest): void {
    const { head, socket, rest, remoteAddress } = request;
    const key = head.headers.get('sec-websocket-key');
    if (head.headers.get('sec-websocket-version') !== '13' || !isAcceptableWebSocketKey(key)) {
      return refuseGatewayRequest(this.#logger, request, '400 Bad Request');
    }
    // Subprotocol tokens are case-sensitive (RFC 6455 §4.1); a client offering only others gets none back.
    const offered = head.headers.get('sec-websocket-protocol')?.split(',') ?? [];
    const protocol = offered.some((token) => token.trim() === BINARY_SUBPROTOCOL) ? BINARY_SUBPROTOCOL : undefined;
    socket.write(switchingProtocolsResponse(key, protocol));
    void this.#startTunnel(new WebSocketTransport(socket, rest, remoteAddress), tunnelRequestInfo(head.headers));
    socket.resume();
  }
}

/** Sends each MS-TSGU request to its transport's router: the gateway path only, WebSocket upgrades or legacy HTTP. */
export function routeGatewayRequest(
  request: GatewayRequest,
  routers: { readonly websocket: WebSocketRouter; readonly legacy: LegacyHttpRouter; readonly logger: Logger },
): void {
  const { head } = request;
  if (head.target.toLowerCase().split('?')[0] !== GATEWAY_PATH) {
    return refuseGatewayRequest(routers.logger, request, '404 Not Found');
  }
  if (isWebSocketUpgrade(head)) return routers.websocket.handle(request);
  routers.legacy.handle(request);
}

function refuseGatewayRequest(logger: Logger, request: GatewayRequest, status: string): void {
  const { head, socket, remoteAddress } = request;
  logger.info('gateway request refused', { client: remoteAddress, method: head.method, target: head.target, status });
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
