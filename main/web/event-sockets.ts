/**
 * The web admin's event stream: WebSockets at /admin/api/events (`ws` with `noServer`), one way, bounded in number,
 * pinged, closed when their session ends and dropped when they stop reading. The events are watched only while a
 * socket is open: with no browser watching, the gateway builds no session list.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventName, EventPayload } from '../../shared/ipc/contract.ts';
import type { EventMessage } from '../../shared/web/protocol.ts';
import type { EmitEvent } from '../ipc/events.ts';
import type { Logger } from '../logging/logger.ts';
import type { AdminSession, AdminSessionTable } from './admin-sessions.ts';

export const MAX_EVENT_SOCKETS = 32;
/** An event socket with more than this unsent is not reading: it is dropped rather than buffered without end. */
export const MAX_EVENT_SOCKET_BUFFER_BYTES = 1024 * 1024;
/** How often event sockets are pinged and checked against their session. */
export const EVENT_SOCKET_CHECK_MS = 15_000;

interface EventSocket {
  readonly sessionKey: string;
  alive: boolean;
}

export class EventSockets {
  readonly #sessions: AdminSessionTable;
  readonly #logger: Logger;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 1024, perMessageDeflate: false });
  readonly #sockets = new Map<WebSocket, EventSocket>();
  readonly #checkMs: number;
  readonly #watch: (emit: EmitEvent) => () => void;
  #stopWatching: (() => void) | undefined;
  // Runs only while a socket is open: with no browser connected the gateway has nothing to ping (idle cost).
  #checker: NodeJS.Timeout | undefined;
  #closed = false;

  /** `watch` subscribes to the events to broadcast (answering a disposer): called when the first socket opens. */
  constructor(
    sessions: AdminSessionTable,
    logger: Logger,
    watch: (emit: EmitEvent) => () => void,
    checkMs = EVENT_SOCKET_CHECK_MS,
  ) {
    this.#sessions = sessions;
    this.#logger = logger;
    this.#watch = watch;
    this.#checkMs = checkMs;
  }

  get size(): number {
    return this.#sockets.size;
  }

  get full(): boolean {
    return this.#sockets.size >= MAX_EVENT_SOCKETS;
  }

  /** Accepts an upgrade already checked (path, method, origin, session, room). */
  accept(request: IncomingMessage, socket: Socket, head: Buffer, session: AdminSession): void {
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      if (this.#closed || !this.#sessions.isLive(session.key)) {
        ws.close(1008, 'session ended');
        return;
      }
      const info: EventSocket = { sessionKey: session.key, alive: true };
      this.#sockets.set(ws, info);
      ws.on('pong', () => (info.alive = true));
      // The stream is one way; anything the browser sends is ignored (and bounded by maxPayload).
      ws.on('message', () => undefined);
      ws.on('error', () => undefined);
      ws.on('close', () => {
        this.#sockets.delete(ws);
        if (this.#sockets.size === 0) this.#stop();
      });
      if (!this.#checker) {
        this.#checker = setInterval(() => this.#check(), this.#checkMs);
        this.#checker.unref();
      }
      this.#stopWatching ??= this.#watch((event, payload) => this.broadcast(event, payload));
    });
  }

  broadcast<N extends EventName>(event: N, payload: EventPayload<N>): void {
    if (this.#sockets.size === 0) return;
    const message: EventMessage = { event, payload };
    const text = JSON.stringify(message);
    for (const socket of this.#sockets.keys()) {
      if (socket.readyState !== socket.OPEN) continue;
      if (socket.bufferedAmount > MAX_EVENT_SOCKET_BUFFER_BYTES) {
        this.#logger.warn('web admin event socket dropped: it stopped reading');
        socket.terminate();
        continue;
      }
      socket.send(text);
    }
  }

  /** Closes the sockets of one session (`sessionKey`), or of every session. */
  closeSession(sessionKey: string | undefined, why: string, code = 1008): void {
    for (const [socket, info] of this.#sockets) {
      if (sessionKey === undefined || info.sessionKey === sessionKey) socket.close(code, why);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop();
    this.closeSession(undefined, 'the gateway is stopping', 1001);
    this.#wss.close();
  }

  #stop(): void {
    clearInterval(this.#checker);
    this.#checker = undefined;
    this.#stopWatching?.();
    this.#stopWatching = undefined;
  }

  #check(): void {
    for (const [socket, info] of this.#sockets) {
      if (!this.#sessions.isLive(info.sessionKey)) {
        socket.close(1008, 'session ended');
      } else if (!info.alive) {
        socket.terminate();
      } else {
        info.alive = false;
        socket.ping();
      }
    }
  }
}
