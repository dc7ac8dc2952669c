/**
 * One request through Node's own HTTPS client, verifying the server's certificate against a given CA, with the whole
 * reply buffered and the exchange bounded in time. For requests Node cannot send (custom methods, oversize heads),
 * use raw-https.ts.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { within } from './wait.ts';

const DEFAULT_TIMEOUT_MS = 10_000;

export interface HttpsReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface HttpsRequestOptions {
  readonly port: number;
  /** The CA the server's certificate must chain to. */
  readonly ca: string;
  readonly path: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** Where to connect (default 127.0.0.1). */
  readonly host?: string;
  /** The name the certificate is checked for (default 'localhost'). */
  readonly servername?: string;
  /** The loopback address to connect from. */
  readonly localAddress?: string;
  readonly timeoutMs?: number;
}

/** Sends one request (no agent, so no connection is reused) and resolves with the whole reply. */
export function httpsRequest(options: HttpsRequestOptions): Promise<HttpsReply> {
  const method = options.method ?? 'GET';
  const reply = new Promise<HttpsReply>((resolve, reject) => {
    const req = request(
      {
        host: options.host ?? '127.0.0.1',
        port: options.port,
        servername: options.servername ?? 'localhost',
        ca: options.ca,
        method,
        path: options.path,
        headers: { ...options.headers },
        ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
  return within(reply, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, `${method} ${options.path}`);
}
