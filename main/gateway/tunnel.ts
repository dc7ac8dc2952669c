import type { OnReadOpts, Socket } from 'node:net';
import type { Host } from '../../shared/model/hosts.ts';
import type { SessionEndReason } from '../../shared/model/sessions.ts';
import type { Logger } from '../logging/logger.ts';
import type { AuditSink } from '../sessions/audit-log.ts';
import type { SessionHandle, SessionRegistry } from '../sessions/registry.ts';
import { TargetReader } from './target-reader.ts';
import { SEND_HIGH_WATER_BYTES, type PacketTransport } from './transport/packet-transport.ts';
import { decodeClientPacket, encodeServerPacket } from './tsgu/codec.ts';
import { HResult } from './tsgu/constants.ts';
import { TsguError } from './tsgu/errors.ts';
import { PacketFramer, type PacketSink } from './tsgu/framer.ts';
import {
  TunnelSession,
  monotonicNow,
  type ChannelRequest,
  type TunnelChecks,
  type TunnelEndReason,
  type TunnelLifecycleOptions,
  type TunnelOutcome,
  type TunnelOutputs,
} from './tsgu/session.ts';

/** A client must get from the first byte to an open channel within this time. */
export const TUNNEL_SETUP_TIMEOUT_MS = 30_000;
/** After the gateway sends CLOSE_CHANNEL, how long it waits for the client's answer before dropping it. */
export const CLOSE_HANDSHAKE_TIMEOUT_MS = 2_000;
/** A keepalive goes to a client that heard nothing for this long; common proxies drop idle connections at 60 s. */
export const KEEPALIVE_INTERVAL_MS = 30_000;
/** The longest period of the per-tunnel lifecycle check: the precision of idle, lifetime and expiry limits. */
export const LIFECYCLE_TICK_MS = 1_000;
/** The longest delay a Node timer takes (a longer one fires at once); a longer sleep just ticks and sleeps again. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
/** The shortest period, for the sub-second limits tests use. */
const MIN_LIFECYCLE_TICK_MS = 20;

/** What the client is told when the gateway ends a channel itself (HTTP_CLOSE_PACKET's status, MS-TSGU §2.2.10). */
const GATEWAY_CLOSE: Partial<Record<TunnelEndReason, { readonly hresult: number; readonly notice?: string }>> = {
  // MS-TSGU: E_PROXY_CONNECTIONABORTED is "returned when the RDG server administrator forcefully disconnects".
  'admin-disconnect': {
    hresult: HResult.E_PROXY_CONNECTIONABORTED,
    notice: 'The gateway administrator ended this session.',
  },
  shutdown: { hresult: HResult.E_PROXY_CONNECTIONABORTED, notice: 'The gateway is shutting down.' },
};

