import { lookup } from 'node:dns/promises';
import { connect, isIP, type OnReadOpts, type Socket } from 'node:net';
import { DialError } from './errors.ts';

/** The dialler's failure, with the relay's other errors in errors.ts. */
export { DialError, type DialFailure } from './errors.ts';

/** How long the gateway waits for a target to accept a TCP connection (rdpgw uses 15 s; RDP clients give up sooner). */
export const DIAL_TIMEOUT_MS = 10_000;

export interface DialOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Reads into the caller's buffers (`net.connect`'s `onread`) instead of emitting 'data'. The socket then comes
   * back paused, so nothing is read before its owner is ready: reading starts with `resume()`.
   */
  onread?: OnReadOpts;
}

/**
 * Opens a TCP connection to an allowed target. The name is resolved once and the resolved address is what gets
 * dialled, so a DNS answer cannot change between the policy check and the connection (no rebinding).
 * The socket comes back with Nagle off: RDP input is small packets and a gateway must not add 40–200 ms to each.
 */
export async function dialTarget(host: string, port: number, options: DialOptions = {}): Promise<Socket> {
  const timeoutMs = options.timeoutMs ?? DIAL_TIMEOUT_MS;
  let address = host;
  if (isIP(host) === 0) {
    try {
      ({ address } = await lookup(host));
    } catch (error) {
      throw new DialError('resolve-failed', `cannot resolve ${host}: ${(error as NodeJS.ErrnoException).code ?? ''}`);
    }
  }
  options.signal?.throwIfAborted();

  return new Promise<Socket>((resolve, reject) => {
    const socket = connect({
      host: address,
      port,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: 30_000,
      ...(options.onread ? { onread: options.onread } : {}),
    });
    if (options.onread) socket.pause();
    const fail = (error: DialError): void => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onAbort = (): void => fail(new DialError('error', `dial to ${host}:${port} was cancelled`));
    const timer = setTimeout(
      () => fail(new DialError('timeout', `${host}:${port} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onError = (error: NodeJS.ErrnoException): void => fail(classify(error, host, port));
    const onConnect = (): void => {
      cleanup();
      resolve(socket);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.off('connect', onConnect);
      options.signal?.removeEventListener('abort', onAbort);
    };
    socket.once('error', onError);
    socket.once('connect', onConnect);
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function classify(error: NodeJS.ErrnoException, host: string, port: number): DialError {
  const where = `${host}:${port}`;
  switch (error.code) {
    case 'ECONNREFUSED':
      return new DialError('refused', `${where} refused the connection`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new DialError('unreachable', `${where} is unreachable`);
    default:
      return new DialError('error', `cannot connect to ${where}: ${error.code ?? error.message}`);
  }
}
