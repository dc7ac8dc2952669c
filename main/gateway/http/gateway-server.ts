import { STATUS_CODES, createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type SecureContextOptions } from 'node:tls';
import { normalizeIpAddress } from '../../../shared/model/ip-address.ts';
import type { Logger } from '../../logging/logger.ts';
import { RequestHeadError, findHeadEnd, parseRequestHead, type RequestHead } from './request-head.ts';

/** A client must finish its TLS handshake and send a request head within this time. */
export const REQUEST_HEAD_TIMEOUT_MS = 10_000;
/** Connections held before the listener stops accepting; protects the process, not a per-user quota. */
export const MAX_CONNECTIONS = 4096;

export interface TlsMaterialInput {
  readonly chainPem: string;
  readonly keyPem: string;
}

/** A request that uses one of MS-TSGU's custom methods, with the socket and any bytes read past its head. */
export interface GatewayRequest {
  readonly head: RequestHead;
  /** A TLS socket, or a plain one on the listener behind a TLS-terminating proxy. */
  readonly socket: Socket;
  /** Bytes that arrived after the head (the start of a WebSocket stream or a chunked body). */
  readonly rest: Buffer;
  /** The client: the TCP peer, or the address trusted proxies forwarded (see `clientAddress`). Canonical form. */
  readonly remoteAddress: string;
  /** The TCP peer, canonical (IPv4-mapped IPv6 folded into IPv4). */
  readonly peerAddress: string;
  /**
   * Keep-alive: the handler has written its complete answer and the connection stays open, so the next request
   * head is read from it (starting with `rest`) and dispatched like a new connection's first one.
   */
  readNext(): void;
}

/** Which address a request comes from, given its TCP peer and its headers (names lower-cased). */
export type ClientAddressResolver = (peerAddress: string, headers: ReadonlyMap<string, string>) => string;

export interface GatewayServerOptions {
  tls: TlsMaterialInput;
  logger: Logger;
  /** Handles `RDG_OUT_DATA` / `RDG_IN_DATA` requests; owns the socket from then on. */
  readonly onGatewayRequest: (request: GatewayRequest) => void;
  /** Handles every other request, through Node's own HTTP parser. */
  readonly onHttpRequest: (request: IncomingMessage, response: ServerResponse) => void;
  /**
   * Handles standard upgrade requests (a GET with `Upgrade: websocket`, parsed by Node) and owns the socket from then
   * on; without it Node's default applies. The MS-TSGU upgrade (RDG_OUT_DATA) never comes here.
   */
  readonly onHttpUpgrade?: (request: IncomingMessage, socket: Socket, head: Buffer) => void;
  /** Resolves `GatewayRequest.remoteAddress`; the TCP peer when absent. */
  readonly clientAddress?: ClientAddressResolver;
  /** How long a client may take over its TLS handshake; `REQUEST_HEAD_TIMEOUT_MS` when absent. */
  readonly handshakeTimeoutMs?: number;
}

/**
 * The HTTPS front door. TLS is terminated here; each connection's first request head is read by our own parser
 * so that the custom MS-TSGU methods reach the tunnel code, while ordinary requests are replayed into Node's HTTP
 * server (which would reject the custom methods with HPE_INVALID_METHOD).
 *
 * Optionally a second, plain-HTTP listener serves the same routes for a TLS-terminating reverse proxy in front;
 * both listeners share the request-head dispatch below.
 */
export class GatewayServer {
  readonly #tls;
  readonly #http;
  #plain: NetServer | undefined;
  readonly #options: GatewayServerOptions;
  readonly #sockets = new Set<Socket>();
  #accepting = true;