/** What a verified token allows, as the tunnel needs it. */
export interface TunnelGrant {
  readonly tokenId: string;
  /** When the token expires (epoch milliseconds); only used when sessions end at token expiry. */
  readonly expiresAtMs?: number;
  /** The verified claims, kept with the session so a revocation list naming any of them (`device`…) ends it. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/**
 * How long a tunnel may take and live, and the messages its client sees; read once when the tunnel starts, so a
 * settings change applies to new tunnels. Durations in milliseconds, 0 = no limit.
 */
export interface TunnelLifecycle {
  readonly setupTimeoutMs: number;
  readonly keepaliveIntervalMs: number;
  readonly idleTimeoutMs: number;
  readonly maxSessionMs: number;
  /** End an open channel when its token expires (else the token only has to be valid at connect). */
  readonly endAtTokenExpiry: boolean;
  /** Empty = none. */
  readonly consentMessage: string;
  /** Empty = none. */
  readonly serviceMessage: string;
}

export const DEFAULT_TUNNEL_LIFECYCLE: TunnelLifecycle = Object.freeze({
  setupTimeoutMs: TUNNEL_SETUP_TIMEOUT_MS,
  keepaliveIntervalMs: KEEPALIVE_INTERVAL_MS,
  idleTimeoutMs: 0,
  maxSessionMs: 0,
  endAtTokenExpiry: false,
  consentMessage: '',
  serviceMessage: '',
});

/** The check period for a lifecycle: a quarter of its shortest limit, between 20 ms and one second. */
export function lifecycleTickMs(lifecycle: TunnelLifecycle): number {
  const limits = [lifecycle.keepaliveIntervalMs, lifecycle.idleTimeoutMs, lifecycle.maxSessionMs].filter(
    (ms) => ms > 0,
  );
  const shortest = Math.min(LIFECYCLE_TICK_MS * 4, ...limits);
  return Math.min(LIFECYCLE_TICK_MS, Math.max(MIN_LIFECYCLE_TICK_MS, Math.floor(shortest / 4)));
}

/** The policy a tunnel runs under, injected by the composition root. */
export interface TunnelPolicy<Grant extends TunnelGrant> {
  /** Verifies a PAA token; throws `TunnelRefusal` with the wire code and a reason. */
  authenticate(token: string): Promise<Grant>;
  /** Picks the allowed host for a request, or throws `TunnelRefusal`. Nothing is dialled on refusal. */
  authorize(grant: Grant, request: ChannelRequest): Host;
  /**
   * Opens the TCP connection to the allowed host with `onread` (the tunnel's reads, target-reader.ts), paused;
   * throws `TunnelRefusal` when it cannot.
   */
  dial(host: Host, onread: OnReadOpts): Promise<Socket>;
  /** Whether a socket `dial` answered reached a host that answered only after a Wake-on-LAN packet. */
  woken?(target: Socket): boolean;
}

export interface TunnelDeps<Grant extends TunnelGrant> {
  readonly policy: TunnelPolicy<Grant>;
  readonly sessions: SessionRegistry;
  readonly audit: AuditSink;
  readonly logger: Logger;
  /** The current limits and messages (from the settings); defaults when absent. */
  readonly lifecycle?: () => TunnelLifecycle;
  /** The lifecycle check period; derived from the limits when absent. */
  readonly tickMs?: number;
  /** The clock the limits are measured on (tests); monotonic by default. */
  readonly now?: () => number;
  /** The client's validated `RDG-Correlation-Id`, recorded in the tunnel's audit lines. */
  readonly correlationId?: string;
}

/** A running tunnel, as its owner sees it. */
export interface TunnelHandle {
  /** Ends the tunnel from the gateway's side, telling the client why when the protocol allows. */
  terminate(reason: TunnelEndReason): void;
  /** Settles when the tunnel has ended and its target is closed. */
  readonly done: Promise<void>;
}

/**
 * One client's tunnel: bytes from the transport → framer → codec → state machine, and the state machine's
 * decisions → packets to the client and a byte pipe to the target, with backpressure both ways.
 */
export function runTunnel<Grant extends TunnelGrant>(
  transport: PacketTransport,
  deps: TunnelDeps<Grant>,
): TunnelHandle {
  const tunnel = new Tunnel(transport, deps);
  return { terminate: (reason) => tunnel.terminate(reason), done: tunnel.done };
}

class Tunnel<Grant extends TunnelGrant> {
  readonly done: Promise<void>;
  readonly #transport: PacketTransport;
  readonly #deps: TunnelDeps<Grant>;
  readonly #log: Logger;
  readonly #lifecycle: TunnelLifecycle;
  readonly #framer = new PacketFramer();
  readonly #reader = new TargetReader();
  readonly #session: TunnelSession<Grant>;
  #target: Socket | undefined;
  #host: Host | undefined;
  /** What the client asked for at channel create (`name:port`), for the audit line of a refusal. */
  #requested: string | undefined;
  #handle: SessionHandle | undefined;
  // Every timer of this tunnel: the setup deadline, the lifecycle check once the channel is open (each period, or
  // asleep until the next keepalive or limit while the channel is quiet), and the wait for the client's answer to
  // CLOSE_CHANNEL. All unref'd, all cleared in #finish().
  readonly #setupTimer: NodeJS.Timeout;
  #closeTimer: NodeJS.Timeout | undefined;
  #ticker: NodeJS.Timeout | undefined;
  #markDone: () => void = () => undefined;
  // Writes to the target in one event-loop turn are corked into one writev: a DATA payload arrives in pieces, as
  // the client's TLS records and frames cut it, and Node hands each TLS record to JavaScript on its own.
  #targetCorked = false;
  readonly #uncorkTarget = (): void => {
    if (!this.#targetCorked) return;
    this.#targetCorked = false;
    this.#target?.uncork();
  };

