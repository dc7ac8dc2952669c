/**
 * A small MS-TSGU client over WebSocket for integration tests and benchmarks.
 *
 * It is deliberately a second implementation of the transport: TLS via `tls.connect`, the HTTP upgrade written
 * and parsed by hand (FreeRDP 2.x's exact request, with its non-base64 15-character key), and its own RFC 6455
 * client framing (masked frames out; unmasked frames in with 16/64-bit lengths, fragmentation, ping → pong and
 * the close handshake). Only the MS-TSGU codec and framer are shared with the gateway; they have fixture tests of
 * their own.
 *
 * Every wait is bounded (`timeoutMs`, default DEFAULT_TIMEOUT_MS). Received DATA payloads are queued up to a
 * high-water mark, above which the client stops reading its socket — so "the client does not read" really
 * pushes back on the gateway.
 */
import { createHash, randomFillSync, randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { endianness } from 'node:os';
import { connect as tlsConnect, type SecureContext, type TLSSocket } from 'node:tls';
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
  Capability,
  ExtendedAuth,
  HResult,
  MAX_DATA_PAYLOAD_BYTES,
} from '../../main/gateway/tsgu/constants.ts';
import { PacketFramer } from '../../main/gateway/tsgu/framer.ts';
import { within } from './wait.ts';

export const DEFAULT_TIMEOUT_MS = 5_000;
/** Queued DATA bytes above which the client stops reading its socket. */
export const DEFAULT_MAX_QUEUED_DATA_BYTES = 1024 * 1024;
/** FreeRDP 2.x's kind of Sec-WebSocket-Key: 15 characters in 0x40–0x5F, not base64 (a strict server answers 400). */
export const FREERDP_STYLE_KEY = 'SRRXHF\\IRPBZZ[_';
/** FreeRDP's client caps in TUNNEL_CREATE: QUAR_SOH | MESSAGING_CONSENT_SIGN | MESSAGING_SERVICE_MSG. */
export const FREERDP_CLIENT_CAPS =
  Capability.QUAR_SOH | Capability.MESSAGING_CONSENT_SIGN | Capability.MESSAGING_SERVICE_MSG;

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_RESPONSE_HEAD_BYTES = 16 * 1024;
const CRLF_CRLF = Buffer.from('\r\n\r\n');
const LITTLE_ENDIAN = endianness() === 'LE';

/** RFC 6455 opcodes. */
export const Opcode = { CONTINUATION: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa } as const;

export interface TsguClientOptions {
  readonly host: string;
  readonly port: number;
  /** PEM of the CA to verify the gateway with; without it the certificate is not verified. */
  readonly ca?: string;
  /** SNI and the name the certificate must match; default 'localhost'. */
  readonly servername?: string;
  /** The loopback address to connect from (127.0.0.2 …), to be another client; default the system's choice. */
  readonly localAddress?: string;
  /** Request target; default '/remoteDesktopGateway/'. */
  readonly path?: string;
  /** Request method; default 'RDG_OUT_DATA'. */
  readonly method?: string;
  /** Sec-Websocket-Key as sent; default a fresh FreeRDP-style key. */
  readonly websocketKey?: string;
  /** Extra request header lines (`Name: value`), appended in order. */
  readonly extraHeaders?: readonly string[];
  /** Replaces FreeRDP's header of that name (case-insensitive) with this value; undefined leaves it out. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  /** Default bound of every wait, in ms. */
  readonly timeoutMs?: number;
  readonly maxQueuedDataBytes?: number;
  /** Answer the gateway's keepalives as FreeRDP does (default) instead of queueing them. */
  readonly echoKeepalives?: boolean;
  /** A TLS context reused across connections, as a long-running client keeps one (benchmarks); holds `ca` then. */
  readonly secureContext?: SecureContext;
  /** A session from an earlier connection's `socket.getSession()`, offered for TLS resumption. */
  readonly session?: Buffer;
}

/** How the WebSocket ended. */
export interface CloseInfo {
  /** Status code from the gateway's close frame; 1006 when the connection ended without one. */
  readonly code: number;
  readonly reason: string;
  /** True when the gateway sent a close frame. */
  readonly closeFrameReceived: boolean;
  /** The socket error that ended the connection, if any. */
  readonly error?: Error;
}

export class TsguClientError extends Error {
  override readonly name: string = 'TsguClientError';
}

/** A wait ran out of time. */
export class TsguClientTimeoutError extends TsguClientError {
  override readonly name = 'TsguClientTimeoutError';
}

/** The connection (or the channel) ended while something was still expected. */
export class TsguClientClosedError extends TsguClientError {
  override readonly name = 'TsguClientClosedError';
  constructor(
    message: string,
    readonly close: CloseInfo | undefined,
  ) {
    super(message);
  }
}

