/**
 * The transports the bench compares, as a list: baselines (direct TCP, nginx's TLS stream relay, a bare Node TLS
 * relay) and every Homegate carrier. Each opens a `BenchStream` — tunnel payload in and out — so every phase runs
 * unchanged over each row. A carrier whose code is not in the tree yet is listed with the reason it is skipped.
 */
import { existsSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, type SecureContext, type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { MAX_DATA_PAYLOAD_BYTES } from '../../main/gateway/tsgu/constants.ts';
import { openLegacyTunnel } from '../../test/helpers/legacy-client.ts';
import { encodePreconnectionPdu } from '../../main/relay/pcb.ts';
import { openTunnel } from '../../test/helpers/tsgu-client.ts';
import { Command, COMMAND_BYTES } from '../target-server.ts';
import { TARGET_HOST_NAME, type GatewayProcess } from './gateway.ts';
import { LeanLegacyStream, LeanWebSocketStream } from './lean-streams.ts';
import { QueuedStream, describeTls } from './queued-stream.ts';
import type { NginxRelay } from './nginx.ts';
import type { NodeRelay } from './node-relay.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Tunnel payload both ways, whatever carries it. */
export interface BenchStream {
  /**
   * Queues payload; false when the caller should wait for `drain()`. With `unchanging`, the caller promises never
   * to change these bytes, so a stream may reuse what it built around them when they are written again.
   */
  write(data: Buffer, unchanging?: boolean): boolean;
  drain(): Promise<void>;
  /** The next payload bytes received (any split); rejects on timeout or when the stream closed. */
  read(timeoutMs: number): Promise<Buffer>;
  destroy(): void;
  /** Negotiated TLS protocol and cipher, when the client side speaks TLS. */
  readonly tls: { readonly protocol: string; readonly cipher: string; readonly resumed: boolean } | undefined;
}

/** What a client needs of a relay: plain data, so that a child process (the RDP-like probe) can open streams too. */
export type GatewayEndpoint = Pick<GatewayProcess, 'port' | 'relayPort' | 'caPem'>;
export type NginxEndpoint = Pick<NginxRelay, 'port' | 'tcpPort' | 'certPem'>;
export type NodeRelayEndpoint = Pick<NodeRelay, 'port' | 'certPem'>;

export interface TransportContext {
  readonly targetPort: number;
  /** The allowed host's name the gateway is asked for (`TARGET_HOST_NAME` unless set). */
  readonly targetName?: string;
  readonly gateway?: GatewayEndpoint;
  readonly nginx?: NginxEndpoint;
  /** The bare Node TLS relay: the least a Node relay costs, beside nginx. */
  readonly nodeRelay?: NodeRelayEndpoint;
  readonly timeoutMs: number;
  /** A fresh token for the next Homegate tunnel: PAA for MS-TSGU, ASSOCIATION for the relay. */
  readonly nextToken: (kind: TokenKind) => string;
  /** Client TLS contexts built once per relay (as a long-running client keeps one), keyed by transport id. */
  readonly clientTls: ReadonlyMap<string, SecureContext>;
  /** When set, each TLS transport offers its last session for resumption and keeps the newest one here. */
  readonly tlsSessions?: Map<string, Buffer>;
  /**
   * The loopback address to connect from (127.0.0.0/8), so that concurrent openers are different clients: the
   * gateway's per-address caps on unproven connections are sized for one client's handful.
   */
  readonly localAddress?: string;
}

const from = (context: TransportContext): { localAddress?: string } =>
  context.localAddress === undefined ? {} : { localAddress: context.localAddress };

export type TokenKind = 'paa' | 'association';

export interface Transport {
  readonly id: string;
  readonly label: string;
  /** Homegate's own carriers are measured against the baselines. */
  readonly homegate: boolean;
  /** The row a Homegate carrier is measured against (same work: TLS termination or not). */
  readonly baseline?: string;
  /** The bench's client can offer a TLS session for resumption on this row. */
  readonly resumable: boolean;
  /** Why the row is skipped, when it is. */
  unavailable(context: TransportContext): string | undefined;
  open(context: TransportContext): Promise<BenchStream>;
}

/** Whatever the socket receives is payload (direct TCP, nginx). */
class SocketStream extends QueuedStream {
  readonly tls: BenchStream['tls'];
  readonly #socket: Socket;

  constructor(socket: Socket, timeoutMs: number, tls?: TLSSocket) {
    super(socket, timeoutMs);
    this.#socket = socket;
    this.tls = tls ? describeTls(tls) : undefined;
  }

  write(data: Buffer): boolean {
    return this.#socket.write(data);
  }

  destroy(): void {
    this.#socket.destroy();
  }

  protected get sink(): Socket {
    return this.#socket;
  }

  protected parse(chunk: Buffer): void {
    this.deliver(chunk);
  }
}

/**
 * Keeps the newest TLS session ticket the socket receives in `sessions` under `id`, and returns a wait (bounded)
 * for the first one: Node's TLS server sends tickets after a full handshake only, nginx after every one.
 */
function keepTickets(socket: TLSSocket, sessions: Map<string, Buffer>, id: string, timeoutMs: number) {
  let arrived = false;
  let wake = (): void => undefined;
  // Node emits 'session' from inside OpenSSL's read of the ticket, and a promise continuation would run there too:
  // a write from it re-enters the TLS socket (against Node's own TLS server the next record came out corrupt, "bad
  // record mac"). Waking the waiter on the next turn keeps the caller's writes out of that read.
  socket.once('session', () =>
    setImmediate(() => {
      arrived = true;
      wake();
    }),
  );
  socket.on('session', (ticket: Buffer) => sessions.set(id, ticket));
  return (): Promise<void> =>
    arrived
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no TLS session ticket within ${timeoutMs} ms`)), timeoutMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
}

function connected<T extends Socket>(socket: T, event: 'connect' | 'secureConnect', timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once(event, () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * A TLS connection to a relay whose every payload byte goes to the target (nginx, the bare Node relay). With
 * `context.tlsSessions` it offers the row's last session and keeps the newest ticket.
 */
async function openTlsRelay(id: string, port: number, ca: string, context: TransportContext): Promise<BenchStream> {
  const session = context.tlsSessions?.get(id);
  const tls = tlsConnect({
    host: '127.0.0.1',
    port,
    ...from(context),
    servername: 'localhost',
    ca,
    secureContext: context.clientTls.get(id),
    ...(session ? { session } : {}),
  });
  // TLS 1.3 tickets arrive after the handshake: after a full one, wait (bounded) for a ticket before going on, so
  // that the next connection has one to offer; after a resumed one, the next offers the newest ticket kept so far.
  const firstTicket = context.tlsSessions ? keepTickets(tls, context.tlsSessions, id, context.timeoutMs) : undefined;
  const socket = await connected(tls, 'secureConnect', context.timeoutMs);
  socket.setNoDelay(true);
  try {
    if (firstTicket && !socket.isSessionReused()) await firstTicket();
  } catch (error) {
    socket.destroy();
    throw error;
  }
  return new SocketStream(socket, context.timeoutMs, socket);
}

const missing = (relativePath: string): string | undefined =>
  existsSync(join(ROOT, relativePath)) ? undefined : `${relativePath} is not in the tree yet`;

export const TRANSPORTS: readonly Transport[] = [
  {
    id: 'direct',
    resumable: false,
    label: 'direct TCP',
    homegate: false,
    unavailable: () => undefined,
    async open(context) {
      const socket = await connected(
        netConnect({ host: '127.0.0.1', port: context.targetPort, noDelay: true, ...from(context) }),
        'connect',
        context.timeoutMs,
      );
      return new SocketStream(socket, context.timeoutMs);
    },
  },
  {
    id: 'nginx',
    resumable: true,
    label: 'nginx TLS stream relay',
    homegate: false,
    unavailable: (context) => (context.nginx ? undefined : 'nginx with the stream module is not available'),
    open(context) {
      const nginx = context.nginx as NginxEndpoint;
      return openTlsRelay('nginx', nginx.port, nginx.certPem, context);
    },
  },
  {
    id: 'node-tls',
    resumable: true,
    label: 'bare Node TLS relay (pipe)',
    homegate: false,
    unavailable: (context) => (context.nodeRelay ? undefined : 'the bare Node relay is not running'),
    open(context) {
      const relay = context.nodeRelay as NodeRelayEndpoint;
      return openTlsRelay('node-tls', relay.port, relay.certPem, context);
    },
  },
  {
    id: 'homegate-websocket',
    resumable: true,
    label: 'Homegate MS-TSGU/WebSocket',
    homegate: true,
    baseline: 'nginx',
    unavailable: (context) => (context.gateway ? undefined : 'no gateway running'),
    async open(context) {
      const gateway = context.gateway as GatewayEndpoint;
      const session = context.tlsSessions?.get('homegate-websocket');
      const secureContext = context.clientTls.get('homegate-websocket');
      const client = await openTunnel(
        {
          host: '127.0.0.1',
          port: gateway.port,
          ...from(context),
          ca: gateway.caPem,
          servername: 'localhost',
          timeoutMs: context.timeoutMs,
          ...(secureContext ? { secureContext } : {}),
          ...(session ? { session } : {}),
        },
        context.nextToken('paa'),
        { name: context.targetName ?? TARGET_HOST_NAME, port: context.targetPort },
      );
      // By now (four round trips after the handshake) the server's session ticket has arrived.
      const ticket = context.tlsSessions ? client.socket.getSession() : undefined;
      if (ticket) context.tlsSessions?.set('homegate-websocket', ticket);
      return new LeanWebSocketStream(client, context.timeoutMs);
    },
  },
  {
    id: 'homegate-legacy-http',
    resumable: false,
    label: 'Homegate MS-TSGU/legacy HTTP',
    homegate: true,
    baseline: 'nginx',
    unavailable: (context) =>
      missing('main/gateway/transport/legacy-http.ts') ?? (context.gateway ? undefined : 'no gateway running'),
    async open(context) {
      const gateway = context.gateway as GatewayEndpoint;
      const client = await openLegacyTunnel(
        {
          host: '127.0.0.1',
          port: gateway.port,
          ...from(context),
          ca: gateway.caPem,
          servername: 'localhost',
          timeoutMs: context.timeoutMs,
        },
        context.nextToken('paa'),
        { name: context.targetName ?? TARGET_HOST_NAME, port: context.targetPort },
      );
      return new LeanLegacyStream(client, context.timeoutMs);
    },
  },
  {
    id: 'nginx-tcp',
    resumable: false,
    label: 'nginx TCP stream relay',
    homegate: false,
    unavailable: (context) => (context.nginx ? undefined : 'nginx with the stream module is not available'),
    async open(context) {
      const nginx = context.nginx as NginxEndpoint;
      const socket = await connected(
        netConnect({ host: '127.0.0.1', port: nginx.tcpPort, noDelay: true, ...from(context) }),
        'connect',
        context.timeoutMs,
      );
      return new SocketStream(socket, context.timeoutMs);
    },
  },
  {
    id: 'homegate-relay',
    resumable: false,
    label: 'Homegate TCP relay (PCB token)',
    homegate: true,
    baseline: 'nginx-tcp',
    unavailable: (context) =>
      missing('main/relay/listener.ts') ??
      (context.gateway?.relayPort === undefined ? 'the gateway has no relay listener' : undefined),
    async open(context) {
      const gateway = context.gateway as GatewayEndpoint;
      const socket = await connected(
        netConnect({ host: '127.0.0.1', port: gateway.relayPort as number, noDelay: true, ...from(context) }),
        'connect',
        context.timeoutMs,
      );
      const stream = new SocketStream(socket, context.timeoutMs);
      // The preconnection PDU carries the token (as mstsc sends `pcb:s:`); the relay answers nothing itself, so a
      // ping through to the target proves it authorised and dialled.
      socket.write(encodePreconnectionPdu(context.nextToken('association'), { trailingNuls: 2 }));
      stream.write(Buffer.from([Command.PING]));
      try {
        const pong = await readExactly(stream, 1, context.timeoutMs);
        if (pong[0] !== Command.PING) throw new Error('the relay path answered something else than the ping');
      } catch (error) {
        stream.destroy();
        throw error;
      }
      return stream;
    },
  },
];

/** `[command, u64be n]`, the target's command header. */
export function commandHeader(command: number, length: number): Buffer {
  const header = Buffer.alloc(COMMAND_BYTES);
  header[0] = command;
  header.writeBigUInt64BE(BigInt(length), 1);
  return header;
}

/** Switches a fresh stream's target connection to echo mode. */
export function startEcho(stream: BenchStream): void {
  stream.write(Buffer.from([Command.ECHO]));
}

/** Reads exactly `n` bytes, returned as one buffer (small reads only: echo replies). */
export async function readExactly(stream: BenchStream, n: number, timeoutMs: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  while (have < n) {
    const chunk = await stream.read(timeoutMs);
    parts.push(chunk);
    have += chunk.length;
  }
  if (have > n) throw new Error(`expected ${n} bytes, got ${have}`);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, n);
}

/** Reads and drops exactly `n` bytes. */
export async function discard(stream: BenchStream, n: number, timeoutMs: number): Promise<void> {
  let have = 0;
  while (have < n) have += (await stream.read(timeoutMs)).length;
  if (have > n) throw new Error(`expected ${n} bytes, got ${have}`);
}

/** Writes `total` bytes of `block` in `chunkBytes` pieces, honouring backpressure. */
export async function writeBulk(stream: BenchStream, block: Buffer, total: number, chunkBytes: number): Promise<void> {
  const size = Math.min(chunkBytes, MAX_DATA_PAYLOAD_BYTES, block.length);
  let left = total;
  while (left > 0) {
    const n = Math.min(size, left);
    left -= n;
    if (!stream.write(n === size ? block.subarray(0, size) : block.subarray(0, n), true)) await stream.drain();
  }
}