  constructor(transport: PacketTransport, deps: TunnelDeps<Grant>) {
    this.#transport = transport;
    this.#deps = deps;
    this.#log = deps.logger.child({ client: transport.remoteAddress, transport: transport.kind });
    this.#lifecycle = deps.lifecycle?.() ?? DEFAULT_TUNNEL_LIFECYCLE;
    this.done = new Promise<void>((resolve) => (this.#markDone = resolve));
    this.#session = new TunnelSession<Grant>(this.#checks(), this.#outputs(), sessionOptions(this.#lifecycle, deps));
    const { setupTimeoutMs } = this.#lifecycle;
    this.#setupTimer = setTimeout(
      () => this.#session.terminate('timeout', HResult.S_OK, `no open channel within ${setupTimeoutMs} ms`),
      setupTimeoutMs,
    );
    this.#setupTimer.unref();
    this.#startTransport();
  }

  /** Admin disconnect, shutdown: the client is told why with the reason's close status and notice. */
  terminate(reason: TunnelEndReason): void {
    const close = GATEWAY_CLOSE[reason];
    this.#session.terminate(reason, close?.hresult ?? HResult.S_OK, undefined, close?.notice);
  }

  #checks(): TunnelChecks<Grant> {
    const { policy } = this.#deps;
    return {
      authenticate: (token) => policy.authenticate(token),
      openChannel: async (grant, request) => {
        this.#requested = `${request.names.join(',')}:${request.port}`;
        this.#host = policy.authorize(grant, request);
        this.#target = await policy.dial(this.#host, this.#reader.onread);
        if (this.#session.state === 'closed') this.#target.destroy();
      },
    };
  }

  #outputs(): TunnelOutputs {
    return {
      send: (packet) => {
        this.#transport.send(encodeServerPacket(packet));
      },
      channelOpened: () => {
        clearTimeout(this.#setupTimer);
        this.#handle = this.#openSession();
        this.#armTick(this.#tickMs);
      },
      channelData: (data) => this.#writeToTarget(data),
      closing: () => this.#closing(),
      ended: (outcome) => this.#finish(outcome),
      wake: () => this.#armTick(this.#tickMs),
    };
  }

  get #tickMs(): number {
    return this.#deps.tickMs ?? lifecycleTickMs(this.#lifecycle);
  }

  /** The next lifecycle check, in `delayMs` (clamped to what a Node timer can wait; Infinity: none). */
  #armTick(delayMs: number): void {
    clearTimeout(this.#ticker);
    this.#ticker = undefined;
    if (this.#session.state !== 'channel-open' || delayMs === Infinity) return;
    this.#ticker = setTimeout(this.#tick, Math.min(delayMs, MAX_TIMER_DELAY_MS));
    this.#ticker.unref();
  }

  // A quiet channel sleeps until its next keepalive or limit instead of waking every period (the idle cost of a
  // tray app); any activity on it wakes it back to the period (`wake` above).
  readonly #tick = (): void => {
    this.#ticker = undefined;
    const sleepMs = this.#session.tick();
    this.#armTick(sleepMs === undefined ? this.#tickMs : Math.max(this.#tickMs, sleepMs));
  };

  #writeToTarget(data: Buffer): void {
    this.#handle?.countToTarget(data.length);
    const target = this.#target;
    if (!target) return;
    if (!this.#targetCorked) {
      this.#targetCorked = true;
      target.cork();
      setImmediate(this.#uncorkTarget);
    }
    target.write(data);
    // Past the transport's own high-water mark the turn's corked bytes go out now, and the client is paused only
    // for what the target did not take: counting corked bytes paused (and resumed) it every busy turn.
    if (target.writableLength > SEND_HIGH_WATER_BYTES) {
      target.uncork();
      target.cork();
      if (target.writableLength > SEND_HIGH_WATER_BYTES) this.#transport.pause();
    }
  }

