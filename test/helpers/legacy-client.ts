/**
 * A small MS-TSGU client over the legacy two-channel HTTP transport, for integration tests — a second
 * implementation of the client side, written from FreeRDP's observed behaviour (test/e2e/README.md, MS-TSGU 2.2.3):
 *
 *   OUT: `RDG_OUT_DATA` (Connection: Keep-Alive, no upgrade) → 200 without Content-Length, 10 seed bytes, packets
 *   IN:  `RDG_IN_DATA` with Content-Length: 0 → 200 + Content-Length: 0, then a second head on the same connection
 *        with Transfer-Encoding: chunked and one packet per chunk
 *
 * TLS or plain TCP (the listener behind a proxy). `secondInOnNewConnection` sends the chunked IN request on a new
 * connection, as a reverse proxy without upstream keep-alive does. Every wait is bounded.
 */
import { randomUUID } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  encodeDataHeader,
  type ChannelResponse,
  type HandshakeResponse,
  type KnownClientPacket,
  type TunnelAuthResponse,
  type TunnelResponse,
} from '../../main/gateway/tsgu/codec.ts';
import { decodeServerPacket, encodeClientPacket, encodePaaCookie, type ServerPacket } from './tsgu-codec.ts';
import {
  CHANNEL_PROTOCOL_RDP,
  ExtendedAuth,
  HResult,
  MAX_DATA_PAYLOAD_BYTES,
} from '../../main/gateway/tsgu/constants.ts';
import { PacketFramer } from '../../main/gateway/tsgu/framer.ts';
import { FREERDP_CLIENT_CAPS, readResponseHead, withHeaders } from './tsgu-client.ts';
import { within } from './wait.ts';

export const LEGACY_DEFAULT_TIMEOUT_MS = 5_000;
export const SEED_BYTES = 10;

export interface LegacyClientOptions {
  readonly host: string;
  readonly port: number;
  /** Plain TCP instead of TLS (the gateway's plain-HTTP listener). */
  readonly plain?: boolean;
  /** PEM of the CA to verify the gateway with; without it the certificate is not verified. */
  readonly ca?: string;
  readonly servername?: string;
  /** The loopback address to connect from (127.0.0.2 …), to be another client; default the system's choice. */
  readonly localAddress?: string;
  /** `{guid}` sent on both channels; default a fresh one. */
  readonly connectionId?: string;
  /** Overrides the IN channel's connection id (for mismatch tests). */
  readonly inConnectionId?: string;
  /** Extra header lines on every request (`X-Forwarded-For: ...`). */
  readonly extraHeaders?: readonly string[];
  /** Replaces FreeRDP's header of that name on every request; undefined leaves it out (`withHeaders`). */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  /** Extra header lines on the IN requests only. */
  readonly inExtraHeaders?: readonly string[];
  /** Send the chunked IN request on a new connection (as a proxy without upstream keep-alive does). */
  readonly secondInOnNewConnection?: boolean;
  readonly timeoutMs?: number;
}

export class LegacyStatusError extends Error {
  override readonly name = 'LegacyStatusError';
  constructor(
    readonly channel: 'out' | 'in',
    readonly status: number,
  ) {
    super(`the gateway answered ${channel.toUpperCase()} with ${status}`);
  }
}

/** Opens a connection to the gateway, TLS or plain. */
export async function openSocket(options: LegacyClientOptions): Promise<Socket> {
  const timeoutMs = options.timeoutMs ?? LEGACY_DEFAULT_TIMEOUT_MS;
  const from = options.localAddress === undefined ? {} : { localAddress: options.localAddress };
  const socket: Socket = options.plain
    ? netConnect({ host: options.host, port: options.port, ...from })
    : tlsConnect({
        host: options.host,
        port: options.port,
        ...from,
        servername: options.servername ?? 'localhost',
        ALPNProtocols: ['http/1.1'],
        ...(options.ca === undefined ? { rejectUnauthorized: false } : { ca: options.ca }),
      });
  socket.setNoDelay(true);
  try {
    await within(
      new Promise<void>((resolve, reject) => {
        socket.once(options.plain ? 'connect' : 'secureConnect', () => resolve());
        socket.once('error', reject);
      }),
      timeoutMs,
      'connecting to the gateway',
    );
  } catch (error) {
    socket.destroy();
    throw error;
  }
  return socket;
}

