/**
 * "This PC" for the onboarding's first step: does something answer RDP on this machine's loopback or LAN addresses?
 * Each candidate gets one TCP connection carrying an X.224 Connection Request (with an RDP negotiation request, as
 * every client sends first); only an X.224 Connection Confirm counts, so a web server on 3389 is not mistaken for
 * Remote Desktop. Bounded: a handful of addresses, one short deadline each, all at once, every socket closed.
 */
import { networkInterfaces } from 'node:os';
import { performance } from 'node:perf_hooks';
import { connect } from 'node:net';
import type { LocalRdpServer } from '../../shared/model/onboarding.ts';

export const RDP_PORT = 3389;
export const LOCAL_RDP_TIMEOUT_MS = 800;
/** At most this many addresses are tried (loopback first). */
export const MAX_LOCAL_ADDRESSES = 8;

/** TPKT (4) + X.224 CR (7) + RDP_NEG_REQ asking for TLS or CredSSP (8). */
const CONNECTION_REQUEST = Buffer.from([
  0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00,
]);

/** A TPKT header (version 3) whose X.224 TPDU is a Connection Confirm (code 0xD0). */
export function isConnectionConfirm(reply: Buffer): boolean {
  return reply.length >= 6 && reply[0] === 0x03 && reply[1] === 0x00 && ((reply[5] ?? 0) & 0xf0) === 0xd0;
}

/** This machine's loopback address and its non-internal IPv4 addresses. */
export function localAddresses(): string[] {
  const lan = Object.values(networkInterfaces())
    .flat()
    .filter((info) => info !== undefined && info.family === 'IPv4' && !info.internal)
    .map((info) => info!.address);
  return [...new Set(['127.0.0.1', ...lan])].slice(0, MAX_LOCAL_ADDRESSES);
}

/** Whether `address:port` answers an RDP connection request within `timeoutMs`; its round trip if it does. */
export function probeRdp(address: string, port: number, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ host: address, port });
    let reply = Buffer.alloc(0);
    const finish = (answer: number | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('connect', () => socket.write(CONNECTION_REQUEST));
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]).subarray(0, 64);
      if (reply.length >= 6) {
        finish(isConnectionConfirm(reply) ? Math.round((performance.now() - started) * 10) / 10 : undefined);
      }
    });
    socket.on('error', () => finish(undefined));
    socket.on('close', () => finish(undefined));
  });
}

/** Every local address where RDP answers, loopback first. */
export async function findLocalRdp(
  options: { addresses?: readonly string[]; port?: number; timeoutMs?: number } = {},
): Promise<LocalRdpServer[]> {
  const port = options.port ?? RDP_PORT;
  const addresses = (options.addresses ?? localAddresses()).slice(0, MAX_LOCAL_ADDRESSES);
  const answers = await Promise.all(
    addresses.map((address) => probeRdp(address, port, options.timeoutMs ?? LOCAL_RDP_TIMEOUT_MS)),
  );
  return addresses.flatMap((address, index) => {
    const latencyMs = answers[index];
    return latencyMs === undefined ? [] : [{ address, port, latencyMs }];
  });
}