  #closing(): void {
    clearTimeout(this.#ticker);
    // Bytes the client sent before its close go out before the target is dropped.
    this.#uncorkTarget();
    this.#target?.destroy();
    // The client's answer must be read even if reading was paused for a slow target.
    this.#transport.resume();
    // A server-initiated close waits for the client's CLOSE_CHANNEL_RESPONSE, but not forever.
    this.#closeTimer = setTimeout(() => {
      this.#transport.destroy();
      this.#session.transportClosed();
    }, CLOSE_HANDSHAKE_TIMEOUT_MS);
    this.#closeTimer.unref();
  }

  #startTransport(): void {
    const session = this.#session;
    const sink: PacketSink = {
      packet: (packet) => session.receive(decodeClientPacket(packet)),
      // Until the channel is open, DATA is decoded whole like any other packet (and refused as out of order).
      streamData: () => session.state === 'channel-open',
      data: (payload) => session.receive({ type: 'data', data: payload }),
    };
    this.#transport.start({
      data: (chunk) => {
        if (session.state === 'closed') return;
        try {
          this.#framer.feed(chunk, sink);
        } catch (error) {
          if (!(error instanceof TsguError)) throw error;
          session.malformed(error);
        }
      },
      // The target is read only once the session is open (the dial leaves it paused; #openSession resumes it).
      drain: () => {
        if (this.#handle) this.#target?.resume();
      },
      closed: (error) => session.transportClosed(error),
    });
  }

  #openSession(): SessionHandle {
    const socket = this.#target as Socket;
    const allowed = this.#host as Host;
    const transport = this.#transport;
    const session = this.#session;
    const handle = this.#deps.sessions.open({
      transport: transport.kind,
      clientAddress: transport.remoteAddress,
      clientName: session.clientName,
      tokenId: session.grant?.tokenId ?? '',
      ...(session.grant?.claims ? { tokenClaims: session.grant.claims } : {}),
      host: allowed.name,
      target: `${socket.remoteAddress ?? allowed.address}:${socket.remotePort ?? allowed.port}`,
      ...(this.#deps.correlationId === undefined ? {} : { correlationId: this.#deps.correlationId }),
      ...(this.#deps.policy.woken?.(socket) ? { woken: true } : {}),
      terminate: (reason) => this.terminate(reason),
    });
    this.#log.info('tunnel open', { session: handle.id, host: allowed.name });
    // One read, one DATA packet; a full transport stops the reads (the callback's false) until its `drain`.
    this.#reader.start((packet, payloadBytes) => {
      handle.countToClient(payloadBytes);
      session.dataToClient();
      return transport.sendDataWithRoom(packet);
    });
    socket.on('drain', () => transport.resume());
    socket.on('end', () => session.targetEnded());
    socket.on('error', (error) => session.targetEnded(error));
    socket.on('close', () => session.targetEnded());
    socket.resume();
    return handle;
  }

  #finish(outcome: TunnelOutcome): void {
    clearTimeout(this.#setupTimer);
    clearTimeout(this.#ticker);
    clearTimeout(this.#closeTimer);
    this.#uncorkTarget();
    this.#target?.destroy();
    if (this.#handle) {
      this.#handle.end(toSessionEndReason(outcome.reason), outcome.detail);
      this.#log.info('tunnel closed', { session: this.#handle.id, reason: outcome.reason, detail: outcome.detail });
    } else {
      this.#recordRefusal(outcome);
    }
    this.#transport.close();
    this.#markDone();
  }

  #recordRefusal(outcome: TunnelOutcome): void {
    const grant = this.#session.grant;
    this.#deps.audit.record({
      event: 'tunnel.refused',
      transport: this.#transport.kind,
      client: this.#transport.remoteAddress,
      stage: outcome.state,
      reason: outcome.reason,
      ...(outcome.hresult === undefined ? {} : { hresult: `0x${outcome.hresult.toString(16).padStart(8, '0')}` }),
      ...(outcome.failure === undefined ? {} : { failure: outcome.failure }),
      ...(outcome.detail === undefined ? {} : { detail: outcome.detail }),
      ...(grant ? { tokenId: grant.tokenId } : {}),
      ...(this.#host ? { host: this.#host.name } : {}),
      ...(this.#requested === undefined ? {} : { requested: this.#requested }),
      ...(this.#deps.correlationId === undefined ? {} : { correlationId: this.#deps.correlationId }),
    });
    this.#log.info('tunnel refused', { stage: outcome.state, reason: outcome.reason, detail: outcome.detail });
  }
}

/** The state machine's limits and messages from the tunnel's lifecycle. */
function sessionOptions<Grant extends TunnelGrant>(
  lifecycle: TunnelLifecycle,
  deps: TunnelDeps<Grant>,
): TunnelLifecycleOptions<Grant> {
  return {
    keepaliveIntervalMs: lifecycle.keepaliveIntervalMs,
    idleTimeoutMs: lifecycle.idleTimeoutMs,
    maxSessionMs: lifecycle.maxSessionMs,
    grantExpiresAt: lifecycle.endAtTokenExpiry ? (grant) => grant.expiresAtMs : undefined,
    consentMessage: lifecycle.consentMessage || undefined,
    serviceMessage: lifecycle.serviceMessage || undefined,
    now: deps.now ?? monotonicNow,
  };
}

function toSessionEndReason(reason: TunnelEndReason): SessionEndReason {
  switch (reason) {
    case 'refused':
    case 'timeout':
    case 'protocol-error':
      return 'protocol-error';
    default:
      return reason;
  }
}