/** FreeRDP's request head for a legacy channel, header order as it emits them. */
export function legacyRequestHead(
  method: 'RDG_OUT_DATA' | 'RDG_IN_DATA',
  connectionId: string,
  options: {
    chunked?: boolean;
    extraHeaders?: readonly string[];
    host?: string;
    headers?: Readonly<Record<string, string | undefined>>;
  } = {},
): string {
  const lines = [
    `${method} /remoteDesktopGateway/ HTTP/1.1`,
    'Pragma: no-cache',
    'Connection: Keep-Alive',
    options.chunked ? 'Transfer-Encoding: chunked' : 'Content-Length: 0',
    `Host: ${options.host ?? 'localhost'}`,
    'Accept: */*',
    'Cache-Control: no-cache',
    'User-Agent: MS-RDGateway/1.0',
    `RDG-Connection-Id: ${connectionId}`,
    `RDG-Correlation-Id: {${randomUUID()}}`,
    'RDG-Auth-Scheme: PAA',
  ];
  return `${[...withHeaders(lines, options.headers), ...(options.extraHeaders ?? [])].join('\r\n')}\r\n\r\n`;
}

/** Reads exactly `n` bytes (after `initial`) from a paused socket; returns them and whatever came after. */
async function readExactly(
  socket: Socket,
  initial: Buffer,
  n: number,
  timeoutMs: number,
): Promise<{ bytes: Buffer; rest: Buffer }> {
  let buffered = initial;
  if (buffered.length < n) {
    await within(
      new Promise<void>((resolve, reject) => {
        const onData = (chunk: Buffer): void => {
          buffered = Buffer.concat([buffered, chunk]);
          if (buffered.length >= n) finish();
        };
        const onClose = (): void => finish(new Error(`connection closed after ${buffered.length} of ${n} bytes`));
        const finish = (error?: Error): void => {
          socket.off('data', onData);
          socket.off('close', onClose);
          socket.pause();
          if (error) reject(error);
          else resolve();
        };
        socket.on('data', onData);
        socket.once('close', onClose);
        socket.resume();
      }),
      timeoutMs,
      `reading ${n} bytes`,
    );
  }
  return { bytes: buffered.subarray(0, n), rest: buffered.subarray(n) };
}