/** The gateway answered the upgrade with something other than a valid 101. */
export class UpgradeRefusedError extends TsguClientError {
  override readonly name = 'UpgradeRefusedError';
  constructor(
    readonly status: number,
    readonly headers: ReadonlyMap<string, string>,
    message: string,
  ) {
    super(message);
  }
}

/** A packet of another type arrived than the one expected. */
export class UnexpectedPacketError extends TsguClientError {
  override readonly name = 'UnexpectedPacketError';
  constructor(
    readonly expected: ServerPacket['type'],
    readonly packet: ServerPacket,
  ) {
    super(`expected ${expected}, got ${describePacket(packet)}`);
  }
}

/** A connection step was answered with an error code. */
export class TsguStepRefusedError extends TsguClientError {
  override readonly name = 'TsguStepRefusedError';
  constructor(
    readonly step: string,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export type ServerPacketOf<T extends ServerPacket['type']> = Extract<ServerPacket, { type: T }>;

/** One frame to write as is (masking and the header are done by the client). */
export interface RawFrame {
  readonly opcode: number;
  readonly payload: Buffer;
  /** Default true. */
  readonly fin?: boolean;
  /** Default true; false sends the payload unmasked (a protocol violation for a client). */
  readonly mask?: boolean;
}

type Waiter = () => void;

export class TsguClient {
  readonly socket: TLSSocket;
  readonly timeoutMs: number;
  /** The 101's headers, names lower-cased. */
  readonly responseHeaders: ReadonlyMap<string, string>;
  /** Resolves once the TCP connection is gone; never rejects. */
  readonly closed: Promise<CloseInfo>;
  /** Protocol breaches seen from the gateway (data before the channel response, several packets per message…). */
  readonly violations: string[] = [];

  /** DATA payload bytes sent / received, and packets received by type. */
  dataBytesSent = 0;
  dataBytesReceived = 0;
  largestDataPayloadReceived = 0;
  readonly packetsReceived = new Map<ServerPacket['type'], number>();

  readonly #maxQueuedDataBytes: number;
  readonly #echoKeepalives: boolean;
  readonly #framer = new PacketFramer();
  readonly #waiters = new Set<Waiter>();
  readonly #packets: ServerPacket[] = [];
  readonly #data: Buffer[] = [];
  #queuedDataBytes = 0;
  #channelOpen = false;
  #closeChannelReceived = false;
  #readingPausedByUser = false;
  #readingPausedByQueue = false;

  // Inbound frame parser (ws lib/receiver.js style: chunk list + byte count, explicit state).
  #chunks: Buffer[] = [];
  #buffered = 0;
  #frame: { opcode: number; fin: boolean; remaining: number; control: Buffer[] | undefined } | undefined;
  /** Opcode of the data message being received (for continuation frames), or undefined between messages. */
  #messageOpcode: number | undefined;

  #closeSent = false;
  /** Set once the gateway's stream could not be parsed; later bytes are ignored. */
  #streamBroken = false;
  #closeReceived: { code: number; reason: string } | undefined;
  #socketError: Error | undefined;
  #closeInfo: CloseInfo | undefined;

  #maskPool = Buffer.alloc(0);
  #maskOffset = 0;

  private constructor(
    socket: TLSSocket,
    rest: Buffer,
    options: TsguClientOptions,
    responseHeaders: ReadonlyMap<string, string>,
  ) {
    this.socket = socket;
    this.responseHeaders = responseHeaders;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#maxQueuedDataBytes = options.maxQueuedDataBytes ?? DEFAULT_MAX_QUEUED_DATA_BYTES;
    this.#echoKeepalives = options.echoKeepalives ?? true;
    this.closed = new Promise<CloseInfo>((resolve) => {
      socket.once('close', () => {
        this.#closeInfo = {
          code: this.#closeReceived?.code ?? 1006,
          reason: this.#closeReceived?.reason ?? '',
          closeFrameReceived: this.#closeReceived !== undefined,
          ...(this.#socketError ? { error: this.#socketError } : {}),
        };
        resolve(this.#closeInfo);
        this.#wake();
      });
    });
    socket.on('error', (error) => {
      this.#socketError ??= error;
    });
    socket.on('data', (chunk: Buffer) => this.#onSocketData(chunk));
    socket.on('end', () => {
      // The gateway closed its side; a WebSocket client has nothing more to say either.
      socket.end();
    });
    if (rest.length > 0) this.#onSocketData(rest);
    // readResponseHead left the socket paused; start reading the WebSocket stream.
    this.#updateReading();
  }

  /** TLS, then the FreeRDP-style `RDG_OUT_DATA` upgrade; resolves once a valid 101 is read. */
  static async connect(options: TsguClientOptions): Promise<TsguClient> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const servername = options.servername ?? 'localhost';
    const socket = tlsConnect({
      host: options.host,
      port: options.port,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      servername,
      ALPNProtocols: ['http/1.1'],
      ...(options.ca === undefined ? { rejectUnauthorized: false } : { ca: options.ca, rejectUnauthorized: true }),
      ...(options.secureContext === undefined ? {} : { secureContext: options.secureContext }),
      ...(options.session === undefined ? {} : { session: options.session }),
    });
    socket.setNoDelay(true);
    try {
      await within(
        new Promise<void>((resolve, reject) => {
          socket.once('secureConnect', resolve);
          socket.once('error', reject);
        }),
        timeoutMs,
        'TLS handshake',
      );
      const key = options.websocketKey ?? freerdpStyleKey();
      socket.write(upgradeRequest(options, key, servername));
      const { status, headers, rest } = await readResponseHead(socket, timeoutMs);
      if (status !== 101) {
        throw new UpgradeRefusedError(status, headers, `the gateway answered the upgrade with ${status}`);
      }
      const accept = headers.get('sec-websocket-accept');
      const expected = createHash('sha1')
        .update(key + WEBSOCKET_GUID)
        .digest('base64');
      if (accept !== expected) {
        throw new UpgradeRefusedError(status, headers, `Sec-WebSocket-Accept ${accept ?? '(none)'} ≠ ${expected}`);
      }
      if (
        headers.get('upgrade')?.toLowerCase() !== 'websocket' ||
        !/\bupgrade\b/i.test(headers.get('connection') ?? '')
      ) {
        throw new UpgradeRefusedError(status, headers, 'the 101 lacks Upgrade: websocket / Connection: Upgrade');
      }
      const version = headers.get('sec-websocket-version');
      if (version !== undefined && version !== '13') {
        throw new UpgradeRefusedError(status, headers, `Sec-WebSocket-Version ${version}`);
      }
      return new TsguClient(socket, rest, options, headers);
    } catch (error) {
      socket.destroy();
      throw error;
    }
  }

  /** Whether the gateway's certificate chain was verified against the given CA. */
  get authorized(): boolean {
    return this.socket.authorized;
  }

  /** Bytes written to the socket but not yet handed to the kernel. */
  get writableLength(): number {
    return this.socket.writableLength;
  }

  get queuedDataBytes(): number {
    return this.#queuedDataBytes;
  }

  get channelOpen(): boolean {
    return this.#channelOpen;
  }

  get closeInfo(): CloseInfo | undefined {
    return this.#closeInfo;
  }

  // ------------------------------------------------------------------------------------------------------------
  // MS-TSGU steps
  // ------------------------------------------------------------------------------------------------------------

  /** HANDSHAKE_REQUEST (1.0, PAA unless told otherwise) → HANDSHAKE_RESPONSE, whatever its error code. */
  async handshake(extendedAuth: number = ExtendedAuth.PAA, timeoutMs = this.timeoutMs): Promise<HandshakeResponse> {
    this.sendPacket({ type: 'handshake-request', verMajor: 1, verMinor: 0, clientVersion: 0, extendedAuth });
    return this.expectPacket('handshake-response', timeoutMs);
  }

  /** TUNNEL_CREATE with the token as PAA cookie (UTF-16LE + NUL, as FreeRDP) → TUNNEL_RESPONSE. */
  async createTunnel(token: string, timeoutMs = this.timeoutMs): Promise<TunnelResponse> {
    this.sendPacket({ type: 'tunnel-create', capsFlags: FREERDP_CLIENT_CAPS, paaCookie: encodePaaCookie(token) });
    return this.expectPacket('tunnel-response', timeoutMs);
  }

  /** TUNNEL_AUTH with the client machine name → TUNNEL_AUTH_RESPONSE. */
  async authorizeTunnel(clientName: string, timeoutMs = this.timeoutMs): Promise<TunnelAuthResponse> {
    this.sendPacket({ type: 'tunnel-auth', clientName });
    return this.expectPacket('tunnel-auth-response', timeoutMs);
  }

  /** CHANNEL_CREATE for `names` (resources) and `port`, protocol RDP → CHANNEL_RESPONSE. */
  async createChannel(
    names: readonly string[],
    port: number,
    timeoutMs = this.timeoutMs,
    altNames: readonly string[] = [],
  ): Promise<ChannelResponse> {
    this.sendPacket({
      type: 'channel-create',
      resources: names,
      altResources: altNames,
      port,
      protocol: CHANNEL_PROTOCOL_RDP,
    });
    return this.expectPacket('channel-response', timeoutMs);
  }

  /** Client-initiated close: CLOSE_CHANNEL → the gateway's CLOSE_CHANNEL_RESPONSE. */
  async closeChannel(statusCode: number = HResult.S_OK, timeoutMs = this.timeoutMs): Promise<number> {
    this.sendPacket({ type: 'close-channel', statusCode });
    return (await this.expectPacket('close-channel-response', timeoutMs)).statusCode;
  }

  /** Waits for the gateway's CLOSE_CHANNEL and answers it as FreeRDP does; resolves to its status. */
  async answerCloseChannel(timeoutMs = this.timeoutMs): Promise<number> {
    const { statusCode } = await this.expectPacket('close-channel', timeoutMs);
    this.sendPacket({ type: 'close-channel-response', statusCode: HResult.S_OK });
    return statusCode;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Sending
  // ------------------------------------------------------------------------------------------------------------

  /** Sends one packet in one masked binary frame. Returns the socket's write result. */
  sendPacket(packet: KnownClientPacket): boolean {
    return this.sendRaw(encodeClientPacket(packet));
  }

  /** Sends arbitrary bytes as one masked binary frame (for malformed-input tests). */
  sendRaw(bytes: Buffer): boolean {
    return this.sendFrame({ opcode: Opcode.BINARY, payload: bytes });
  }

  /** Sends one WebSocket frame as given (text frames, fragments, unmasked frames…). */
  sendFrame(frame: RawFrame): boolean {
    return this.socket.write(this.#encodeFrame(frame.opcode, [frame.payload], frame.fin ?? true, frame.mask ?? true));
  }

  /**
   * Sends `payload` as DATA packets of at most 65535 bytes, one per frame, without waiting. Returns false when the
   * socket asks to stop (see `waitForDrain` / `writeData`).
   */
  sendData(payload: Buffer): boolean {
    let writable = true;
    for (let offset = 0; offset < payload.length; offset += MAX_DATA_PAYLOAD_BYTES) {
      const slice = payload.subarray(offset, offset + MAX_DATA_PAYLOAD_BYTES);
      writable = this.socket.write(
        this.#encodeFrame(Opcode.BINARY, [encodeDataHeader(slice.length), slice], true, true),
      );
      this.dataBytesSent += slice.length;
    }
    return writable;
  }

  /** `sendData` with backpressure: waits for the socket to drain whenever it asks to (each wait bounded). */
  async writeData(payload: Buffer, timeoutMs = this.timeoutMs): Promise<void> {
    for (let offset = 0; offset < payload.length; offset += MAX_DATA_PAYLOAD_BYTES) {
      if (!this.sendData(payload.subarray(offset, offset + MAX_DATA_PAYLOAD_BYTES))) {
        if (!(await this.waitForDrain(timeoutMs))) {
          throw new TsguClientTimeoutError(`writeData: the socket did not drain within ${timeoutMs} ms`);
        }
      }
    }
  }

  /** Resolves true once the socket's write buffer drains, false after `timeoutMs` (or if the socket closes). */
  waitForDrain(timeoutMs = this.timeoutMs): Promise<boolean> {
    if (this.socket.writableLength === 0 || !this.socket.writableNeedDrain) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const finish = (drained: boolean): void => {
        clearTimeout(timer);
        this.socket.off('drain', onDrain);
        this.socket.off('close', onClose);
        resolve(drained);
      };
      const onDrain = (): void => finish(true);
      const onClose = (): void => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.socket.once('drain', onDrain);
      this.socket.once('close', onClose);
    });
  }

  // ------------------------------------------------------------------------------------------------------------
  // Receiving
  // ------------------------------------------------------------------------------------------------------------

  /** The next non-DATA packet (and DATA too, before the channel is open), in order of arrival. */
  nextPacket(timeoutMs = this.timeoutMs): Promise<ServerPacket> {
    return this.#waitFor(
      () => {
        const packet = this.#packets.shift();
        if (packet !== undefined) return packet;
        if (this.#closeInfo) throw this.#closedError('nextPacket');
        return undefined;
      },
      timeoutMs,
      'nextPacket',
    );
  }

  /** The next packet, which must be of type `type` (else TsguStepRefusedError). */
  async expectPacket<T extends ServerPacket['type']>(type: T, timeoutMs = this.timeoutMs): Promise<ServerPacketOf<T>> {
    const packet = await this.nextPacket(timeoutMs);
    if (packet.type !== type) throw new UnexpectedPacketError(type, packet);
    return packet as ServerPacketOf<T>;
  }

  /**
   * Exactly `n` bytes of DATA payload (concatenated across packets). Bytes are taken off the queue as they arrive,
   * so `n` may exceed the queue's high-water mark. One reader at a time.
   */
  readData(n: number, timeoutMs = this.timeoutMs): Promise<Buffer> {
    const parts: Buffer[] = [];
    let have = 0;
    return this.#waitFor(
      () => {
        if (this.#queuedDataBytes > 0 && have < n) {
          const piece = this.#takeData(Math.min(n - have, this.#queuedDataBytes));
          parts.push(piece);
          have += piece.length;
        }
        if (have === n) return parts.length === 1 ? parts[0] : Buffer.concat(parts, n);
        if (this.#closeInfo || this.#closeChannelReceived) {
          throw this.#closedError(`readData(${n}) after ${have} bytes`);
        }
        return undefined;
      },
      timeoutMs,
      `readData(${n})`,
    ).catch((error: unknown) => {
      if (error instanceof TsguClientTimeoutError) {
        throw new TsguClientTimeoutError(`${error.message} (got ${have} bytes)`);
      }
      throw error;
    });
  }

  /** The next DATA payload(s) queued, or undefined once the channel or connection is closed and nothing is left. */
  nextData(timeoutMs = this.timeoutMs): Promise<Buffer | undefined> {
    return this.#waitFor<Buffer | null>(
      () => {
        if (this.#queuedDataBytes > 0) return this.#takeData(this.#queuedDataBytes);
        if (this.#closeInfo || this.#closeChannelReceived) return null;
        return undefined;
      },
      timeoutMs,
      'nextData',
    ).then((value) => value ?? undefined);
  }

  /** DATA payloads as they arrive until the channel or connection closes; each wait is bounded by `idleTimeoutMs`. */
  async *data(idleTimeoutMs = this.timeoutMs): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      const chunk = await this.nextData(idleTimeoutMs);
      if (chunk === undefined) return;
      yield chunk;
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    return this.data();
  }

  /** Stops reading the socket (the gateway then sees backpressure), until `resumeReading`. */
  pauseReading(): void {
    this.#readingPausedByUser = true;
    this.#updateReading();
  }

  resumeReading(): void {
    this.#readingPausedByUser = false;
    this.#updateReading();
  }

  // ------------------------------------------------------------------------------------------------------------
  // Closing
  // ------------------------------------------------------------------------------------------------------------

  /** Starts the WebSocket close handshake and waits (bounded) for the connection to end; destroys it after that. */
  async close(code = 1000, timeoutMs = this.timeoutMs): Promise<CloseInfo> {
    if (!this.#closeInfo) {
      this.#sendClose(code);
      try {
        return await within(this.closed, timeoutMs, 'close');
      } catch {
        this.socket.destroy();
      }
    }
    return this.closed;
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.socket.destroy();
  }

  /** Waits (bounded) for the connection to end; rejects on timeout. */
  waitClosed(timeoutMs = this.timeoutMs): Promise<CloseInfo> {
    return within(this.closed, timeoutMs, 'waiting for the gateway to close the connection');
  }

  // ------------------------------------------------------------------------------------------------------------
  // Internals
  // ------------------------------------------------------------------------------------------------------------

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
        reject(new TsguClientTimeoutError(`${what}: nothing within ${timeoutMs} ms`));
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

  #closedError(what: string): TsguClientClosedError {
    const info = this.#closeInfo;
    const state = info
      ? `the connection closed (code ${info.code}${info.reason ? ` "${info.reason}"` : ''})`
      : 'the gateway closed the channel';
    return new TsguClientClosedError(`${what}: ${state}`, info);
  }

  #takeData(n: number): Buffer {
    const parts: Buffer[] = [];
    let taken = 0;
    while (taken < n) {
      const chunk = this.#data[0];
      const take = Math.min(chunk.length, n - taken);
      if (take === chunk.length) this.#data.shift();
      else this.#data[0] = chunk.subarray(take);
      parts.push(take === chunk.length ? chunk : chunk.subarray(0, take));
      taken += take;
    }
    this.#queuedDataBytes -= n;
    this.#updateReading();
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, n);
  }

  #updateReading(): void {
    if (this.#queuedDataBytes > this.#maxQueuedDataBytes) this.#readingPausedByQueue = true;
    else if (this.#queuedDataBytes <= this.#maxQueuedDataBytes / 2) this.#readingPausedByQueue = false;
    if (this.#readingPausedByUser || this.#readingPausedByQueue) this.socket.pause();
    else this.socket.resume();
  }

  #onSocketData(chunk: Buffer): void {
    if (this.#streamBroken) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    try {
      this.#parseFrames();
    } catch (error) {
      this.violations.push((error as Error).message);
      this.#streamBroken = true;
      this.#sendClose(1002);
      this.socket.end();
    }
    this.#wake();
  }

  /** RFC 6455 §5.2, receiving side of a client: unmasked frames, payloads streamed as they arrive. */
  #parseFrames(): void {
    for (;;) {
      if (this.#frame === undefined) {
        if (this.#buffered < 2) return;
        const head = this.#peek(2);
        const b0 = head[0];
        const b1 = head[1];
        const length7 = b1 & 0x7f;
        const headerBytes = 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (b1 & 0x80 ? 4 : 0);
        if (this.#buffered < headerBytes) return;
        const header = this.#consume(headerBytes);
        const fin = (b0 & 0x80) !== 0;
        const opcode = b0 & 0x0f;
        if (b0 & 0x70) throw new TsguClientError('frame with RSV bits set (no extension was negotiated)');
        if (b1 & 0x80) throw new TsguClientError('masked frame from the server');
        let length = length7;
        if (length7 === 126) length = header.readUInt16BE(2);
        else if (length7 === 127) {
          const big = header.readBigUInt64BE(2);
          if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new TsguClientError(`frame length ${big} is too large`);
          length = Number(big);
        }
        const control = opcode >= 0x8;
        if (control) {
          if (!fin || length > 125) throw new TsguClientError(`bad control frame (opcode ${opcode})`);
          if (opcode !== Opcode.CLOSE && opcode !== Opcode.PING && opcode !== Opcode.PONG) {
            throw new TsguClientError(`unknown control opcode ${opcode}`);
          }
        } else if (opcode === Opcode.CONTINUATION) {
          if (this.#messageOpcode === undefined) throw new TsguClientError('continuation frame outside a message');
        } else if (opcode === Opcode.BINARY || opcode === Opcode.TEXT) {
          if (this.#messageOpcode !== undefined) throw new TsguClientError('new message inside a fragmented one');
          if (opcode === Opcode.TEXT) throw new TsguClientError('text frame from the gateway (MS-TSGU is binary)');
          this.#messageOpcode = opcode;
        } else {
          throw new TsguClientError(`unknown data opcode ${opcode}`);
        }
        this.#frame = { opcode, fin, remaining: length, control: control ? [] : undefined };
      }

      const frame = this.#frame;
      while (frame.remaining > 0 && this.#buffered > 0) {
        const piece = this.#consumeUpTo(frame.remaining);
        frame.remaining -= piece.length;
        if (frame.control) frame.control.push(piece);
        else this.#onStreamBytes(piece);
      }
      if (frame.remaining > 0) return;
      this.#frame = undefined;
      if (frame.control) this.#onControlFrame(frame.opcode, Buffer.concat(frame.control));
      else if (frame.fin) {
        this.#messageOpcode = undefined;
        // The gateway sends exactly one complete packet per binary message (as rdpgw and pyrdgw do).
        if (this.#framer.bufferedBytes !== 0) {
          this.violations.push(`a binary message ended inside a packet (${this.#framer.bufferedBytes} bytes pending)`);
        }
      }
    }
  }

  #onControlFrame(opcode: number, payload: Buffer): void {
    if (opcode === Opcode.PING) {
      if (!this.#closeSent) this.socket.write(this.#encodeFrame(Opcode.PONG, [payload], true, true));
    } else if (opcode === Opcode.CLOSE) {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.#closeReceived = { code, reason: payload.subarray(2).toString('utf8') };
      // Echo the status, then let the server close the TCP connection (RFC 6455 §7.1.1).
      this.#sendClose(code === 1005 ? 1000 : code);
      this.#wake();
    }
  }

  #onStreamBytes(bytes: Buffer): void {
    let packets: Buffer[];
    try {
      packets = this.#framer.push(bytes);
    } catch (error) {
      throw new TsguClientError(`cannot frame the gateway's packets: ${(error as Error).message}`);
    }
    for (const bytesOfPacket of packets) {
      let packet: ServerPacket;
      try {
        packet = decodeServerPacket(bytesOfPacket);
      } catch (error) {
        throw new TsguClientError(`cannot decode a gateway packet: ${(error as Error).message}`);
      }
      this.packetsReceived.set(packet.type, (this.packetsReceived.get(packet.type) ?? 0) + 1);
      if (packet.type === 'data') {
        if (!this.#channelOpen) {
          // FreeRDP treats DATA before CHANNEL_RESPONSE as fatal; keep it visible to the test.
          this.violations.push('DATA before a successful CHANNEL_RESPONSE');
          this.#packets.push(packet);
          continue;
        }
        if (packet.data.length === 0) this.violations.push('zero-length DATA packet');
        this.dataBytesReceived += packet.data.length;
        this.largestDataPayloadReceived = Math.max(this.largestDataPayloadReceived, packet.data.length);
        this.#data.push(packet.data);
        this.#queuedDataBytes += packet.data.length;
        if (this.#queuedDataBytes > this.#maxQueuedDataBytes) this.#updateReading();
        continue;
      }
      if (packet.type === 'keepalive' && this.#echoKeepalives) {
        this.sendPacket({ type: 'keepalive' });
        continue;
      }
      if (packet.type === 'channel-response' && packet.errorCode === HResult.S_OK) this.#channelOpen = true;
      if (packet.type === 'close-channel') this.#closeChannelReceived = true;
      this.#packets.push(packet);
    }
  }

  #sendClose(code: number): void {
    if (this.#closeSent || this.socket.destroyed || !this.socket.writable) return;
    this.#closeSent = true;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code, 0);
    this.socket.write(this.#encodeFrame(Opcode.CLOSE, [payload], true, true));
  }

  /** One frame in one allocation: header, masking key, payload parts masked in place. */
  #encodeFrame(opcode: number, parts: readonly Buffer[], fin: boolean, mask: boolean): Buffer {
    let length = 0;
    for (const part of parts) length += part.length;
    const extended = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
    const headerBytes = 2 + extended + (mask ? 4 : 0);
    const frame = Buffer.allocUnsafe(headerBytes + length);
    frame[0] = (fin ? 0x80 : 0) | opcode;
    const maskBit = mask ? 0x80 : 0;
    if (extended === 0) frame[1] = maskBit | length;
    else if (extended === 2) {
      frame[1] = maskBit | 126;
      frame.writeUInt16BE(length, 2);
    } else {
      frame[1] = maskBit | 127;
      frame.writeBigUInt64BE(BigInt(length), 2);
    }
    let offset = headerBytes;
    for (const part of parts) offset += part.copy(frame, offset);
    if (mask) {
      const key = this.#nextMaskKey();
      key.copy(frame, 2 + extended);
      maskInPlace(frame, headerBytes, key);
    }
    return frame;
  }

  /** Masking keys come from a pool of random bytes refilled every 1024 frames (RFC 6455 §5.3: unpredictable). */
  #nextMaskKey(): Buffer {
    if (this.#maskOffset + 4 > this.#maskPool.length) {
      this.#maskPool = randomFillSync(Buffer.allocUnsafe(4096));
      this.#maskOffset = 0;
    }
    const key = this.#maskPool.subarray(this.#maskOffset, this.#maskOffset + 4);
    this.#maskOffset += 4;
    return key;
  }

  #peek(n: number): Buffer {
    const first = this.#chunks[0];
    if (first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.#chunks, this.#buffered).subarray(0, n);
  }

  /** Removes exactly `n` buffered bytes (n ≤ buffered), copying only when they straddle chunks. */
  #consume(n: number): Buffer {
    const first = this.#chunks[0];
    if (first.length >= n) return this.#consumeUpTo(n);
    const out = Buffer.allocUnsafe(n);
    let copied = 0;
    while (copied < n) copied += this.#consumeUpTo(n - copied).copy(out, copied);
    return out;
  }

  /** Removes up to `n` bytes from the first chunk, as a view. */
  #consumeUpTo(n: number): Buffer {
    const first = this.#chunks[0];
    const take = Math.min(n, first.length);
    if (take === first.length) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(take);
    this.#buffered -= take;
    return take === first.length ? first : first.subarray(0, take);
  }
}

