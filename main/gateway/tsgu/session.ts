import type { SessionEndReason } from '../../../shared/model/sessions.ts';
import {
  decodePaaCookie,
  type ChannelCreate,
  type ClientPacket,
  type HandshakeRequest,
  type KnownServerPacket,
  type TunnelCreate,
} from './codec.ts';
import { CHANNEL_PROTOCOL_RDP, Capability, ExtendedAuth, HResult, PacketType, TunnelRedir } from './constants.ts';
import type { TsguError } from './errors.ts';
import { TsguDecodeError, TunnelRefusal } from './errors.ts';

/**
 * The server side of one MS-TSGU tunnel as an explicit state machine (MS-TSGU §3.3.5).
 * It knows nothing of sockets or tokens: it takes decoded packets, answers through `send`, and asks its owner's
 * injected checks whether a token is good and whether a channel may open. Every refusal answers with the
 * protocol's error code and then ends the tunnel — FreeRDP carries on after an error code alone.
 */
export type TunnelState =
  | 'awaiting-handshake'
  | 'awaiting-tunnel-create'
  | 'awaiting-tunnel-auth'
  | 'awaiting-channel-create'
  | 'channel-open'
  | 'closing'
  | 'closed';

export interface ChannelRequest {
  readonly names: readonly string[];
  readonly port: number;
}

export interface TunnelChecks<Grant> {
  /** Verifies the PAA token; throws `TunnelRefusal` to refuse. */
  authenticate(token: string): Promise<Grant>;
  /** Decides on the target and connects to it; resolves once the target is connected, throws `TunnelRefusal`. */
  openChannel(grant: Grant, request: ChannelRequest): Promise<void>;
}

/** Why a tunnel ended: as a session does, or refused or timed out before it was one. */
export type TunnelEndReason = SessionEndReason | 'refused' | 'timeout';

/**
 * How long an open channel may live, and what the client is told. Every duration is in milliseconds; 0 (or absent)
 * turns that limit off. The session never starts a timer: its owner calls `tick()` periodically (or, on a quiet
 * channel, after the wait the last tick answered) and the session compares timestamps, so the DATA path does no
 * timer work and reads no clock.
 */
export interface TunnelLifecycleOptions<Grant> {
  /** A keepalive goes to the client when nothing else was sent to it for this long (keeps proxies from dropping it). */
  readonly keepaliveIntervalMs?: number;
  /** No DATA either way for this long ends the channel ('idle-timeout'); announced in TUNNEL_AUTH_RESPONSE. */
  readonly idleTimeoutMs?: number;
  /** An open channel ends this long after it opened ('lifetime'). */
  readonly maxSessionMs?: number;
  /** When the grant stops covering an open channel (a token's `exp`), on the `now()` clock ('token-expired'). */
  readonly grantExpiresAt?: (grant: Grant) => number | undefined;
  /** Shown at connect in TUNNEL_RESPONSE, to clients that advertise HTTP_CAPABILITY_MESSAGING_CONSENT_SIGN. */
  readonly consentMessage?: string;
  /** Sent once after the channel opens, to clients that advertise HTTP_CAPABILITY_MESSAGING_SERVICE_MSG. */
  readonly serviceMessage?: string;
  /** Milliseconds on a clock that does not jump; only `tick()` and the channel opening read it. */
  readonly now?: () => number;
}

/** Wall-clock milliseconds that only move forward (the process start time plus a monotonic offset). */
export const monotonicNow = (): number => performance.timeOrigin + performance.now();

const MS_PER_MINUTE = 60_000;

export interface TunnelOutcome {
  readonly reason: TunnelEndReason;
  /** The state the tunnel was in when it ended. */
  readonly state: TunnelState;
  /** The code sent to the client, when one was. */
  readonly hresult?: number;
  /** For a check's refusal: its stable reason (`expired`, `not-in-token`, `refused`…). */
  readonly failure?: string;
  readonly detail?: string;
}

