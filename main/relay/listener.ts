import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Host } from '../../shared/model/hosts.ts';
import type { AssociationInfo, SessionEndReason } from '../../shared/model/sessions.ts';
import type { Logger } from '../logging/logger.ts';
import type { AuditSink } from '../sessions/audit-log.ts';
import type { SessionHandle, SessionRegistry } from '../sessions/registry.ts';
import { PendingLimiter } from '../util/pending-limiter.ts';
import type { Connected, Connector } from './connector.ts';
import { DialError, PcbError, RelayRefusal } from './errors.ts';
import { DEFAULT_MAX_PCB_BYTES, PreconnectionPduReader } from './pcb.ts';
import { pipeSockets, type PipeOutcome } from './pipe.ts';

/** The relay's limits, read at each accept (the settings' `limits`; see main/config/schema.ts). */
export interface RelayLimits {
  /** From accept to a complete preconnection PDU (absolute: bytes trickling in do not extend it). */
  readonly relayPduSeconds: number;
  /** Connections held at once, relaying or not; protects the process, not a per-user quota. */
  readonly maxRelayConnections: number;
  /** Connections still reading their PDU or having its token checked, in all and per address (/64 for IPv6). */
  readonly maxPendingRelayConnections: number;
  readonly maxPendingRelayConnectionsPerAddress: number;
}

/** What a verified ASSOCIATION token allows, as the relay needs it. */
export interface RelayGrant {
  readonly tokenId: string;
  readonly association: AssociationInfo;
  /** The allowed hosts its targets designate, in the token's order (`dst_hst`, then `dst_alt`). */
  readonly hosts: readonly Host[];
  /** The verified claims, for matching a later revocation list against the live session. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** The relay's policy, injected by the composition root (tokens, allowlist and replay live in security/). */
export interface RelayPolicy {
  /** Verifies the token from the PDU and maps its targets to allowed hosts; throws `RelayRefusal`. */
  authorize(token: string, clientAddress: string): Promise<RelayGrant>;
}

export interface RelayDeps {
  readonly policy: RelayPolicy;
  readonly connector: Connector;
  readonly sessions: SessionRegistry;
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly limits: () => RelayLimits;
  readonly maxPcbBytes?: number;
}

/**
 * The TCP relay, Devolutions-style: a plain TCP listener whose clients send an RDP preconnection PDU carrying an
 * ASSOCIATION token. The PDU is read (bounded in size and time) and consumed — it is never forwarded, since a
 * stock RDP server rejects it — the token is checked, an allowed target is dialled, and from then on bytes flow
 * both ways untouched. Nothing is dialled for a client that has not presented a valid token.
 */
export class RelayServer {
  readonly #deps: RelayDeps;
  readonly #server: Server;
  readonly #live = new Set<Socket>();
  /** Client sockets whose session is open (relaying). */
  readonly #relaying = new WeakSet<Socket>();
  /** How to end each open session, for shutdown. */
  readonly #terminators = new Set<(reason: SessionEndReason) => void>();
  #drained: (() => void)[] = [];
  readonly #pending: PendingLimiter;
  #accepting = true;

