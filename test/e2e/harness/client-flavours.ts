/**
 * The RDP clients the e2e matrix runs, as flavours of one harness: Debian's FreeRDP 2.11 (`xfreerdp`) and FreeRDP
 * 3.10 from bookworm-backports (`xfreerdp3`). A test file loops over `CLIENT_FLAVOURS` and asks the flavour for what
 * differs between them (the gateway option, where a command-line gateway must listen, how a held session shows);
 * everything else is the same test. Facts seen here, each checked by the matrix itself:
 *
 * FreeRDP 2.11.7: `/g:HOST:PORT /gt:http[,no-websockets] /gat:TOKEN`; `+auth-only` goes to CONNECTION_STATE_ACTIVE
 * and exits 0; state changes are logged by com.freerdp.core.connection.
 *
 * FreeRDP 3.10.3: `/g`, `/gt`, `/gat` are gone ("Unexpected keyword", exit 23); the gateway option is
 * `/gateway:g:HOST[:PORT],type:http[,no-websockets],access-token:TOKEN`, and the client dials port 443 whatever port
 * `g:` names (an .rdp file's `gatewayhostname:s:HOST:PORT` port is honoured). `+auth-only` stops after
 * CONFIRM_ACTIVE, before ACTIVE, and exits 131 even on success (it logs "Authentication only, exit status 1"), so
 * a session is judged held when the client logs ACTIVE and then the end of a first screen update (a surface frame
 * marker), and the audit log says what the gateway served. State changes are logged by com.freerdp.core.rdp.
 * It sends `User-Agent: MS-RDGateway/1.0` and an `RDG-Correlation-Id` equal to its `RDG-Connection-Id`.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { randomInt } from 'node:crypto';
import { HarnessError } from './errors.ts';
import { skipUnlessTools } from './tools.ts';

/** How the client reaches the gateway: WebSocket, the legacy two-channel HTTP transport, or the client's choice. */
export type GatewayTransport = 'websocket' | 'legacy' | 'auto' | 'auto-legacy';

export interface GatewayEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface ClientFlavour {
  /** For test names: `FreeRDP 2.11`. */
  readonly label: string;
  /** The program: `xfreerdp` or `xfreerdp3`. */
  readonly command: string;
  /** What `WLOG_FILTER` the harness sets so that state changes (and, for FreeRDP 3, screen updates) are logged. */
  readonly wlogFilter: string;
  /** True when `+auth-only` exits 0 after CONNECTION_STATE_ACTIVE; otherwise a session is judged held. */
  readonly authOnlyWorks: boolean;
  /** A line the client logs when it has received a whole screen update; set when `authOnlyWorks` is false. */
  readonly screenUpdateLine: RegExp | undefined;
  /** The port a command-line gateway must listen on, or 0 when the client dials the port it is given. */
  readonly commandLineGatewayPort: number;
  /** The exit code of a live session through a gateway that ended the tunnel (service message, CLOSE_CHANNEL). */
  readonly exitOnGatewayClose: number;
  /** The exit code of a live session whose TCP connection (direct, or through the relay) the far end closed. */
  readonly exitOnServerClose: number;
  /** Whether it sends `RDG-Correlation-Id` (FreeRDP 3 does; 2.11 sends none, see test/fixtures/freerdp/). */
  readonly sendsCorrelationId: boolean;
  /** The gateway arguments for the command line. */
  gatewayArgs(gateway: GatewayEndpoint, token: string, transport?: GatewayTransport): string[];
  /** True if the client showed the gateway's service message `text`. */
  serviceMessageShown(output: ClientOutput, text: string): boolean;
  /** True if the client showed the gateway's consent message `text` (and asked to agree). */
  consentMessageShown(output: ClientOutput, text: string): boolean;
  /** True if the client logged a CLOSE_CHANNEL with this (non-zero) status as its last error. */
  closeStatusLogged(output: ClientOutput, status: number): boolean;
}

export interface ClientOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Whether a tunnel.connect audit line carries the correlation id this flavour sends: a braced lower-case GUID for a
 * client that sends one, nothing for one that does not.
 */
