/**
 * The HTTP side of the legacy two-channel transport: answers `RDG_OUT_DATA` (without upgrade) and `RDG_IN_DATA`,
 * pairs the two channels of a tunnel by `RDG-Connection-Id` and client address and hands each complete pair, as one
 * `LegacyHttpTransport`, to the caller's tunnel starter.
 *
 * An `RDG_IN_DATA` without a body is the client's first IN request: it is answered `200` + `Content-Length: 0` and
 * the connection is read on (keep-alive). The request that carries a body is the IN channel. Directly, FreeRDP sends
 * it on the same connection; through a reverse proxy it may arrive on a new connection — both end up here.
 */
import type { Logger } from '../../logging/logger.ts';
import { ChunkedDecoder, FixedLengthDecoder, type BodyDecoder } from '../transport/chunked-decoder.ts';
import { LegacyHttpTransport, legacyInResponse, legacyOutResponse } from '../transport/legacy-http.ts';
import {
  LegacyPairRegistry,
  type LegacyRole,
  type PairingLimits,
  type PairingRefusal,
  type PendingChannel,
} from '../transport/legacy-pairing.ts';
import { parseRdgConnectionId, tunnelRequestInfo, type TunnelRequestInfo } from './connection-id.ts';
import type { GatewayRequest } from './gateway-server.ts';
import type { RequestHead } from './request-head.ts';

/** A body longer than this in one declared Content-Length is refused (a chunked body has no total). */
export const MAX_FIXED_BODY_BYTES = 2 ** 40;

interface LegacyChannel extends PendingChannel {
  readonly rest: Buffer;
  readonly info: TunnelRequestInfo;
  /** IN only: how its body is framed. */
  readonly body?: BodyDecoder;
}

type BodyFraming =
  | { readonly kind: 'none' }
  | { readonly kind: 'chunked' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'invalid'; readonly status: 400 | 501; readonly reason: string };

export interface LegacyRouterOptions {
  readonly logger: Logger;
  readonly limits: () => PairingLimits;
  /** Runs a tunnel over a complete pair; the returned promise settles when the tunnel has ended. */
  readonly startTunnel: (transport: LegacyHttpTransport, info: TunnelRequestInfo) => Promise<void>;
  /** Told when a channel was closed without its partner (it waited too long, or lost its place to a flood). */
  readonly onUnpaired?: (channel: { readonly role: LegacyRole; readonly clientAddress: string }) => void;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  409: 'Conflict',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

export class LegacyHttpRouter {
  readonly #logger: Logger;
  readonly #startTunnel: (transport: LegacyHttpTransport, info: TunnelRequestInfo) => Promise<void>;
  readonly #registry: LegacyPairRegistry<LegacyChannel>;
  #closed = false;

