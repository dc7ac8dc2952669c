import type { Socket } from 'node:net';
import type { Host } from '../../shared/model/hosts.ts';
import type { SessionEndReason } from '../../shared/model/sessions.ts';
import type { Logger } from '../logging/logger.ts';
import type { AuditSink } from '../sessions/audit-log.ts';
import type { SessionHandle, SessionRegistry } from '../sessions/registry.ts';
import type { PacketTransport } from './transport/packet-transport.ts';
import { decodeClientPacket, encodeDataPacket, encodeServerPacket } from './tsgu/codec.ts';
import { HResult, MAX_DATA_PAYLOAD_BYTES } from './tsgu/constants.ts';
import { TsguError } from './tsgu/errors.ts';
import { PacketFramer } from './tsgu/framer.ts';
import { TunnelSession, type ChannelRequest, type TunnelEndReason, type TunnelOutcome } from './tsgu/session.ts';

/** A client must get from the first byte to an open channel within this time. */
export const TUNNEL_SETUP_TIMEOUT_MS = 30_000;
/** After the gateway sends CLOSE_CHANNEL, how long it waits for the client's answer before dropping it. */
export const CLOSE_HANDSHAKE_TIMEOUT_MS = 2_000;

/** What a verified token allows, as the tunnel needs it. */
export interface TunnelGrant {
  readonly tokenId: string;
}

/** The policy a tunnel runs under, injected by the composition root. */
export interface TunnelPolicy<Grant extends TunnelGrant> {
  /** Verifies a PAA token; throws `TunnelRefusal` with the wire code and a reason. */
  authenticate(token: string): Promise<Grant>;
  /** Picks the allowed host for a request, or throws `TunnelRefusal`. Nothing is dialled on refusal. */
  authorize(grant: Grant, request: ChannelRequest): Host;
  /** Opens the TCP connection to the allowed host; throws `TunnelRefusal` when it cannot. */
  dial(host: Host): Promise<Socket>;
}

export interface TunnelDeps<Grant extends TunnelGrant> {
  readonly policy: TunnelPolicy<Grant>;
  readonly sessions: SessionRegistry;
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly setupTimeoutMs?: number;
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
  const { policy, sessions, audit } = deps;
  const log = deps.logger.child({ client: transport.remoteAddress, transport: transport.kind });
  const framer = new PacketFramer();
  let target: Socket | undefined;
  let host: Host | undefined;
  let session: SessionHandle | undefined;
  let closeTimer: NodeJS.Timeout | undefined;
  let markDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (markDone = resolve));

  const tunnel: TunnelSession<Grant> = new TunnelSession<Grant>(
    {
      authenticate: (token) => policy.authenticate(token),
      openChannel: async (grant, request) => {
        host = policy.authorize(grant, request);
        target = await policy.dial(host);
        if (tunnel.state === 'closed') target.destroy();
      },
    },
    {
      send: (packet) => {
        transport.send(encodeServerPacket(packet));
      },
      channelOpened: () => {
        clearTimeout(setupTimer);
        session = startSession();
      },
      channelData: (data) => {
        session?.countToTarget(data.length);
        if (target && !target.write(data)) transport.pause();
      },
      ended: (outcome) => finish(outcome),
    },
  );

  const setupTimer = setTimeout(
    () => tunnel.terminate('timeout', HResult.S_OK, `no open channel within ${TUNNEL_SETUP_TIMEOUT_MS} ms`),
    deps.setupTimeoutMs ?? TUNNEL_SETUP_TIMEOUT_MS,
  );

  transport.start({
    data: (chunk) => {
      let packets: Buffer[];
      try {
        packets = framer.push(chunk);
        for (const packet of packets) {
          tunnel.receive(decodeClientPacket(packet));
          if (tunnel.state === 'closed') return;
        }
      } catch (error) {
        if (!(error instanceof TsguError)) throw error;
        tunnel.malformed(error);
      }
    },
    drain: () => target?.resume(),
    closed: (error) => tunnel.transportClosed(error),
  });

  function startSession(): SessionHandle {
    const socket = target as Socket;
    const allowed = host as Host;
    const handle = sessions.open({
      transport: transport.kind,
      clientAddress: transport.remoteAddress,
      clientName: tunnel.clientName,
      tokenId: tunnel.grant?.tokenId ?? '',
      host: allowed.name,
      target: `${socket.remoteAddress ?? allowed.address}:${socket.remotePort ?? allowed.port}`,
      terminate: (reason) => tunnel.terminate(reason, HResult.S_OK),
    });
    log.info('tunnel open', { session: handle.id, host: allowed.name });

    socket.on('data', (chunk: Buffer) => {
      handle.countToClient(chunk.length);
      let writable = true;
      for (let offset = 0; offset < chunk.length; offset += MAX_DATA_PAYLOAD_BYTES) {
        writable = transport.send(encodeDataPacket(chunk.subarray(offset, offset + MAX_DATA_PAYLOAD_BYTES)));
      }
      if (!writable) socket.pause();
    });
    socket.on('drain', () => transport.resume());
    socket.on('end', () => tunnel.targetEnded());
    socket.on('error', (error) => tunnel.targetEnded(error));
    socket.on('close', () => tunnel.targetEnded());
    return handle;
  }

  function finish(outcome: TunnelOutcome): void {
    clearTimeout(setupTimer);
    clearTimeout(closeTimer);
    target?.destroy();
    if (session) {
      session.end(toSessionEndReason(outcome.reason), outcome.detail);
      log.info('tunnel closed', { session: session.id, reason: outcome.reason, detail: outcome.detail });
    } else {
      audit.record({
        event: 'tunnel.refused',
        transport: transport.kind,
        client: transport.remoteAddress,
        stage: outcome.state,
        reason: outcome.reason,
        ...(outcome.hresult === undefined ? {} : { hresult: `0x${outcome.hresult.toString(16).padStart(8, '0')}` }),
        ...(outcome.failure === undefined ? {} : { failure: outcome.failure }),
        ...(outcome.detail === undefined ? {} : { detail: outcome.detail }),
        ...(tunnel.grant ? { tokenId: tunnel.grant.tokenId } : {}),
        ...(host ? { host: host.name } : {}),
      });
      log.info('tunnel refused', { stage: outcome.state, reason: outcome.reason, detail: outcome.detail });
    }
    transport.close();
    markDone();
  }

  // A server-initiated close waits for the client's CLOSE_CHANNEL_RESPONSE, but not forever.
  const terminate = tunnel.terminate.bind(tunnel);
  tunnel.terminate = (reason: TunnelEndReason, hresult?: number, detail?: string): void => {
    terminate(reason, hresult, detail);
    if (tunnel.state === 'closing' && !closeTimer) {
      target?.destroy();
      closeTimer = setTimeout(() => {
        transport.destroy();
        tunnel.transportClosed();
      }, CLOSE_HANDSHAKE_TIMEOUT_MS);
    }
  };

  return { terminate: (reason) => tunnel.terminate(reason), done };
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