/** Connects and runs the whole FreeRDP sequence up to an open channel; throws TsguStepRefusedError on any refusal. */
export async function openTunnel(
  options: TsguClientOptions,
  token: string,
  target: { readonly name: string; readonly port: number },
  clientName = 'TESTPC',
): Promise<TsguClient> {
  const client = await TsguClient.connect(options);
  try {
    const handshake = await client.handshake();
    checkStep('handshake', handshake.errorCode);
    const tunnel = await client.createTunnel(token);
    checkStep('tunnel-create', tunnel.statusCode);
    const auth = await client.authorizeTunnel(clientName);
    checkStep('tunnel-auth', auth.errorCode);
    const channel = await client.createChannel([target.name], target.port);
    checkStep('channel-create', channel.errorCode);
    return client;
  } catch (error) {
    client.destroy();
    throw error;
  }
}

function checkStep(step: string, code: number): void {
  if (code !== HResult.S_OK) {
    throw new TsguStepRefusedError(step, code, `${step} refused with 0x${code.toString(16).padStart(8, '0')}`);
  }
}

export function describePacket(packet: ServerPacket): string {
  switch (packet.type) {
    case 'data':
      return `data(${packet.data.length} bytes)`;
    case 'unknown':
      return `unknown(type 0x${packet.packetType.toString(16)}, ${packet.length} bytes)`;
    default:
      return JSON.stringify(packet, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  }
}

/** A random Sec-WebSocket-Key as FreeRDP 2.x makes them: 15 characters in 0x40–0x5F. */
export function freerdpStyleKey(): string {
  const bytes = randomFillSync(Buffer.alloc(15));
  return String.fromCharCode(...bytes.map((byte) => 0x40 + (byte & 0x1f)));
}

/** FreeRDP 2.11's upgrade request (MS-TSGU 2.2.3 method and headers), in the order it sends them. */
function upgradeRequest(options: TsguClientOptions, key: string, servername: string): string {
  const lines = [
    `${options.method ?? 'RDG_OUT_DATA'} ${options.path ?? '/remoteDesktopGateway/'} HTTP/1.1`,
    'Pragma: no-cache',
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-Websocket-Version: 13',
    `Sec-Websocket-Key: ${key}`,
    'Content-Length: 0',
    `Host: ${servername}`,
    'Accept: */*',
    'Cache-Control: no-cache',
    'User-Agent: MS-RDGateway/1.0',
    `RDG-Connection-Id: {${randomUUID()}}`,
    `RDG-Correlation-Id: {${randomUUID()}}`,
    'RDG-Auth-Scheme: PAA',
  ];
  return `${[...withHeaders(lines, options.headers), ...(options.extraHeaders ?? [])].join('\r\n')}\r\n\r\n`;
}

/** Request head lines with the named headers replaced (or, for undefined, left out); new names are appended. */
export function withHeaders(
  lines: readonly string[],
  headers: Readonly<Record<string, string | undefined>> = {},
): string[] {
  const wanted = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), { name, value }]));
  const out: string[] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon > 0 && !line.includes(' HTTP/1.1') ? line.slice(0, colon).toLowerCase() : undefined;
    const override = name === undefined ? undefined : wanted.get(name);
    if (!override) {
      out.push(line);
      continue;
    }
    wanted.delete(name as string);
    if (override.value !== undefined) out.push(`${override.name}: ${override.value}`);
  }
  for (const { name, value } of wanted.values()) if (value !== undefined) out.push(`${name}: ${value}`);
  return out;
}