  constructor(options: LegacyRouterOptions) {
    this.#logger = options.logger;
    this.#startTunnel = options.startTunnel;
    this.#registry = new LegacyPairRegistry<LegacyChannel>(options.limits, (channel) => {
      this.#logger.info('legacy channel expired waiting for its partner', {
        client: channel.clientAddress,
        channel: channel.role,
        connectionId: channel.id,
      });
      options.onUnpaired?.({ role: channel.role, clientAddress: channel.clientAddress });
    });
  }

  /** Handles `RDG_OUT_DATA` without an upgrade, and `RDG_IN_DATA`. Owns the socket from then on. */
  handle(request: GatewayRequest): void {
    const { head, socket, remoteAddress } = request;
    // After shutdown began, a request still arriving on a kept-alive connection must not start a tunnel.
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const id = parseRdgConnectionId(head.headers.get('rdg-connection-id'));
    if (!id) return this.#reject(request, 400, 'missing or malformed RDG-Connection-Id');
    const body = bodyFraming(head);
    if (body.kind === 'invalid') return this.#reject(request, body.status, body.reason);

    if (head.method === 'RDG_OUT_DATA') {
      if (body.kind !== 'none') return this.#reject(request, 400, 'RDG_OUT_DATA with a body');
      const channel: LegacyChannel = {
        role: 'out',
        id,
        clientAddress: remoteAddress,
        socket,
        rest: request.rest,
        info: tunnelRequestInfo(head.headers),
      };
      const result = this.#registry.offer(channel);
      if (result.outcome === 'refused') return this.#refuse(request, result.refusal);
      socket.write(legacyOutResponse());
      // Read on while waiting, so that a client that gives up frees its slot at once.
      socket.on('data', () => undefined);
      socket.resume();
      if (result.outcome === 'paired') this.#pair(result.out, result.in);
      return;
    }
    if (head.method !== 'RDG_IN_DATA') return this.#reject(request, 400, `unexpected method ${head.method}`);

    if (body.kind === 'none') {
      // The first IN request: accept it, then read the request that will carry the packets.
      const refusal = this.#registry.check('in', id, remoteAddress);
      if (refusal) return this.#refuse(request, refusal);
      socket.write(legacyInResponse());
      request.readNext();
      return;
    }
    const decoder = body.kind === 'chunked' ? new ChunkedDecoder() : new FixedLengthDecoder(body.length);
    const channel: LegacyChannel = {
      role: 'in',
      id,
      clientAddress: remoteAddress,
      socket,
      rest: request.rest,
      info: tunnelRequestInfo(head.headers),
      body: decoder,
    };
    const result = this.#registry.offer(channel);
    if (result.outcome === 'refused') return this.#refuse(request, result.refusal);
    // Paused until paired: the client's first packets wait in the kernel's buffers, not in ours.
    if (result.outcome === 'paired') this.#pair(result.out, result.in);
  }

  /** Drops every channel still waiting for its partner and refuses new ones (shutdown). */
  close(): void {
    this.#closed = true;
    this.#registry.close();
  }

  #pair(out: LegacyChannel, input: LegacyChannel): void {
    const transport = new LegacyHttpTransport(
      { out: out.socket, in: input.socket, inRest: input.rest, inBody: input.body ?? new ChunkedDecoder() },
      out.clientAddress,
    );
    this.#logger.debug('legacy channels paired', { client: out.clientAddress, connectionId: out.id });
    // FreeRDP sends the same correlation id on both channels; the OUT request's wins.
    const info = out.info.correlationId === undefined ? input.info : out.info;
    void this.#startTunnel(transport, info);
  }

  #refuse(request: GatewayRequest, refusal: PairingRefusal): void {
    this.#reject(request, refusal.status, refusal.reason);
  }

  #reject(request: GatewayRequest, status: number, reason: string): void {
    this.#logger.info('gateway request refused', {
      client: request.remoteAddress,
      ...(request.peerAddress === request.remoteAddress ? {} : { peer: request.peerAddress }),
      method: request.head.method,
      target: request.head.target,
      status,
      reason,
    });
    request.socket.end(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    );
  }
}

/** How the request's body is framed (RFC 9112 §6.3), refusing the combinations used for request smuggling. */
function bodyFraming(head: RequestHead): BodyFraming {
  const transferEncoding = head.headers.get('transfer-encoding');
  const contentLength = head.headers.get('content-length');
  if (transferEncoding !== undefined) {
    if (contentLength !== undefined) {
      return { kind: 'invalid', status: 400, reason: 'both Transfer-Encoding and Content-Length' };
    }
    // Only plain `chunked`: a list such as `gzip, chunked` is a coding we would have to undo. The head parser has
    // trimmed HTTP's white space; trim() would also eat VT and FF and see `chunked` where a proxy does not.
    if (transferEncoding.toLowerCase() !== 'chunked') {
      return { kind: 'invalid', status: 501, reason: `unsupported Transfer-Encoding ${transferEncoding}` };
    }
    return { kind: 'chunked' };
  }
  if (contentLength === undefined) return { kind: 'none' };
  // Repeated headers were joined with ", "; differing or malformed values are refused.
  if (!/^\d{1,15}$/.test(contentLength)) return { kind: 'invalid', status: 400, reason: 'malformed Content-Length' };
  const length = Number(contentLength);
  if (length > MAX_FIXED_BODY_BYTES) return { kind: 'invalid', status: 400, reason: 'Content-Length too large' };
  return length === 0 ? { kind: 'none' } : { kind: 'length', length };
}
