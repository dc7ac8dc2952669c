import { STATUS_CODES, createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type SecureContextOptions, type TLSSocket } from 'node:tls';
import { normalizeIpAddress } from '../../net/ip-address.ts';
import type { Logger } from '../../logging/logger.ts';
import { PendingLimiter } from '../../util/pending-limiter.ts';
import { RequestHeadError, findHeadEnd, parseRequestHead, type RequestHead } from './request-head.ts';

/**
 * The front door's limits, read for each new connection (the settings' `limits`; see main/config/schema.ts). Every
 * deadline runs from TCP accept and is absolute: bytes trickling in do not extend it.
 */
export interface GatewayLimits {
  readonly tlsHandshakeSeconds: number;
  /** To a complete first request head; a later head on a kept-alive connection gets this long afresh. */
  readonly requestHeadSeconds: number;
  readonly maxConnections: number;
  /** Connections still in their handshake or first request head, in all and per address (/64 for IPv6). */
  readonly maxPendingConnections: number;
  readonly maxPendingConnectionsPerAddress: number;
}

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

/** Told about connections that fail before their first request (the connection doctor listens). */
export interface ConnectionObserver {
  /** A TLS handshake failed: `error.code` names a client's alert, plain HTTP, a timeout, a reset. */
  tlsError(socket: TLSSocket, error: Error, client: string): void;
  /** A connection ended before its first request head was complete: the client closed it, or a deadline passed. */
  noRequest(socket: Socket, info: { readonly timedOut: boolean; readonly bufferedBytes: number }): void;
  /** A TLS connection was closed because its handshake did not finish in time (`client`: the TCP peer). */
  handshakeTimedOut(client: string): void;
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
  /** Read at every accept, so a settings change applies to the next connection. */
  readonly limits: () => GatewayLimits;
  readonly observer?: ConnectionObserver;
}

/** A connection accepted but not yet past its first request head: its place and its deadlines. */
interface Admission {
  /** The TCP socket (under TLS, the raw one). */
  readonly socket: Socket;
  /** Clears the deadlines and frees the place; safe to call twice. */
  readonly release: () => void;
  /** Clears the handshake deadline (the head deadline still runs). */
  readonly secured: () => void;
  /** True once a deadline destroyed the connection. */
  readonly expired: () => boolean;
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
  readonly #pending: PendingLimiter;
  /** TLS connections in their handshake, by peer address and port, until `secureConnection` claims them. */
  readonly #handshaking = new Map<string, Admission>();
  /** Connections open on both listeners, of every kind. */
  #open = 0;
  #accepting = true;