/** Opens the OUT channel: request, 200, seed. Throws LegacyStatusError on another status. */
export async function openOutChannel(
  options: LegacyClientOptions,
  connectionId: string,
): Promise<{ socket: Socket; seed: Buffer; rest: Buffer; headers: ReadonlyMap<string, string> }> {
  const timeoutMs = options.timeoutMs ?? LEGACY_DEFAULT_TIMEOUT_MS;
  const socket = await openSocket(options);
  try {
    socket.write(
      legacyRequestHead('RDG_OUT_DATA', connectionId, {
        extraHeaders: options.extraHeaders,
        headers: options.headers,
      }),
    );
    const head = await readResponseHead(socket, timeoutMs);
    if (head.status !== 200) throw new LegacyStatusError('out', head.status);
    const { bytes: seed, rest } = await readExactly(socket, head.rest, SEED_BYTES, timeoutMs);
    return { socket, seed, rest, headers: head.headers };
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

/** Opens the IN channel as FreeRDP does: the first request, its 200, then the chunked request (never answered). */
export async function openInChannel(options: LegacyClientOptions, connectionId: string): Promise<Socket> {
  const timeoutMs = options.timeoutMs ?? LEGACY_DEFAULT_TIMEOUT_MS;
  const extraHeaders = [...(options.extraHeaders ?? []), ...(options.inExtraHeaders ?? [])];
  const first = await openSocket(options);
  try {
    first.write(legacyRequestHead('RDG_IN_DATA', connectionId, { extraHeaders, headers: options.headers }));
    const head = await readResponseHead(first, timeoutMs);
    if (head.status !== 200) throw new LegacyStatusError('in', head.status);
    if (head.headers.get('content-length') !== '0') throw new Error('the IN 200 lacks Content-Length: 0');
    let socket = first;
    if (options.secondInOnNewConnection) {
      first.destroy();
      socket = await openSocket(options);
    }
    socket.write(
      legacyRequestHead('RDG_IN_DATA', connectionId, { chunked: true, extraHeaders, headers: options.headers }),
    );
    return socket;
  } catch (error) {
    first.destroy();
    throw error;
  }
}

/** One packet as one HTTP chunk, as FreeRDP writes them. */
export function chunk(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16).toUpperCase()}\r\n`), bytes, Buffer.from('\r\n')]);
}

type Waiter = () => void;

export class LegacyTsguClient {
  readonly out: Socket;
  readonly in: Socket;
  readonly seed: Buffer;
  readonly connectionId: string;
  readonly timeoutMs: number;
  /** Resolves once the OUT connection is gone (the gateway closed the tunnel, or we did). */
  readonly outClosed: Promise<void>;
  readonly inClosed: Promise<void>;
  readonly #framer = new PacketFramer();
  readonly #packets: ServerPacket[] = [];
  readonly #data: Buffer[] = [];
  readonly #waiters = new Set<Waiter>();
  #outEnded = false;
  #channelOpen = false;
  #closeChannelReceived = false;
  readonly #raw: Buffer[] = [];
  dataBytesReceived = 0;

  private constructor(out: Socket, input: Socket, seed: Buffer, rest: Buffer, connectionId: string, timeoutMs: number) {
    this.out = out;
    this.in = input;
    this.seed = seed;
    this.connectionId = connectionId;
    this.timeoutMs = timeoutMs;
    out.on('error', () => undefined);
    input.on('error', () => undefined);
    this.outClosed = new Promise((resolve) => out.once('close', () => resolve()));
    this.inClosed = new Promise((resolve) => input.once('close', () => resolve()));
    out.once('close', () => {
      this.#outEnded = true;
      this.#wake();
    });
    out.on('data', (bytes: Buffer) => this.#receive(bytes));
    // The gateway never answers the chunked request; anything it writes on IN is a protocol breach.
    input.on('data', () => undefined);
    if (rest.length > 0) this.#receive(rest);
    out.resume();
    input.resume();
  }

  /** Opens both channels as FreeRDP does. Throws LegacyStatusError when a channel is refused. */
  static async connect(options: LegacyClientOptions): Promise<LegacyTsguClient> {
    const connectionId = options.connectionId ?? `{${randomUUID().toUpperCase()}}`;
    const out = await openOutChannel(options, connectionId);
    try {
      const input = await openInChannel(options, options.inConnectionId ?? connectionId);
      return new LegacyTsguClient(
        out.socket,
        input,
        out.seed,
        out.rest,
        connectionId,
        options.timeoutMs ?? LEGACY_DEFAULT_TIMEOUT_MS,
      );
    } catch (error) {
      out.socket.destroy();
      throw error;
    }
  }

  get channelOpen(): boolean {
    return this.#channelOpen;
  }

  /** Sends one packet as one chunk on IN. */
  sendPacket(packet: KnownClientPacket): boolean {
    return this.in.write(chunk(encodeClientPacket(packet)));
  }

  /** Writes bytes on IN as they are (no chunk framing), for split-chunk and malformed-body tests. */
  writeIn(bytes: Buffer | string): boolean {
    return this.in.write(bytes);
  }

  async handshake(): Promise<HandshakeResponse> {
    this.sendPacket({
      type: 'handshake-request',
      verMajor: 1,
      verMinor: 0,
      clientVersion: 0,
      extendedAuth: ExtendedAuth.PAA,
    });
    return this.expectPacket('handshake-response');
  }

  async createTunnel(token: string): Promise<TunnelResponse> {
    this.sendPacket({ type: 'tunnel-create', capsFlags: FREERDP_CLIENT_CAPS, paaCookie: encodePaaCookie(token) });
    return this.expectPacket('tunnel-response');
  }

  async authorizeTunnel(clientName: string): Promise<TunnelAuthResponse> {
    this.sendPacket({ type: 'tunnel-auth', clientName });
    return this.expectPacket('tunnel-auth-response');
  }

  async createChannel(names: readonly string[], port: number): Promise<ChannelResponse> {
    this.sendPacket({
      type: 'channel-create',
      resources: names,
      altResources: [],
      port,
      protocol: CHANNEL_PROTOCOL_RDP,
    });
    return this.expectPacket('channel-response');
  }

  /** CLOSE_CHANNEL → the gateway's CLOSE_CHANNEL_RESPONSE status. */
  async closeChannel(): Promise<number> {
    this.sendPacket({ type: 'close-channel', statusCode: HResult.S_OK });
    return (await this.expectPacket('close-channel-response')).statusCode;
  }

  /** `payload` as DATA packets of at most 65535 bytes, one chunk each. Returns IN's write result. */
  sendData(payload: Buffer): boolean {
    let writable = true;
    for (let offset = 0; offset < payload.length; offset += MAX_DATA_PAYLOAD_BYTES) {
      const slice = payload.subarray(offset, offset + MAX_DATA_PAYLOAD_BYTES);
      writable = this.in.write(chunk(Buffer.concat([encodeDataHeader(slice.length), slice])));
    }
    return writable;
  }

  /** `sendData`, waiting for IN to drain whenever it asks to. */
  async writeData(payload: Buffer): Promise<void> {
    for (let offset = 0; offset < payload.length; offset += MAX_DATA_PAYLOAD_BYTES) {
      if (!this.sendData(payload.subarray(offset, offset + MAX_DATA_PAYLOAD_BYTES))) {
        await within(
          new Promise<void>((resolve) => this.in.once('drain', () => resolve())),
          this.timeoutMs,
          'IN draining',
        );
      }
    }
  }

  nextPacket(timeoutMs = this.timeoutMs): Promise<ServerPacket> {
    return this.#waitFor(
      () => {
        const packet = this.#packets.shift();
        if (packet) return packet;
        if (this.#outEnded) throw new Error('nextPacket: the OUT connection closed');
        return undefined;
      },
      timeoutMs,
      'nextPacket',
    );
  }

  async expectPacket<T extends ServerPacket['type']>(
    type: T,
    timeoutMs = this.timeoutMs,
  ): Promise<Extract<ServerPacket, { type: T }>> {
    const packet = await this.nextPacket(timeoutMs);
    if (packet.type !== type) throw new Error(`expected ${type}, got ${packet.type}`);
    return packet as Extract<ServerPacket, { type: T }>;
  }

  /** Exactly `n` bytes of DATA payload. */
  readData(n: number, timeoutMs = this.timeoutMs): Promise<Buffer> {
    const parts: Buffer[] = [];
    let have = 0;
    return this.#waitFor(
      () => {
        while (have < n && this.#data.length > 0) {
          const first = this.#data[0];
          const take = Math.min(first.length, n - have);
          parts.push(first.subarray(0, take));
          if (take === first.length) this.#data.shift();
          else this.#data[0] = first.subarray(take);
          have += take;
        }
        if (have === n) return Buffer.concat(parts, n);
        if (this.#outEnded || this.#closeChannelReceived) throw new Error(`readData(${n}): closed after ${have}`);
        return undefined;
      },
      timeoutMs,
      `readData(${n})`,
    );
  }

  /** Stops reading OUT (the gateway then sees backpressure), until `resumeReading`. */
  pauseReading(): void {
    this.out.pause();
  }

  resumeReading(): void {
    this.out.resume();
  }

  /** Resolves true once IN's write buffer drains, false after `timeoutMs` or when IN closes. */
  waitForDrain(timeoutMs = this.timeoutMs): Promise<boolean> {
    if (!this.in.writableNeedDrain) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const finish = (drained: boolean): void => {
        clearTimeout(timer);
        this.in.off('drain', onDrain);
        this.in.off('close', onClose);
        resolve(drained);
      };
      const onDrain = (): void => finish(true);
      const onClose = (): void => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.in.once('drain', onDrain);
      this.in.once('close', onClose);
    });
  }

  /** Waits (bounded) for the gateway to close the OUT connection. */
  waitClosed(timeoutMs = this.timeoutMs): Promise<void> {
    return within(this.outClosed, timeoutMs, 'waiting for the gateway to close OUT');
  }

  destroy(): void {
    this.out.destroy();
    this.in.destroy();
  }

  /** Every byte the gateway sent on OUT after the seed, as it came off the wire. */
  get rawReceived(): Buffer {
    return Buffer.concat(this.#raw);
  }

  #receive(bytes: Buffer): void {
    this.#raw.push(Buffer.from(bytes));
    for (const packetBytes of this.#framer.push(bytes)) {
      const packet = decodeServerPacket(packetBytes);
      if (packet.type === 'data' && this.#channelOpen) {
        this.#data.push(packet.data);
        this.dataBytesReceived += packet.data.length;
        continue;
      }
      if (packet.type === 'keepalive') {
        this.sendPacket({ type: 'keepalive' });
        continue;
      }
      if (packet.type === 'channel-response' && packet.errorCode === HResult.S_OK) this.#channelOpen = true;
      if (packet.type === 'close-channel') this.#closeChannelReceived = true;
      this.#packets.push(packet);
    }
    this.#wake();
  }

  #waitFor<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const attempt: Waiter = () => {
        let value: T | undefined;
        try {
          value = check();
        } catch (error) {
          done();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (value !== undefined) {
          done();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${what}: nothing within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(attempt);
      };
      this.#waiters.add(attempt);
      attempt();
    });
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

/** Connects and walks the FreeRDP sequence up to an open channel; throws when a step is refused. */
export async function openLegacyTunnel(
  options: LegacyClientOptions,
  token: string,
  target: { readonly name: string; readonly port: number },
  clientName = 'LEGACYPC',
): Promise<LegacyTsguClient> {
  const client = await LegacyTsguClient.connect(options);
  try {
    const steps: [string, () => Promise<number>][] = [
      ['handshake', async () => (await client.handshake()).errorCode],
      ['tunnel-create', async () => (await client.createTunnel(token)).statusCode],
      ['tunnel-auth', async () => (await client.authorizeTunnel(clientName)).errorCode],
      ['channel-create', async () => (await client.createChannel([target.name], target.port)).errorCode],
    ];
    for (const [step, run] of steps) {
      const code = await run();
      if (code !== HResult.S_OK) throw new Error(`${step} refused with 0x${code.toString(16).padStart(8, '0')}`);
    }
    return client;
  } catch (error) {
    client.destroy();
    throw error;
  }
}
