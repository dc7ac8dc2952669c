/**
 * One raw HTTP/1.1 exchange over TLS, for requests Node's HTTP client cannot send (custom methods, oversize
 * heads): writes the bytes as given and reads until the server closes the connection.
 */
import { connect as tlsConnect } from 'node:tls';
import { within } from './wait.ts';

export interface RawResponse {
  readonly status: number;
  /** The status line's reason phrase. */
  readonly reason: string;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
  /** The negotiated ALPN protocol, or false. */
  readonly alpnProtocol: string | false | null;
}

export interface RawHttpsOptions {
  readonly host: string;
  readonly port: number;
  readonly ca?: string;
  readonly servername?: string;
  readonly ALPNProtocols?: string[];
  readonly timeoutMs?: number;
}

/** Sends `request` and resolves once the server has answered and closed the connection (bounded in time). */
export async function rawHttpsExchange(options: RawHttpsOptions, request: string | Buffer): Promise<RawResponse> {
  const socket = tlsConnect({
    host: options.host,
    port: options.port,
    servername: options.servername ?? 'localhost',
    ALPNProtocols: options.ALPNProtocols ?? ['http/1.1'],
    ...(options.ca === undefined ? { rejectUnauthorized: false } : { ca: options.ca }),
  });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    socket.once('close', () => resolve());
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // The server may close while a long request is still being written; its answer is already read.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve();
      else reject(error);
    });
  });
  try {
    await within(
      new Promise<void>((resolve) => socket.once('secureConnect', () => resolve())),
      options.timeoutMs ?? 5_000,
      'TLS handshake',
    );
    const alpnProtocol = socket.alpnProtocol;
    socket.write(request);
    await within(ended, options.timeoutMs ?? 5_000, 'the server closing the connection');
    return { ...parseResponse(Buffer.concat(chunks)), alpnProtocol };
  } finally {
    socket.destroy();
  }
}

function parseResponse(bytes: Buffer): Omit<RawResponse, 'alpnProtocol'> {
  const end = bytes.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`no complete response head in ${JSON.stringify(bytes.toString('latin1'))}`);
  const lines = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0] ?? '');
  if (!match) throw new Error(`malformed status line ${JSON.stringify(lines[0])}`);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(match[1]), reason: match[2] ?? '', headers, body: bytes.subarray(end + 4) };
}