  constructor(deps: RelayDeps) {
    this.#deps = deps;
    this.#pending = new PendingLimiter(() => {
      const limits = deps.limits();
      return { max: limits.maxPendingRelayConnections, maxPerAddress: limits.maxPendingRelayConnectionsPerAddress };
    });
    this.#server = createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 30_000 }, (socket) =>
      this.#accept(socket),
    );
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  /** Connections open now (reading a PDU, being authorised, or relaying). */
  get connections(): number {
    return this.#live.size;
  }

  /** Stops accepting; connections already open are their sessions' to end. */
  stopAccepting(): void {
    this.#accepting = false;
    if (this.#server.listening) this.#server.close();
  }

  /** Drops every connection that is not relaying yet, and ends every session with `reason`. */
  terminateAll(reason: SessionEndReason): void {
    for (const socket of this.#live) if (!this.#relaying.has(socket)) socket.destroy();
    for (const terminate of [...this.#terminators]) terminate(reason);
  }

  /** Resolves once every connection has closed. */
  drained(): Promise<void> {
    if (this.#live.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  #accept(socket: Socket): void {
    const client = socket.remoteAddress ?? 'unknown';
    socket.on('error', () => undefined);
    const slot =
      this.#accepting && this.#live.size < this.#deps.limits().maxRelayConnections
        ? this.#pending.admit(client, () => socket.destroy())
        : undefined;
    if (!slot) {
      // Debug only: under a connection flood, a line per dropped connection would flood the log itself.
      this.#deps.logger.debug('relay connection dropped: too many connections being set up', { client });
      socket.destroy();
      return;
    }
    this.#live.add(socket);
    socket.once('close', () => {
      slot.release();
      this.#live.delete(socket);
      if (this.#live.size > 0) return;
      const waiting = this.#drained;
      this.#drained = [];
      for (const resolve of waiting) resolve();
    });
    void this.#setUp(socket, client, slot.release)
      .catch((error: unknown) => {
        this.#deps.logger.error('relay connection setup failed', { client, error });
        socket.destroy();
      })
      .finally(slot.release);
  }

  /** Reads the PDU and checks its token; `authorized` frees the pending place once that is done. */
  async #setUp(socket: Socket, client: string, authorized: () => void): Promise<void> {
    const { logger } = this.#deps;
    let read: { token: string; rest: Buffer };
    try {
      read = await this.#readPdu(socket);
    } catch (error) {
      if (error instanceof RelayRefusal) this.#refuse(socket, client, 'pcb', error);
      else socket.destroy();
      return;
    }

    let grant: RelayGrant;
    try {
      grant = await this.#deps.policy.authorize(read.token, client);
    } catch (error) {
      if (!(error instanceof RelayRefusal)) throw error;
      this.#refuse(socket, client, error.stage, error);
      return;
    }
    authorized();
    if (socket.destroyed) {
      this.#refuse(socket, client, 'connect', new RelayRefusal('target', 'client-closed', 'the client left'));
      return;
    }

    // Cancel the dial (and any wake-on-LAN wait) if the client gives up meanwhile.
    const abort = new AbortController();
    const onClose = (): void => abort.abort();
    socket.once('close', onClose);
    let connected: Awaited<ReturnType<Connector['connect']>>;
    try {
      connected = await this.#deps.connector.connect(grant.hosts, abort.signal);
    } catch (error) {
      const failure = error instanceof DialError ? error.failure : abort.signal.aborted ? 'client-closed' : 'error';
      const message = error instanceof Error ? error.message : String(error);
      this.#refuse(socket, client, 'connect', new RelayRefusal('target', failure, message, grant.tokenId), grant);
      return;
    } finally {
      socket.off('close', onClose);
    }
    const target = connected.socket;
    if (socket.destroyed) {
      target.destroy();
      this.#refuse(socket, client, 'connect', new RelayRefusal('target', 'client-closed', 'the client left'), grant);
      return;
    }
    this.#relay(socket, client, connected, grant, read.rest);
    logger.debug('relay connected', { client, host: connected.host.name, woken: connected.woken });
  }

  /** Reads the PDU and no further; the socket is left paused. */
  #readPdu(socket: Socket): Promise<{ token: string; rest: Buffer }> {
    const reader = new PreconnectionPduReader({ maxBytes: this.#deps.maxPcbBytes ?? DEFAULT_MAX_PCB_BYTES });
    const timeoutMs = this.#deps.limits().relayPduSeconds * 1000;
    return new Promise((resolve, reject) => {
      const finish = (result: { token: string; rest: Buffer } | RelayRefusal): void => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.off('close', onEnd);
        socket.pause();
        if (result instanceof RelayRefusal) reject(result);
        else resolve(result);
      };
      const timer = setTimeout(
        () => finish(new RelayRefusal('token', 'timeout', `no complete preconnection PDU within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onData = (chunk: Buffer): void => {
        try {
          const result = reader.push(chunk);
          if (result) finish({ token: result.pdu.blob, rest: result.rest });
        } catch (error) {
          if (!(error instanceof PcbError)) throw error;
          finish(new RelayRefusal('token', error.failure, error.message));
        }
      };
      const onEnd = (): void =>
        finish(
          new RelayRefusal(
            'token',
            reader.buffered === 0 ? 'no-data' : 'client-closed',
            'the client closed before the end of its preconnection PDU',
          ),
        );
      socket.on('data', onData);
      socket.once('end', onEnd);
      socket.once('close', onEnd);
    });
  }

  #relay(client: Socket, clientAddress: string, connected: Connected, grant: RelayGrant, rest: Buffer): void {
    const { sessions, logger } = this.#deps;
    const { socket: target, host, woken } = connected;
    let endReason: SessionEndReason | undefined;
    // The counters run only on socket events, which come after `session` below is assigned.
    const pipe = pipeSockets(client, target, {
      toTarget: (bytes) => session.countToTarget(bytes),
      toClient: (bytes) => session.countToClient(bytes),
    });
    const terminate = (reason: SessionEndReason): void => {
      endReason ??= reason;
      pipe.destroy();
    };
    const session: SessionHandle = sessions.open({
      transport: 'relay',
      clientAddress,
      clientName: undefined,
      tokenId: grant.tokenId,
      host: host.name,
      target: `${target.remoteAddress ?? host.address}:${target.remotePort ?? host.port}`,
      association: grant.association,
      tokenClaims: grant.claims,
      ...(woken ? { woken } : {}),
      terminate,
    });
    this.#terminators.add(terminate);
    this.#relaying.add(client);
    logger.info('relay session open', { session: session.id, client: clientAddress, host: host.name });
    // The bytes that came with the PDU are the start of the RDP stream (the X.224 request): they go first.
    if (rest.length > 0) {
      session.countToTarget(rest.length);
      target.write(rest);
    }
    client.resume();
    void pipe.done.then((outcome) => {
      this.#terminators.delete(terminate);
      const reason = endReason ?? toSessionEndReason(outcome);
      session.end(reason, outcome.error?.message);
      logger.info('relay session closed', { session: session.id, reason });
    });
  }

  #refuse(socket: Socket, client: string, stage: string, refusal: RelayRefusal, grant?: RelayGrant): void {
    socket.destroy();
    // A connection that sent nothing at all (a port probe) is not worth an audit line.
    if (refusal.failure === 'no-data') {
      this.#deps.logger.debug('relay connection closed without data', { client });
      return;
    }
    const tokenId = refusal.tokenId ?? grant?.tokenId;
    this.#deps.audit.record({
      event: 'tunnel.refused',
      transport: 'relay',
      client,
      stage,
      failure: refusal.failure,
      detail: refusal.message,
      ...(tokenId === undefined ? {} : { tokenId }),
      ...(grant ? { host: grant.hosts[0]?.name } : {}),
    });
    this.#deps.logger.info('relay connection refused', { client, stage, failure: refusal.failure });
  }
}

function toSessionEndReason(outcome: PipeOutcome): SessionEndReason {
  switch (outcome.reason) {
    case 'client-closed':
      return 'client-closed';
    case 'target-closed':
      return 'target-closed';
    case 'client-error':
      return 'transport-error';
    case 'target-error':
      return 'target-error';
  }
}
