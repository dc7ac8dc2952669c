/** The receiving half every bench stream shares: payload queued for `read()`, with backpressure on the socket. */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { BenchStream } from './transports.ts';

/** Received payload queued above which the socket stops being read (the reader is faster). */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

/** Payload bytes queued for `read()`, filled by a parser, pausing `source` when the reader falls behind. */
export abstract class QueuedStream implements BenchStream {
  abstract readonly tls: BenchStream['tls'];
  protected readonly timeoutMs: number;
  readonly #source: Socket;
  readonly #received: Buffer[] = [];
  #queued = 0;
  #wake: (() => void) | undefined;
  #ended: Error | undefined;

  constructor(source: Socket, timeoutMs: number) {
    this.#source = source;
    this.timeoutMs = timeoutMs;
    source.removeAllListeners('data');
    source.on('data', (chunk: Buffer) => {
      try {
        this.parse(chunk);
      } catch (error) {
        this.end(error as Error);
        source.destroy();
        return;
      }
      if (this.#queued > MAX_QUEUED_BYTES) source.pause();
      if (this.#received.length > 0) this.#wake?.();
    });
    source.on('error', (error) => this.end(error));
    source.on('close', () => this.end(new Error('the connection closed')));
    source.resume();
  }

  abstract write(data: Buffer, unchanging?: boolean): boolean;
  abstract destroy(): void;
  /** The socket whose write buffer `drain()` waits on. */
  protected abstract get sink(): Socket;
  protected abstract parse(chunk: Buffer): void;

  protected deliver(payload: Buffer): void {
    this.#received.push(payload);
    this.#queued += payload.length;
  }

  protected end(error: Error): void {
    this.#ended ??= error;
    this.#wake?.();
  }

  drain(): Promise<void> {
    const sink = this.sink;
    if (!sink.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sink.off('drain', onDrain);
        reject(new Error(`the socket did not drain within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const onDrain = (): void => {
        clearTimeout(timer);
        resolve();
      };
      sink.once('drain', onDrain);
    });
  }

  read(timeoutMs: number): Promise<Buffer> {
    const chunk = this.#take();
    if (chunk) return Promise.resolve(chunk);
    if (this.#ended) return Promise.reject(this.#ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        reject(new Error(`nothing received within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#wake = () => {
        const next = this.#take();
        if (!next && !this.#ended) return;
        clearTimeout(timer);
        this.#wake = undefined;
        if (next) resolve(next);
        else reject(this.#ended ?? new Error('the tunnel closed'));
      };
    });
  }

  #take(): Buffer | undefined {
    const chunk = this.#received.shift();
    if (chunk === undefined) return undefined;
    this.#queued -= chunk.length;
    if (this.#queued <= MAX_QUEUED_BYTES / 2 && this.#source.isPaused()) this.#source.resume();
    return chunk;
  }
}

export function describeTls(socket: TLSSocket): NonNullable<BenchStream['tls']> {
  return {
    protocol: socket.getProtocol() ?? '?',
    cipher: socket.getCipher().standardName,
    resumed: socket.isSessionReused(),
  };
}