export function correlationIdAsExpected(flavour: ClientFlavour, line: Readonly<Record<string, unknown>>): boolean {
  if (!flavour.sendsCorrelationId) return line.correlationId === undefined;
  return (
    typeof line.correlationId === 'string' && /^\{[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\}$/.test(line.correlationId)
  );
}

/** FreeRDP logs a non-zero CLOSE_CHANNEL status as its last error: `rdg_process_close_packet:… [0x000059F6]`. */
function closeStatusInLog(output: ClientOutput, status: number): boolean {
  const hex = `0x${status.toString(16).toUpperCase().padStart(8, '0')}`;
  return new RegExp(`rdg_process_close_packet\\b.*\\[${hex}\\]`).test(`${output.stdout}\n${output.stderr}`);
}

const FREERDP2_TRANSPORTS: Readonly<Record<GatewayTransport, string>> = {
  websocket: 'http',
  legacy: 'http,no-websockets',
  auto: 'auto',
  'auto-legacy': 'auto,no-websockets',
};

export const FREERDP2: ClientFlavour = {
  label: 'FreeRDP 2.11',
  command: 'xfreerdp',
  wlogFilter: 'com.freerdp.core.connection:DEBUG',
  authOnlyWorks: true,
  screenUpdateLine: undefined,
  commandLineGatewayPort: 0,
  exitOnGatewayClose: 131,
  exitOnServerClose: 131,
  sendsCorrelationId: false,
  // "Service message:" on one line, the text on the next (stdout).
  serviceMessageShown: (output, text) => output.stdout.includes(`Service message:\n${text}\n`),
  consentMessageShown: (output, text) => output.stdout.includes(`Consent message:\n${text}\n`),
  closeStatusLogged: closeStatusInLog,
  gatewayArgs: (gateway, token, transport = 'websocket') => [
    `/g:${gateway.host}:${gateway.port}`,
    `/gt:${FREERDP2_TRANSPORTS[transport]}`,
    `/gat:${token}`,
  ],
};

export const FREERDP3: ClientFlavour = {
  label: 'FreeRDP 3.10',
  command: 'xfreerdp3',
  wlogFilter: 'com.freerdp.core.rdp:DEBUG,com.freerdp.gdi:DEBUG',
  authOnlyWorks: false,
  screenUpdateLine: /gdi_surface_frame_marker\b.*frameAction 1\b/,
  commandLineGatewayPort: 443,
  exitOnGatewayClose: 131,
  // ERRCONNECT_CONNECT_TRANSPORT_FAILED ("BIO_read retries exceeded").
  exitOnServerClose: 147,
  sendsCorrelationId: true,
  serviceMessageShown: (output, text) => output.stdout.includes(`Service message:\n${text}\n`),
  consentMessageShown: (output, text) => output.stdout.includes(`Consent message:\n${text}\n`),
  closeStatusLogged: closeStatusInLog,
  gatewayArgs: (gateway, token, transport = 'websocket') => {
    if (gateway.port !== 443) {
      throw new HarnessError(`FreeRDP 3 dials port 443 whatever g: names; this gateway listens on ${gateway.port}`);
    }
    return [`/gateway:g:${gateway.host},type:${FREERDP2_TRANSPORTS[transport]},access-token:${token}`];
  },
};

export const CLIENT_FLAVOURS: readonly ClientFlavour[] = [FREERDP2, FREERDP3];

/** Everything one flavour needs on PATH besides the RDP server. */
export function flavourTools(flavour: ClientFlavour): string[] {
  return [flavour.command, 'Xvfb', 'stdbuf'];
}

/** True when this process may listen on port 443 (root, or a lowered ip_unprivileged_port_start). */
function mayBindPort443(): boolean {
  if (process.getuid?.() === 0) return true;
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim()) <= 443;
  } catch {
    return false;
  }
}

/**
 * `skipUnlessTools` for a flavour (plus `extraTools`): undefined when it can run, else a skip reason; under
 * `CI=true` a missing program, or a FreeRDP 3 that cannot be given a gateway on port 443, is a failure.
 */
export function skipUnlessFlavour(flavour: ClientFlavour, extraTools: readonly string[] = []): string | undefined {
  const missing = skipUnlessTools([...new Set([...flavourTools(flavour), ...extraTools])]);
  if (missing !== undefined || flavour.commandLineGatewayPort !== 443 || mayBindPort443()) return missing;
  const reason = `${flavour.label} dials port 443: run the e2e tests as root to listen there`;
  if (process.env.CI === 'true') throw new HarnessError(`CI=true and the e2e tests cannot run: ${reason}`);
  return reason;
}

/**
 * Where a gateway for command-line runs of `flavour` listens, as `HOST:PORT` for `--listen`: a free port on
 * 127.0.0.1 for FreeRDP 2; for FreeRDP 3 port 443 on a loopback address of its own (127.x.y.z, checked free), so that
 * test files and other sessions on this machine never compete for 127.0.0.1:443 and need no lock.
 */
export async function gatewayListenAddress(flavour: ClientFlavour): Promise<string> {
  if (flavour.commandLineGatewayPort === 0) return '127.0.0.1:0';
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const host = `127.${randomInt(100, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    if (await canListen(host, flavour.commandLineGatewayPort)) return `${host}:${flavour.commandLineGatewayPort}`;
  }
  throw new HarnessError(`no free loopback address for port ${flavour.commandLineGatewayPort} after 10 attempts`);
}

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** `HOST:PORT` (as `gatewayListenAddress` returns it) as an endpoint. */
export function parseEndpoint(hostAndPort: string, actualPort?: number): GatewayEndpoint {
  const colon = hostAndPort.lastIndexOf(':');
  return { host: hostAndPort.slice(0, colon), port: actualPort ?? Number(hostAndPort.slice(colon + 1)) };
}
