import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createServer as createTlsServer, type SecureContextOptions, type TLSSocket } from 'node:tls';
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
  readonly socket: TLSSocket;
  /** Bytes that arrived after the head (the start of a WebSocket stream or a chunked body). */
  readonly rest: Buffer;
  readonly remoteAddress: string;
}

export interface GatewayServerOptions {
  tls: TlsMaterialInput;
  logger: Logger;
  /** Handles `RDG_OUT_DATA` / `RDG_IN_DATA` requests; owns the socket from then on. */
  readonly onGatewayRequest: (request: GatewayRequest) => void;
  /** Handles every other request, through Node's own HTTP parser. */
  readonly onHttpRequest: (request: IncomingMessage, response: ServerResponse) => void;
}

/**
 * The HTTPS front door. TLS is terminated here; each connection's first request head is read by our own parser
 * so that the custom MS-TSGU methods reach the tunnel code, while ordinary requests are replayed into Node's HTTP
 * server (which would reject the custom methods with HPE_INVALID_METHOD).
 */
export class GatewayServer {
  readonly #tls;
  readonly #http;
  readonly #options: GatewayServerOptions;
  readonly #sockets = new Set<Socket>();
  #accepting = true;

  constructor(options: GatewayServerOptions) {
    this.#options = options;
    this.#http = createHttpServer(
      { requestTimeout: 30_000, headersTimeout: REQUEST_HEAD_TIMEOUT_MS, maxHeaderSize: 16 * 1024 },
      options.onHttpRequest,
    );
    this.#tls = createTlsServer({
      ...secureContextOptions(options.tls),
      // HTTP/1.1 only: MS-TSGU has no HTTP/2 mapping, and clients that negotiate h2 would break.
      ALPNProtocols: ['http/1.1'],
      handshakeTimeout: REQUEST_HEAD_TIMEOUT_MS,
    });
    this.#tls.maxConnections = MAX_CONNECTIONS;
    this.#tls.on('secureConnection', (socket) => this.#accept(socket));
    this.#tls.on('tlsClientError', (error, socket) => {
      options.logger.debug('TLS handshake failed', { client: socket.remoteAddress, error });
    });
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#tls.once('error', reject);
      this.#tls.listen(port, host, () => {
        this.#tls.off('error', reject);
        resolve(this.#tls.address() as AddressInfo);
      });
    });
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
    this.#http.closeIdleConnections();
    return Promise.resolve();
  }

  /** Destroys every connection that has not become a tunnel (pending heads, HTTP keep-alive). */
  destroyPending(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#http.closeAllConnections();
  }

  #accept(socket: TLSSocket): void {
    // A TCP connection accepted before the stop can finish its TLS handshake after it; serving it then would start
    // a tunnel behind the shutdown's back (after the drain, with the audit log closed).
    if (!this.#accepting) {
      socket.destroy();
      return;
    }
    const remoteAddress = socket.remoteAddress ?? 'unknown';
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.setTimeout(REQUEST_HEAD_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => undefined);

    let buffered: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      let end: number;
      let head: RequestHead;
      try {
        end = findHeadEnd(buffered);
        if (end === -1) return;
        head = parseRequestHead(buffered.subarray(0, end));
      } catch (error) {
        socket.off('data', onData);
        const status = error instanceof RequestHeadError ? error.status : 400;
        this.#options.logger.info('bad request head', { client: remoteAddress, status, error });
        socket.end(
          `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
            'Connection: close\r\nContent-Length: 0\r\n\r\n',
        );
        return;
      }
      socket.off('data', onData);
      socket.pause();
      socket.setTimeout(0);
      if (head.method.startsWith('RDG_')) {
        this.#sockets.delete(socket);
        this.#options.onGatewayRequest({ head, socket, rest: buffered.subarray(end), remoteAddress });
      } else {
        // Node's parser re-reads the whole request, head included, from the socket.
        socket.unshift(buffered);
        this.#http.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
  }
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