interface ResponseHead {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  /** Bytes after the head (the start of the WebSocket stream). */
  readonly rest: Buffer;
}

/** Reads an HTTP/1.1 response head from `socket`, bounded in size and time; the socket is paused afterwards. */
export function readResponseHead(socket: Socket, timeoutMs: number): Promise<ResponseHead> {
  return new Promise<ResponseHead>((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const finish = (error: Error | undefined, head?: ResponseHead): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.pause();
      if (error) reject(error);
      else resolve(head as ResponseHead);
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf(CRLF_CRLF);
      if (end === -1) {
        if (buffered.length > MAX_RESPONSE_HEAD_BYTES) finish(new TsguClientError('response head too long'));
        return;
      }
      const lines = buffered.subarray(0, end).toString('latin1').split('\r\n');
      const match = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
      if (!match) {
        finish(new TsguClientError(`malformed status line: ${JSON.stringify(lines[0])}`));
        return;
      }
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      finish(undefined, { status: Number(match[1]), headers, rest: buffered.subarray(end + CRLF_CRLF.length) });
    };
    const onError = (error: Error): void => finish(error);
    const onClose = (): void => finish(new TsguClientClosedError('the connection closed before a response', undefined));
    const timer = setTimeout(
      () => finish(new TsguClientTimeoutError(`no response head within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
}

/** XORs `buf[start..]` with the 4-byte key, a 32-bit word at a time where aligned (RFC 6455 §5.3). */
function maskInPlace(buf: Buffer, start: number, key: Buffer): void {
  const end = buf.length;
  let i = start;
  // Bytes up to a 4-byte aligned address (all of them on a big-endian machine).
  while (i < end && (!LITTLE_ENDIAN || (buf.byteOffset + i) % 4 !== 0)) {
    buf[i] ^= key[(i - start) & 3];
    i++;
  }
  const words = Math.floor((end - i) / 4);
  if (words > 0) {
    const phase = (i - start) & 3;
    // The key rotated to this phase, as a little-endian word (typed arrays use the platform's order, LE here).
    const rotated =
      (key[phase] | (key[(phase + 1) & 3] << 8) | (key[(phase + 2) & 3] << 16) | (key[(phase + 3) & 3] << 24)) >>> 0;
    const view = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w] ^= rotated;
    i += words * 4;
  }
  while (i < end) {
    buf[i] ^= key[(i - start) & 3];
    i++;
  }
}
