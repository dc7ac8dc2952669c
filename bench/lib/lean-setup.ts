/**
 * Opens an MS-TSGU/WebSocket tunnel as FreeRDP does — TLS, the `RDG_OUT_DATA` upgrade, then handshake, tunnel
 * (PAA token), tunnel auth and channel, each sent only after the answer to the one before — with the least work on
 * the client's side, so the setup phase measures the gateway rather than the load generator. The test client
 * (`test/helpers/tsgu-client.ts`) checks every protocol detail and cost the bench more CPU per tunnel than the
 * gateway spent; this checks what a client must: the 101 and its accept value, and each answer's type and code.
 */
import { randomUUID } from 'node:crypto';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { unmaskInPlace } from '../../main/gateway/transport/websocket-frames.ts';
import { websocketAccept } from '../../main/gateway/transport/websocket.ts';
import {
  decodeServerPacket,
  encodeClientPacket,
  encodePaaCookie,
  type KnownClientPacket,
  type ServerPacket,
} from '../../main/gateway/tsgu/codec.ts';
import { CHANNEL_PROTOCOL_RDP, ExtendedAuth, HResult } from '../../main/gateway/tsgu/constants.ts';
import { FREERDP_CLIENT_CAPS, freerdpStyleKey } from '../../test/helpers/tsgu-client.ts';

const CRLF_CRLF = Buffer.from('\r\n\r\n');
/** A setup answer is a few dozen bytes; anything near this is not one. */
const MAX_SETUP_BYTES = 16 * 1024;

export interface LeanTunnelOptions {
  readonly tls: ConnectionOptions;
  readonly servername: string;
  readonly token: string;
  readonly target: { readonly name: string; readonly port: number };
  readonly timeoutMs: number;
}

/** One step: the packet sent and the answer it waits for, with the field carrying the answer's code. */
interface Step {
  readonly send: (options: LeanTunnelOptions) => KnownClientPacket;
  readonly answer: ServerPacket['type'];
}

const STEPS: readonly Step[] = [
  {
    send: () => ({
      type: 'handshake-request',
      verMajor: 1,
      verMinor: 0,
      clientVersion: 0,
      extendedAuth: ExtendedAuth.PAA,
    }),
    answer: 'handshake-response',
  },
  {
    send: (o) => ({ type: 'tunnel-create', capsFlags: FREERDP_CLIENT_CAPS, paaCookie: encodePaaCookie(o.token) }),
    answer: 'tunnel-response',
  },
  { send: () => ({ type: 'tunnel-auth', clientName: 'BENCH' }), answer: 'tunnel-auth-response' },
  {
    send: (o) => ({
      type: 'channel-create',
      resources: [o.target.name],
      altResources: [],
      port: o.target.port,
      protocol: CHANNEL_PROTOCOL_RDP,
    }),
    answer: 'channel-response',
  },
];

/** Resolves with the TLS socket once the channel is open (nothing of the tunnel's stream has been read yet). */
export function openLeanWebSocketTunnel(options: LeanTunnelOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const key = freerdpStyleKey();
    const socket = tlsConnect(options.tls);
    let pending: Buffer = Buffer.alloc(0);
    let upgraded = false;
    let step = 0;
    const timer = setTimeout(
      () => fail(new Error(`no open channel within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );

    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const onClose = (): void => fail(new Error(`the gateway closed the connection during setup (step ${step})`));
    const sendStep = (): void => {
      socket.write(maskedFrame(encodeClientPacket(STEPS[step].send(options))));
    };

    const onData = (chunk: Buffer): void => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      if (pending.length > MAX_SETUP_BYTES) return fail(new Error('the gateway sent too much during setup'));
      if (!upgraded) {
        const end = pending.indexOf(CRLF_CRLF);
        if (end < 0) return;
        const head = pending.subarray(0, end).toString('latin1');
        if (!head.startsWith('HTTP/1.1 101 ') || !head.includes(`Sec-WebSocket-Accept: ${websocketAccept(key)}`)) {
          return fail(new Error(`the upgrade was refused: ${head.split('\r\n')[0]}`));
        }
        upgraded = true;
        pending = pending.subarray(end + CRLF_CRLF.length);
        sendStep();
      }
      // Each answer is one unmasked binary frame with a 7- or 16-bit length.
      while (pending.length >= 2) {
        const length7 = pending[1] & 0x7f;
        const start = length7 === 126 ? 4 : 2;
        if (pending[0] !== 0x82 || length7 === 127) return fail(new Error('unexpected frame from the gateway'));
        if (pending.length < start) return;
        const length = length7 === 126 ? pending.readUInt16BE(2) : length7;
        if (pending.length < start + length) return;
        const packet = decodeServerPacket(pending.subarray(start, start + length));
        pending = pending.subarray(start + length);
        const expected = STEPS[step];
        const code = packet.type === 'tunnel-response' ? packet.statusCode : 'errorCode' in packet && packet.errorCode;
        if (packet.type !== expected.answer || code !== HResult.S_OK) {
          return fail(new Error(`step ${step}: expected ${expected.answer} with S_OK, got ${packet.type} ${code}`));
        }
        step++;
        if (step < STEPS.length) {
          sendStep();
          continue;
        }
        if (pending.length > 0) return fail(new Error('the gateway sent more than the channel response'));
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('error', fail);
        socket.off('close', onClose);
        socket.pause();
        resolve(socket);
        return;
      }
    };

    socket.once('secureConnect', () => {
      socket.setNoDelay(true);
      socket.write(upgradeRequest(options.servername, key));
    });
    socket.on('data', onData);
    socket.on('error', fail);
    socket.on('close', onClose);
  });
}

/** A client's binary frame (masked with a fresh key, as every client must) around `payload`; small payloads only. */
function maskedFrame(payload: Buffer): Buffer {
  const start = payload.length < 126 ? 6 : 8;
  const frame = Buffer.allocUnsafe(start + payload.length);
  frame[0] = 0x82;
  if (start === 6) frame[1] = 0x80 | payload.length;
  else {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(payload.length, 2);
  }
  const mask = frame.subarray(start - 4, start);
  crypto.getRandomValues(mask);
  payload.copy(frame, start);
  unmaskInPlace(frame.subarray(start), mask);
  return frame;
}

function upgradeRequest(servername: string, key: string): string {
  return (
    'RDG_OUT_DATA /remoteDesktopGateway/ HTTP/1.1\r\n' +
    'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-Websocket-Version: 13\r\n' +
    `Sec-Websocket-Key: ${key}\r\nContent-Length: 0\r\nHost: ${servername}\r\n` +
    `RDG-Connection-Id: {${randomUUID()}}\r\nRDG-Auth-Scheme: PAA\r\n\r\n`
  );
}
