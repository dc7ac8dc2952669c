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
import { TsguDecodeError } from './errors.ts';

/**
 * The server side of one MS-TSGU tunnel as an explicit state machine (MS-TSGU 3.3.5, tsgu.md §5).
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

/** A check's refusal, with the code the client is answered with. */
export class TunnelRefusal extends Error {
  override readonly name = 'TunnelRefusal';
  constructor(
    readonly hresult: number,
    /** A stable reason for the audit log (`expired`, `not-allowed-host`, `refused`…). */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

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

export type TunnelEndReason =
  | 'refused'
  | 'timeout'
  | 'protocol-error'
  | 'client-closed'
  | 'transport-error'
  | 'target-closed'
  | 'target-error'
  | 'admin-disconnect'
  | 'shutdown';

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
  /** Called once. The owner closes the transport and the target. */
  ended(outcome: TunnelOutcome): void;
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

  constructor(
    private readonly checks: TunnelChecks<Grant>,
    private readonly out: TunnelOutputs,
  ) {}

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

  /** Ends the tunnel from the gateway's side (admin, shutdown, target gone). */
  terminate(reason: TunnelEndReason, hresult: number = HResult.S_OK, detail?: string): void {
    if (this.#state === 'closed' || this.#state === 'closing') return;
    if (this.#state !== 'channel-open') {
      this.#end({ reason, detail });
      return;
    }
    this.out.send({ type: 'close-channel', statusCode: hresult });
    this.#pendingOutcome = { reason, state: this.#state, hresult, detail };
    this.#state = 'closing';
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

  /** Sends a keepalive (the owner's timer); the client's echo is not echoed back. */
  sendKeepalive(): void {
    if (this.#state !== 'channel-open') return;
    this.#keepalivesOutstanding++;
    this.out.send({ type: 'keepalive' });
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
            idleTimeoutMinutes: 0,
          });
          this.#state = 'awaiting-channel-create';
        });
      case 'channel-create':
        return this.#expect('awaiting-channel-create', packet, () => this.#onChannelCreate(packet));
      case 'data':
        if (this.#state === 'channel-open') {
          if (packet.data.length > 0) this.out.channelData(packet.data);
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
        this.out.send({ type: 'keepalive' });
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
    this.#runCheck(
      () => this.checks.authenticate(token),
      (grant) => {
        this.#grant = grant;
        this.out.send({
          type: 'tunnel-response',
          serverVersion: 0,
          statusCode: HResult.S_OK,
          tunnelId: TUNNEL_ID,
          capsFlags: Capability.IDLE_TIMEOUT,
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