export interface TunnelOutputs {
  send(packet: KnownServerPacket): void;
  /** The channel response has been sent: target bytes may now flow to the client (never before: FreeRDP fails). */
  channelOpened(): void;
  /** Bytes from the client for the target. */
  channelData(data: Buffer): void;
  /**
   * The gateway sent CLOSE_CHANNEL and waits for the client's answer. Called once; the owner closes the target
   * now and bounds the wait (a client that never answers must not hold the tunnel open).
   */
  closing(): void;
  /** Called once. The owner closes the transport and the target. */
  ended(outcome: TunnelOutcome): void;
  /**
   * The first activity after a `tick()` that let the owner sleep until a limit: the owner goes back to ticking at
   * its period. Called at most once per such tick.
   */
  wake?(): void;
}

/** Packets a client may send while a check is running; more than this before an answer is not a real client. */
const MAX_QUEUED_PACKETS = 8;
const TUNNEL_ID = 1;
const CHANNEL_ID = 1;

export class TunnelSession<Grant> {
  #state: TunnelState = 'awaiting-handshake';
  #grant: Grant | undefined;
  #busy = false;
  #queue: ClientPacket[] = [];
  /** Our keepalives the client has not echoed yet; a counter, so two unanswered ones cannot start a ping-pong. */
  #keepalivesOutstanding = 0;
  #pendingOutcome: TunnelOutcome | undefined;
  #clientName: string | undefined;
  /** HTTP_CAPABILITY_TYPE flags from the client's TUNNEL_CREATE. */
  #clientCaps = 0;
  readonly #lifecycle: TunnelLifecycleOptions<Grant>;
  readonly #now: () => number;
  // Lifecycle bookkeeping for an open channel. The hot path only sets the two flags; `tick()` turns them into
  // timestamps, so the precision of every limit is the owner's tick period.
  #openedAt = 0;
  #lastDataAt = 0;
  #lastSentAt = 0;
  #expiresAt: number | undefined;
  #dataSinceTick = false;
  #sentSinceTick = false;
  /** The last `tick()` found a quiet channel and let the owner sleep until the next limit. */
  #asleep = false;

  constructor(
    private readonly checks: TunnelChecks<Grant>,
    private readonly out: TunnelOutputs,
    lifecycle: TunnelLifecycleOptions<Grant> = {},
  ) {
    this.#lifecycle = lifecycle;
    this.#now = lifecycle.now ?? monotonicNow;
  }

  get state(): TunnelState {
    return this.#state;
  }

  get grant(): Grant | undefined {
    return this.#grant;
  }

  /** The client machine name from TUNNEL_AUTH, when it has arrived. */
  get clientName(): string | undefined {
    return this.#clientName;
  }