  constructor(options: GatewayServerOptions) {
    this.#options = options;
    this.#pending = new PendingLimiter(() => {
      const limits = options.limits();
      return { max: limits.maxPendingConnections, maxPerAddress: limits.maxPendingConnectionsPerAddress };
    });
    const headMs = options.limits().requestHeadSeconds * 1000;
    this.#http = createHttpServer(
      {
        requestTimeout: Math.max(30_000, headMs),
        // Later requests on a kept-alive connection are Node's to read: the same head deadline, checked every second.
        headersTimeout: headMs,
        connectionsCheckingInterval: 1_000,
        maxHeaderSize: 16 * 1024,
      },
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
      handshakeTimeout: options.limits().tlsHandshakeSeconds * 1000,
      // RDP input and screen updates are small and latency-bound: no Nagle delay on top of the client's delayed
      // ACK, on either transport.
      noDelay: true,
    });
    // Runs after tls.Server's own 'connection' listener has wrapped the socket; destroying it ends the TLS socket too.
    this.#tls.on('connection', (socket: Socket) => {
      const admission = this.#admit(socket, true);
      if (admission) this.#handshaking.set(peerKey(socket), admission);
    });
    this.#tls.on('secureConnection', (socket: Socket) => {
      const key = peerKey(socket);
      const admission = this.#handshaking.get(key);
      this.#handshaking.delete(key);
      if (!admission) {
        socket.destroy();
        return;
      }
      admission.secured();
      this.#accept(socket, admission);
    });
    // A plain tls.Server only reports a failed or timed-out handshake (https.Server is what destroys the socket):
    // left open, a client that never finishes its handshake would hold a connection slot for ever.
    this.#tls.on('tlsClientError', (error, socket) => {
      // Read before destroy(): a destroyed socket no longer knows its peer.
      const client = normalizeIpAddress(socket.remoteAddress ?? '') ?? 'unknown';
      socket.destroy();
      options.logger.debug('TLS handshake failed', { client, error });
      options.observer?.tlsError(socket, error, client);
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
    plain.on('connection', (socket) => {
      const admission = this.#admit(socket, false);
      if (admission) this.#accept(socket, admission);
    });
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

  /** Destroys every connection that has not become a tunnel (handshakes, pending heads, HTTP keep-alive). */
  destroyPending(): void {
    for (const admission of this.#handshaking.values()) admission.socket.destroy();
    for (const socket of this.#sockets) socket.destroy();
    this.#http.closeAllConnections();
  }

  /**
   * Counts a new TCP connection against the caps and starts its deadlines, or destroys it at once. A refusal is
   * logged at debug level only: under a flood a line per connection would flood the log itself.
   */
  #admit(socket: Socket, tls: boolean): Admission | undefined {
    socket.on('error', () => undefined);
    const limits = this.#options.limits();
    const client = socket.remoteAddress;
    if (!this.#accepting || client === undefined) {
      socket.destroy();
      return undefined;
    }
    const slot = this.#open < limits.maxConnections ? this.#pending.admit(client, () => socket.destroy()) : undefined;
    if (!slot) {
      this.#options.logger.debug('connection refused: too many connections', { client });
      socket.destroy();
      return undefined;
    }
    this.#open += 1;
    let expired = false;
    const expire = (): void => {
      expired = true;
      if (handshakeTimer !== undefined) this.#options.observer?.handshakeTimedOut(client);
      socket.destroy();
    };
    const headTimer = setTimeout(expire, limits.requestHeadSeconds * 1000).unref();
    let handshakeTimer = tls ? setTimeout(expire, limits.tlsHandshakeSeconds * 1000).unref() : undefined;
    const key = tls ? peerKey(socket) : undefined;
    const release = (): void => {
      clearTimeout(headTimer);
      clearTimeout(handshakeTimer);
      slot.release();
    };
    const admission: Admission = {
      socket,
      release,
      secured: () => {
        clearTimeout(handshakeTimer);
        handshakeTimer = undefined;
      },
      expired: () => expired,
    };
    socket.once('close', () => {
      this.#open -= 1;
      release();
      if (key !== undefined && this.#handshaking.get(key) === admission) this.#handshaking.delete(key);
    });
    return admission;
  }

  #accept(socket: Socket, admission: Admission): void {
    // A TCP connection accepted before the stop can finish its TLS handshake after it; serving it then would start
    // a tunnel behind the shutdown's back (after the drain, with the audit log closed).
    if (!this.#accepting) {
      socket.destroy();
      return;
    }
    const peerAddress = normalizeIpAddress(socket.remoteAddress ?? '') ?? socket.remoteAddress ?? 'unknown';
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    const observer = this.#options.observer;
    this.#readHead(
      socket,
      peerAddress,
      Buffer.alloc(0),
      admission.release,
      observer && ((bufferedBytes) => observer.noRequest(socket, { timedOut: admission.expired(), bufferedBytes })),
    );
  }

  /** Reads a later request head on a kept-alive connection, with a fresh deadline of its own. */
  #readNextHead(socket: Socket, peerAddress: string, buffered: Buffer): void {
    const timer = setTimeout(() => socket.destroy(), this.#options.limits().requestHeadSeconds * 1000).unref();
    socket.once('close', () => clearTimeout(timer));
    this.#readHead(socket, peerAddress, buffered, () => clearTimeout(timer));
  }

  /**
   * Reads one request head from `socket` (starting with `buffered`) and dispatches it; `headRead` ends the head's
   * deadline once it is complete (or refused). `endedEarly` hears of a close before that (a first head only).
   */
  #readHead(
    socket: Socket,
    peerAddress: string,
    buffered: Buffer,
    headRead: () => void,
    endedEarly?: (bufferedBytes: number) => void,
  ): void {
    this.#sockets.add(socket);
    const onClose = (): void => endedEarly?.(buffered.length);
    if (endedEarly) socket.once('close', onClose);

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
        socket.off('close', onClose);
        headRead();
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
      socket.off('close', onClose);
      socket.pause();
      headRead();
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
            if (!socket.destroyed) this.#readNextHead(socket, peerAddress, rest);
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

/** A live connection's peer, which its raw TCP socket and its TLS socket share. */
function peerKey(socket: Socket): string {
  return `${socket.remoteAddress ?? ''} ${socket.remotePort ?? ''}`;
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