  constructor(options: GatewayServerOptions) {
    this.#options = options;
    this.#http = createHttpServer(
      { requestTimeout: 30_000, headersTimeout: REQUEST_HEAD_TIMEOUT_MS, maxHeaderSize: 16 * 1024 },
      options.onHttpRequest,
    );
    const onUpgrade = options.onHttpUpgrade;
    if (onUpgrade)
      this.#http.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) =>
        onUpgrade(request, socket, head),
      );
    this.#tls = createTlsServer({
      ...secureContextOptions(options.tls),
      // HTTP/1.1 only: MS-TSGU has no HTTP/2 mapping, and clients that negotiate h2 would break.
      ALPNProtocols: ['http/1.1'],
      handshakeTimeout: options.handshakeTimeoutMs ?? REQUEST_HEAD_TIMEOUT_MS,
      // RDP input and screen updates are small and latency-bound: no Nagle delay on top of the client's delayed
      // ACK, on either transport.
      noDelay: true,
    });
    this.#tls.maxConnections = MAX_CONNECTIONS;
    this.#tls.on('secureConnection', (socket) => this.#accept(socket));
    // A plain tls.Server only reports a failed or timed-out handshake (https.Server is what destroys the socket):
    // left open, a client that never finishes its handshake would hold a connection slot for ever.
    this.#tls.on('tlsClientError', (error, socket) => {
      socket.destroy();
      options.logger.debug('TLS handshake failed', { client: socket.remoteAddress, error });
    });
  }

  /** Starts the HTTPS listener. */
  listen(host: string, port: number): Promise<AddressInfo> {
    return listenOn(this.#tls, host, port);
  }

  /**
   * Starts the plain-HTTP listener, for a TLS-terminating reverse proxy only: anything on the path between it and
   * the proxy can read and change the tunnel.
   */
  listenPlain(host: string, port: number): Promise<AddressInfo> {
    if (this.#plain) return Promise.reject(new Error('the plain-HTTP listener is already started'));
    const plain = createNetServer({ allowHalfOpen: false });
    plain.maxConnections = MAX_CONNECTIONS;
    plain.on('connection', (socket) => this.#accept(socket));
    this.#plain = plain;
    return listenOn(plain, host, port);
  }

  /** Serves new handshakes with new key material; connections already open keep theirs. */
  setTlsMaterial(material: TlsMaterialInput): void {
    this.#tls.setSecureContext(secureContextOptions(material));
  }

  /** Stops accepting connections. Connections already handed to tunnels are their owners' to close. */
  stopAccepting(): Promise<void> {
    // close() shuts the listening socket at once, but its callback only runs after every open connection has
    // ended — tunnels included, which the caller terminates only after this resolves. So do not wait for it.
    this.#accepting = false;
    if (this.#tls.listening) this.#tls.close();
    if (this.#plain?.listening) this.#plain.close();
    this.#http.closeIdleConnections();
    return Promise.resolve();
  }

  /** Destroys every connection that has not become a tunnel (pending heads, HTTP keep-alive). */
  destroyPending(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#http.closeAllConnections();
  }

  #accept(socket: Socket): void {
    // A TCP connection accepted before the stop can finish its TLS handshake after it; serving it then would start
    // a tunnel behind the shutdown's back (after the drain, with the audit log closed).
    if (!this.#accepting) {
      socket.destroy();
      return;
    }
    const peerAddress = normalizeIpAddress(socket.remoteAddress ?? '') ?? socket.remoteAddress ?? 'unknown';
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    this.#readHead(socket, peerAddress, Buffer.alloc(0));
  }

  /** Reads one request head from `socket` (starting with `buffered`) and dispatches it. */
  #readHead(socket: Socket, peerAddress: string, buffered: Buffer): void {
    this.#sockets.add(socket);
    socket.setTimeout(REQUEST_HEAD_TIMEOUT_MS, () => socket.destroy());

    let finished = false;
    const tryDispatch = (): void => {
      let end: number;
      let head: RequestHead;
      try {
        end = findHeadEnd(buffered);
        if (end === -1) return;
        head = parseRequestHead(buffered.subarray(0, end));
      } catch (error) {
        finished = true;
        socket.off('data', onData);
        const status = error instanceof RequestHeadError ? error.status : 400;
        this.#options.logger.info('bad request head', { client: peerAddress, status, error });
        socket.end(
          `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}\r\n` +
            'Connection: close\r\nContent-Length: 0\r\n\r\n',
        );
        return;
      }
      finished = true;
      socket.off('data', onData);
      socket.pause();
      socket.setTimeout(0);
      if (head.method.startsWith('RDG_')) {
        this.#sockets.delete(socket);
        const rest = buffered.subarray(end);
        this.#options.onGatewayRequest({
          head,
          socket,
          rest,
          remoteAddress: this.#options.clientAddress?.(peerAddress, head.headers) ?? peerAddress,
          peerAddress,
          readNext: () => {
            if (!socket.destroyed) this.#readHead(socket, peerAddress, rest);
          },
        });
      } else {
        // Node's parser re-reads the whole request, head included, from the socket.
        socket.unshift(buffered);
        this.#http.emit('connection', socket);
        socket.resume();
      }
    };
    const onData = (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      tryDispatch();
    };
    socket.on('data', onData);
    if (buffered.length > 0) tryDispatch();
    // After keep-alive the socket was left paused by the previous dispatch; a new one flows already.
    if (!finished) socket.resume();
  }
}

function listenOn(server: NetServer, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function secureContextOptions(material: TlsMaterialInput): SecureContextOptions {
  return {
    cert: material.chainPem,
    key: material.keyPem,
    minVersion: 'TLSv1.2',
    // Forward-secret AEAD suites only; MSTSC accepts these and refuses weaker ones behind proxies anyway.
    ciphers: [
      'TLS_AES_128_GCM_SHA256',
      'TLS_AES_256_GCM_SHA384',
      'TLS_CHACHA20_POLY1305_SHA256',
      'ECDHE-ECDSA-AES128-GCM-SHA256',
      'ECDHE-RSA-AES128-GCM-SHA256',
      'ECDHE-ECDSA-AES256-GCM-SHA384',
      'ECDHE-RSA-AES256-GCM-SHA384',
      'ECDHE-ECDSA-CHACHA20-POLY1305',
      'ECDHE-RSA-CHACHA20-POLY1305',
    ].join(':'),
    honorCipherOrder: true,
  };
}
