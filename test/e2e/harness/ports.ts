/** TCP ports on loopback: pick a free one, and wait until a server accepts connections on one. */
import { createConnection, createServer, type Server } from 'node:net';
import { pollUntil } from './waits.ts';

export const LOOPBACK = '127.0.0.1';

/**
 * A port that was free a moment ago: listen on port 0, read the port the kernel chose, close.
 * Another process can take it before the caller binds it, so callers that hand the port to a child
 * process should retry on a bind failure (startShadowServer does).
 */
export async function freePort(host: string = LOOPBACK): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string')
    throw new Error(`freePort: unexpected address ${String(address)}`);
  return address.port;
}

/** One connection attempt: `true` if a TCP connection was established within `timeoutMs` (then closed). */
export async function canConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = createConnection({ host, port });
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

export interface WaitForPortOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Checked before each attempt; a string stops the wait (for example "server exited with code 1"). */
  readonly abortIf?: () => string | undefined;
}

/** Waits until `host:port` accepts TCP connections; bounded by `timeoutMs`. */
export async function waitForTcpPort(host: string, port: number, options: WaitForPortOptions): Promise<void> {
  const intervalMs = options.intervalMs ?? 50;
  await pollUntil(async () => ((await canConnect(host, port, 1_000)) ? true : undefined), {
    timeoutMs: options.timeoutMs,
    intervalMs,
    what: `TCP ${host}:${port} accepting connections`,
    abortIf: options.abortIf,
  });
}

/** A TCP listener standing in for a target that must never be dialled: it counts every connection. */
export async function countingListener(): Promise<{
  port: number;
  accepted: () => number;
  close: () => Promise<void>;
}> {
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { port, accepted: () => accepted, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