  receive(packet: ClientPacket): void {
    if (this.#state === 'closed') return;
    if (this.#busy) {
      if (this.#queue.length >= MAX_QUEUED_PACKETS) {
        this.#end({ reason: 'protocol-error', detail: 'client sent too many packets without waiting for answers' });
        return;
      }
      this.#queue.push(packet);
      return;
    }
    this.#dispatch(packet);
  }

  /**
   * A packet could not be framed or decoded. Answers with the response to the packet being decoded when it has
   * one (so the client learns why), then ends the tunnel.
   */
  malformed(error: TsguError): void {
    if (this.#state === 'closed') return;
    const packetType = error instanceof TsguDecodeError ? error.packetType : undefined;
    this.#refuse(packetType, error.hresult, 'protocol-error', error.message);
  }

  /** The target closed (or failed): tell the client with CLOSE_CHANNEL and wait for its answer. */
  targetEnded(error?: Error): void {
    this.terminate(
      error ? 'target-error' : 'target-closed',
      error ? HResult.E_PROXY_CONNECTIONABORTED : HResult.S_OK,
      error?.message,
    );
  }

  /**
   * Ends the tunnel from the gateway's side (admin, shutdown, timeouts, target gone). With an open channel the
   * client gets `notice` as a SERVICE_MESSAGE first (when it advertised HTTP_CAPABILITY_MESSAGING_SERVICE_MSG),
   * then CLOSE_CHANNEL with `hresult`, and the tunnel ends on its answer. Before that it ends at once, silently:
   * FreeRDP fails on any packet it does not expect during the connection sequence.
   */
  terminate(reason: TunnelEndReason, hresult: number = HResult.S_OK, detail?: string, notice?: string): void {
    if (this.#state === 'closed' || this.#state === 'closing') return;
    if (this.#state !== 'channel-open') {
      this.#end({ reason, detail });
      return;
    }
    // Closing now: the owner's tick is stopped by closing(), so the notice must not wake it.
    this.#asleep = false;
    if (notice) this.#sendServiceMessage(notice);
    this.out.send({ type: 'close-channel', statusCode: hresult });
    this.#pendingOutcome = { reason, state: this.#state, hresult, detail };
    this.#state = 'closing';
    this.out.closing();
  }

  /**
   * Target bytes went to the client as DATA (the owner sends those itself). The hot path: it only sets flags,
   * which the next `tick()` reads.
   */
  dataToClient(): void {
    this.#dataSinceTick = true;
    this.#sentSinceTick = true;
    if (this.#asleep) this.#wake();
  }

  /**
   * The owner's periodic check on an open channel. The earliest passed limit among token expiry, lifetime and idle
   * timeout ends the channel with CLOSE_CHANNEL(E_PROXY_SESSIONTIMEOUT, 0x000059F6: FreeRDP records any non-zero
   * close status as its last error). Otherwise a keepalive goes out when nothing was sent to the client for the
   * keepalive interval. Activity flagged since the last tick counts as happening now, so each limit fires at most
   * one tick period late.
   *
   * Answers how long the owner may wait before the next tick when nothing happened on the channel since the previous
   * one (the time until the earliest limit or keepalive; Infinity when there is none), and undefined otherwise (tick
   * again after the period). While the owner sleeps, the first activity calls `wake()`: an idle tunnel costs a timer
   * per keepalive, not one per period, and every limit still fires at most one tick period late.
   */
  tick(): number | undefined {
    this.#asleep = false;
    if (this.#state !== 'channel-open') return undefined;
    const now = this.#now();
    const quiet = !this.#dataSinceTick && !this.#sentSinceTick;
    if (this.#dataSinceTick) {
      this.#dataSinceTick = false;
      this.#lastDataAt = now;
    }
    if (this.#sentSinceTick) {
      this.#sentSinceTick = false;
      this.#lastSentAt = now;
    }
    const { idleTimeoutMs = 0, maxSessionMs = 0, keepaliveIntervalMs = 0 } = this.#lifecycle;
    const limits: Array<readonly [number, TunnelEndReason, string]> = [];
    if (this.#expiresAt !== undefined) limits.push([this.#expiresAt, 'token-expired', 'the access token expired']);
    if (maxSessionMs > 0) {
      limits.push([this.#openedAt + maxSessionMs, 'lifetime', `the session reached its ${maxSessionMs} ms limit`]);
    }
    if (idleTimeoutMs > 0) {
      limits.push([this.#lastDataAt + idleTimeoutMs, 'idle-timeout', `no data either way for ${idleTimeoutMs} ms`]);
    }
    let due: (typeof limits)[number] | undefined;
    for (const limit of limits) if (limit[0] <= now && (!due || limit[0] < due[0])) due = limit;
    if (due) {
      this.terminate(due[1], HResult.E_PROXY_SESSIONTIMEOUT, due[2]);
      return undefined;
    }
    if (keepaliveIntervalMs > 0 && now - this.#lastSentAt >= keepaliveIntervalMs) {
      this.sendKeepalive();
      // Sent now, not at some point before the next tick: the next keepalive is due one interval from here.
      this.#sentSinceTick = false;
      this.#lastSentAt = now;
    }
    if (!quiet || this.#state !== 'channel-open') return undefined;
    let next = keepaliveIntervalMs > 0 ? this.#lastSentAt + keepaliveIntervalMs : Infinity;
    for (const limit of limits) next = Math.min(next, limit[0]);
    this.#asleep = true;
    return Math.max(0, next - now);
  }

  /** The transport went away. */
  transportClosed(error?: Error): void {
    if (this.#state === 'closed') return;
    if (this.#pendingOutcome) {
      this.#finish(this.#pendingOutcome);
      return;
    }
    this.#end({ reason: error ? 'transport-error' : 'client-closed', detail: error?.message });
  }

  /** Sends a keepalive (normally from `tick()`); the client's echo is not echoed back. */
  sendKeepalive(): void {
    if (this.#state !== 'channel-open') return;
    this.#keepalivesOutstanding++;
    this.#send({ type: 'keepalive' });
  }

  #clientCan(capability: number): boolean {
    return (this.#clientCaps & capability) !== 0;
  }

  /** A SERVICE_MESSAGE, only on an open channel and only to a client that advertised it (MS-TSGU §2.2.10.13). */
  #sendServiceMessage(message: string): void {
    if (this.#state !== 'channel-open' || !this.#clientCan(Capability.MESSAGING_SERVICE_MSG)) return;
    this.#send({ type: 'service-message', message });
  }

  /** Sends on an open channel, noting that the client heard from us (keepalives are due only after silence). */
  #send(packet: KnownServerPacket): void {
    this.#sentSinceTick = true;
    if (this.#asleep) this.#wake();
    this.out.send(packet);
  }

  #wake(): void {
    this.#asleep = false;
    if (this.#state === 'channel-open') this.out.wake?.();
  }

  #dispatch(packet: ClientPacket): void {
    switch (packet.type) {
      case 'handshake-request':
        return this.#expect('awaiting-handshake', packet, () => this.#onHandshake(packet));
      case 'tunnel-create':
        return this.#expect('awaiting-tunnel-create', packet, () => this.#onTunnelCreate(packet));
      case 'tunnel-auth':
        return this.#expect('awaiting-tunnel-auth', packet, () => {
          this.#clientName = packet.clientName.slice(0, 256);
          this.out.send({
            type: 'tunnel-auth-response',
            errorCode: HResult.S_OK,
            redirFlags: TunnelRedir.ENABLE_ALL,
            // The field counts whole minutes; a shorter limit is announced as the minute it falls in.
            idleTimeoutMinutes: Math.ceil((this.#lifecycle.idleTimeoutMs ?? 0) / MS_PER_MINUTE),
          });
          this.#state = 'awaiting-channel-create';
        });
      case 'channel-create':
        return this.#expect('awaiting-channel-create', packet, () => this.#onChannelCreate(packet));
      case 'data':
        if (this.#state === 'channel-open') {
          if (packet.data.length > 0) {
            this.#dataSinceTick = true;
            if (this.#asleep) this.#wake();
            this.out.channelData(packet.data);
          }
          return;
        }
        if (this.#state === 'closing') return;
        return this.#outOfOrder(packet);
      case 'keepalive':
        // Accepted in any state after the handshake; only answered once a channel is open (FreeRDP fails on any
        // unexpected packet before the channel response), and never as an echo of our own keepalive.
        if (this.#state === 'awaiting-handshake') return this.#outOfOrder(packet);
        if (this.#state !== 'channel-open') return;
        if (this.#keepalivesOutstanding > 0) {
          this.#keepalivesOutstanding--;
          return;
        }
        this.#send({ type: 'keepalive' });
        return;
      case 'close-channel':
        if (this.#state === 'closing') {
          this.out.send({ type: 'close-channel-response', statusCode: HResult.S_OK });
          return this.#finish(this.#pendingOutcome ?? { reason: 'client-closed', state: this.#state });
        }
        if (this.#state === 'awaiting-handshake') return this.#outOfOrder(packet);
        this.out.send({ type: 'close-channel-response', statusCode: HResult.S_OK });
        return this.#end({ reason: 'client-closed' });
      case 'close-channel-response':
        if (this.#state === 'closing')
          return this.#finish(this.#pendingOutcome ?? { reason: 'client-closed', state: this.#state });
        return this.#outOfOrder(packet);
      case 'extended-auth':
        // Only for SSPI_NTLM, which this gateway never selects in the handshake.
        return this.#outOfOrder(packet);
      case 'unknown':
        // Unknown types are skipped, as other gateways do; the framer already bounded their size.
        return;
    }
  }

  #expect(state: TunnelState, packet: ClientPacket, handle: () => void): void {
    if (this.#state !== state) return this.#outOfOrder(packet);
    handle();
  }

  #onHandshake(packet: HandshakeRequest): void {
    // PAA (the access token) is the only authentication this gateway offers; anything else cannot proceed.
    if (packet.verMajor !== 1 || (packet.extendedAuth & ExtendedAuth.PAA) === 0) {
      this.out.send({
        type: 'handshake-response',
        errorCode: HResult.E_PROXY_CAPABILITYMISMATCH,
        verMajor: 0,
        verMinor: 0,
        serverVersion: 0,
        extendedAuth: ExtendedAuth.NONE,
      });
      const detail =
        packet.verMajor !== 1
          ? `unsupported protocol version ${packet.verMajor}.${packet.verMinor}`
          : 'the client offers no access-token (PAA) authentication';
      return this.#end({ reason: 'refused', hresult: HResult.E_PROXY_CAPABILITYMISMATCH, detail });
    }
    this.out.send({
      type: 'handshake-response',
      errorCode: HResult.S_OK,
      verMajor: 1,
      verMinor: 0,
      serverVersion: 0,
      extendedAuth: ExtendedAuth.PAA,
    });
    this.#state = 'awaiting-tunnel-create';
  }

  #onTunnelCreate(packet: TunnelCreate): void {
    if (!packet.paaCookie) {
      return this.#refuse(
        PacketType.TUNNEL_CREATE,
        HResult.E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED,
        'refused',
        'no access token in the tunnel request',
      );
    }
    let token: string;
    try {
      token = decodePaaCookie(packet.paaCookie);
    } catch (error) {
      return this.malformed(error as TsguError);
    }
    this.#clientCaps = packet.capsFlags;
    this.#runCheck(
      () => this.checks.authenticate(token),
      (grant) => {
        this.#grant = grant;
        const consent = this.#clientCan(Capability.MESSAGING_CONSENT_SIGN) ? this.#lifecycle.consentMessage : undefined;
        // Server caps name what this gateway will do with this client: idle timeouts always, a messaging
        // capability only when its message is configured and the client takes it (rdpgw's plain 0x2 works with
        // MSTSC; sending caps the server does not act on is unwise, MS-TSGU §2.2.10.20).
        const serviceMsg = this.#lifecycle.serviceMessage && this.#clientCan(Capability.MESSAGING_SERVICE_MSG);
        this.out.send({
          type: 'tunnel-response',
          serverVersion: 0,
          statusCode: HResult.S_OK,
          tunnelId: TUNNEL_ID,
          capsFlags:
            Capability.IDLE_TIMEOUT |
            (consent ? Capability.MESSAGING_CONSENT_SIGN : 0) |
            (serviceMsg ? Capability.MESSAGING_SERVICE_MSG : 0),
          ...(consent ? { consentMessage: consent } : {}),
        });
        this.#state = 'awaiting-tunnel-auth';
      },
      PacketType.TUNNEL_CREATE,
    );
  }

  #onChannelCreate(packet: ChannelCreate): void {
    const names = [...packet.resources, ...packet.altResources].filter((name) => name.length > 0);
    if (packet.protocol !== CHANNEL_PROTOCOL_RDP || names.length === 0) {
      const detail =
        names.length === 0 ? 'the channel request names no target' : `unsupported channel protocol ${packet.protocol}`;
      return this.#refuse(PacketType.CHANNEL_CREATE, HResult.E_PROXY_RAP_ACCESSDENIED, 'refused', detail);
    }
    const grant = this.#grant as Grant;
    this.#runCheck(
      () => this.checks.openChannel(grant, { names, port: packet.port }),
      () => {
        this.out.send({ type: 'channel-response', errorCode: HResult.S_OK, channelId: CHANNEL_ID });
        this.#state = 'channel-open';
        const now = this.#now();
        this.#openedAt = now;
        this.#lastDataAt = now;
        this.#lastSentAt = now;
        this.#expiresAt = this.#lifecycle.grantExpiresAt?.(grant);
        // After the channel response and before any target byte: FreeRDP reads it as a control packet there.
        if (this.#lifecycle.serviceMessage) this.#sendServiceMessage(this.#lifecycle.serviceMessage);
        this.out.channelOpened();
      },
      PacketType.CHANNEL_CREATE,
    );
  }

  /** Runs an async check with the tunnel marked busy, then replays packets that arrived meanwhile. */
  #runCheck<T>(check: () => Promise<T>, onSuccess: (value: T) => void, packetType: number): void {
    this.#busy = true;
    check().then(
      (value) => {
        this.#busy = false;
        if (this.#state === 'closed') return;
        onSuccess(value);
        this.#drainQueue();
      },
      (error: unknown) => {
        this.#busy = false;
        if (this.#state === 'closed') return;
        if (error instanceof TunnelRefusal) {
          this.#refuse(packetType, error.hresult, 'refused', `${error.reason}: ${error.message}`, error.reason);
        } else {
          this.#refuse(packetType, HResult.E_PROXY_INTERNALERROR, 'refused', `internal error: ${String(error)}`);
        }
      },
    );
  }

  #drainQueue(): void {
    while (!this.#busy && this.#queue.length > 0 && this.#state !== 'closed') {
      this.#dispatch(this.#queue.shift() as ClientPacket);
    }
  }

  /** A packet that is valid only in another state: answered like rdpgw, with its response type and an error. */
  #outOfOrder(packet: ClientPacket): void {
    const packetType = PACKET_TYPE_BY_NAME[packet.type];
    this.#refuse(
      packetType,
      HResult.E_PROXY_INTERNALERROR,
      'protocol-error',
      `${packet.type} is not expected in state ${this.#state}`,
    );
  }

  #refuse(
    packetType: number | undefined,
    hresult: number,
    reason: TunnelEndReason,
    detail: string,
    failure?: string,
  ): void {
    const response = errorResponse(packetType, hresult, this.#state);
    if (response) this.out.send(response);
    this.#end({ reason, hresult, detail, ...(failure === undefined ? {} : { failure }) });
  }

  #end(outcome: Omit<TunnelOutcome, 'state'>): void {
    this.#finish({ ...outcome, state: this.#state });
  }

  #finish(outcome: TunnelOutcome): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#queue = [];
    this.out.ended(outcome);
  }
}

const PACKET_TYPE_BY_NAME: Record<ClientPacket['type'], number | undefined> = {
  'handshake-request': PacketType.HANDSHAKE_REQUEST,
  'tunnel-create': PacketType.TUNNEL_CREATE,
  'tunnel-auth': PacketType.TUNNEL_AUTH,
  'channel-create': PacketType.CHANNEL_CREATE,
  data: PacketType.DATA,
  keepalive: PacketType.KEEPALIVE,
  'close-channel': PacketType.CLOSE_CHANNEL,
  'close-channel-response': PacketType.CLOSE_CHANNEL_RESPONSE,
  'extended-auth': PacketType.EXTENDED_AUTH,
  unknown: undefined,
};

/** The error answer to a request packet, or, once a channel is open, a CLOSE_CHANNEL carrying the code. */
function errorResponse(
  packetType: number | undefined,
  hresult: number,
  state: TunnelState,
): KnownServerPacket | undefined {
  switch (packetType) {
    case PacketType.HANDSHAKE_REQUEST:
      return {
        type: 'handshake-response',
        errorCode: hresult,
        verMajor: 0,
        verMinor: 0,
        serverVersion: 0,
        extendedAuth: 0,
      };
    case PacketType.TUNNEL_CREATE:
      return { type: 'tunnel-response', serverVersion: 0, statusCode: hresult };
    case PacketType.TUNNEL_AUTH:
      return { type: 'tunnel-auth-response', errorCode: hresult };
    case PacketType.CHANNEL_CREATE:
      return { type: 'channel-response', errorCode: hresult };
    default:
      return state === 'channel-open' ? { type: 'close-channel', statusCode: hresult } : undefined;
  }
}
