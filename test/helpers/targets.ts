/**
 * Loopback TCP targets for gateway tests: an echo server and a sink/source server. Both count accepted
 * connections (so a test can assert that nothing was dialled), hash what they receive, and can stop reading
 * (a slow RDP host) to exercise backpressure.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export const TARGET_TIMEOUT_MS = 5_000;

/** Deterministic-per-instance pseudo-random bytes with a running SHA-256 of everything handed out. */
export class PatternSource {
  // An odd length, so that chunk boundaries drift against the pattern and a dropped or repeated chunk shows.
  readonly #block = randomBytes(1024 * 1024 + 7);
  readonly #hash = createHash('sha256');
  #offset = 0;
  bytes = 0;

  /** The next `n` bytes of the stream (a view when it does not wrap, else one copy). */
  next(n: number): Buffer {
    let out: Buffer;
    if (this.#offset + n <= this.#block.length) {
      out = this.#block.subarray(this.#offset, this.#offset + n);
      this.#offset += n;
    } else {
      out = Buffer.allocUnsafe(n);
      let copied = 0;
      while (copied < n) {
        const take = Math.min(n - copied, this.#block.length - this.#offset);
        this.#block.copy(out, copied, this.#offset, this.#offset + take);
        copied += take;
        this.#offset = (this.#offset + take) % this.#block.length;
      }
    }
    this.#hash.update(out);
    this.bytes += n;
    return out;
  }

  /** SHA-256 (hex) of everything returned so far. */
  digest(): string {
    return this.#hash.copy().digest('hex');
  }
}

/** Result of a bounded flood: how much was written and whether the peer stopped taking bytes. */
export interface FloodProgress {
  readonly bytesWritten: number;
}

export interface Flood {
  /** Resolves when the socket's writes stop draining for `stallMs` (the peer pushes back). */
  readonly stalled: Promise<FloodProgress>;
  /** Resolves when `totalBytes` were written and flushed; rejects if that takes longer than `timeoutMs`. */
  readonly done: Promise<FloodProgress & { readonly digest: string }>;
}

/** One accepted connection on a target server. */
export class TargetConnection {
  readonly socket: Socket;
  /** Resolves on the first of 'end' / 'close' (the gateway closed its side). */
  readonly ended: Promise<'end' | 'close'>;
  readonly closed: Promise<void>;
  bytesReceived = 0;
  readonly #hash: Hash = createHash('sha256');
  readonly #waiters = new Set<() => void>();
  #paused = false;

  constructor(socket: Socket, mode: 'echo' | 'sink', pauseOnAccept: boolean) {
    this.socket = socket;
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    this.ended = new Promise((resolve) => {
      socket.once('end', () => resolve('end'));
      socket.once('close', () => resolve('close'));
    });
    socket.on('data', (chunk: Buffer) => {
      this.bytesReceived += chunk.length;
      this.#hash.update(chunk);
      if (mode === 'echo' && !socket.write(chunk)) {
        // Echo with backpressure: stop reading until the gateway has taken what we wrote back.
        socket.pause();
        socket.once('drain', () => {
          if (!this.#paused) socket.resume();
        });
      }
      this.#wake();
    });
    socket.on('close', () => this.#wake());
    if (pauseOnAccept) this.pauseReading();
  }

  /** SHA-256 (hex) of everything received so far. */
  digest(): string {
    return this.#hash.copy().digest('hex');
  }

  /** Stops reading: the kernel buffers fill and TCP pushes back on the gateway. */
  pauseReading(): void {
    this.#paused = true;
    this.socket.pause();
  }

  resumeReading(): void {
    this.#paused = false;
    this.socket.resume();
  }

  /** Waits until at least `n` bytes have been received in total. */
  waitForBytes(n: number, timeoutMs = TARGET_TIMEOUT_MS): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.bytesReceived >= n) finish();
        else if (this.socket.destroyed) finish(new Error(`target closed after ${this.bytesReceived} of ${n} bytes`));
      };
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(
        () => finish(new Error(`target received ${this.bytesReceived} of ${n} bytes within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#waiters.add(check);
      check();
    });
  }

  /**
   * Writes `totalBytes` of `source` as fast as the socket takes them, in `chunkBytes` pieces, honouring
   * backpressure. `stalled` resolves once a drain has not come for `stallMs` (or `totalBytes` went out without a
   * stall, which the test then treats as a failure to push back).
   */
  flood(
    source: PatternSource,
    options: { totalBytes: number; chunkBytes?: number; stallMs?: number; timeoutMs?: number },
  ): Flood {
    const chunkBytes = options.chunkBytes ?? 64 * 1024;
    const stallMs = options.stallMs ?? 300;
    const timeoutMs = options.timeoutMs ?? 20_000;
    const socket = this.socket;
    let written = 0;
    let reportStall: (progress: FloodProgress) => void = () => undefined;
    const stalled = new Promise<FloodProgress>((resolve) => (reportStall = resolve));
    const done = (async () => {
      const deadline = Date.now() + timeoutMs;
      while (written < options.totalBytes) {
        const n = Math.min(chunkBytes, options.totalBytes - written);
        written += n;
        if (socket.write(source.next(n))) continue;
        const stallTimer = setTimeout(() => reportStall({ bytesWritten: written }), stallMs);
        try {
          await waitForDrain(socket, deadline - Date.now());
        } finally {
          clearTimeout(stallTimer);
        }
      }
      reportStall({ bytesWritten: written });
      return { bytesWritten: written, digest: source.digest() };
    })();
    return { stalled, done };
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

export interface TargetServerOptions {
  /** 'echo' writes back what it reads; 'sink' only records it. */
  readonly mode: 'echo' | 'sink';
  /** Connections start paused (never read until `resumeReading`). */
  readonly pauseOnAccept?: boolean;
}

/** A loopback TCP server standing in for an RDP host. */
export class TargetServer {
  readonly port: number;
  readonly connections: TargetConnection[] = [];
  readonly #server: Server;
  readonly #waiters = new Set<() => void>();

  private constructor(server: Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  static async start(options: TargetServerOptions): Promise<TargetServer> {
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const target = new TargetServer(server, (server.address() as AddressInfo).port);
    server.on('connection', (socket) => {
      target.connections.push(new TargetConnection(socket, options.mode, options.pauseOnAccept ?? false));
      for (const waiter of [...target.#waiters]) waiter();
    });
    return target;
  }

  /** How many connections were accepted (0 means the gateway dialled nothing). */
  get acceptCount(): number {
    return this.connections.length;
  }

  /** The `index`-th accepted connection (0-based), waiting for it if needed. */
  connection(index = 0, timeoutMs = TARGET_TIMEOUT_MS): Promise<TargetConnection> {
    return new Promise<TargetConnection>((resolve, reject) => {
      const check = (): void => {
        const connection = this.connections[index];
        if (connection) finish(connection);
      };
      const finish = (connection?: TargetConnection): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        if (connection) resolve(connection);
        else reject(new Error(`connection #${index} not accepted within ${timeoutMs} ms`));
      };
      const timer = setTimeout(() => finish(), timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** Closes the listener and every connection. */
  async close(): Promise<void> {
    for (const connection of this.connections) connection.socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** A port on 127.0.0.1 where nothing listens (bound, then released). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function waitForDrain(socket: Socket, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = (): void => finish();
    const onClose = (): void => finish(new Error('the socket closed while waiting for drain'));
    const timer = setTimeout(() => finish(new Error(`no drain within ${timeoutMs} ms`)), Math.max(0, timeoutMs));
    socket.once('drain', onDrain);
    socket.once('close', onClose);
  });
}
