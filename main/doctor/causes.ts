import type { AttemptCauseCode, AttemptStage, WakeOnLanUse } from '../../shared/model/doctor.ts';

/** What the doctor concluded about one failed attempt, before it is stamped with an id, a time and a client. */
export interface Diagnosis {
  readonly stage: AttemptStage;
  readonly code: AttemptCauseCode;
  readonly cause: string;
  readonly fix: string;
  readonly detail?: string;
  readonly wakeOnLan?: WakeOnLanUse;
}

const TRUST_FIX =
  "Install the gateway's certificate authority on this device (Trust the certificate, in Homegate's setup), " +
  'or import a certificate from a public authority; then connect again.';

/**
 * A TLS handshake the client broke off. `code` is Node's error code (`ERR_SSL_TLSV1_ALERT_UNKNOWN_CA`, …); `sni`
 * the name the client asked for and whether the served certificate carries it (undefined: no name was sent).
 */
export function diagnoseTlsError(code: string | undefined, sni: SniCheck): Diagnosis | undefined {
  const detail = code ?? 'unknown TLS error';
  if (code === 'ERR_SSL_HTTP_REQUEST' || code === 'ERR_SSL_HTTPS_PROXY_REQUEST') {
    return {
      stage: 'tls',
      code: 'plain-http',
      cause: 'The client spoke plain HTTP to the HTTPS port.',
      fix: 'Use an https:// address for the gateway. If a reverse proxy sits in front, point it at the gateway with https, or use the plain listener meant for proxies.',
      detail,
    };
  }
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') {
    return {
      stage: 'tls',
      code: 'timeout',
      cause: 'The client did not finish the secure (TLS) handshake in time.',
      fix: 'Check the network between the device and the gateway (a slow or filtering link, a proxy that holds the connection).',
      detail,
    };
  }
  // The alerts a client sends when it rejects the certificate it was shown.
  const rejected =
    /ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|CERTIFICATE_EXPIRED|ACCESS_DENIED|DECRYPT_ERROR)$/.exec(
      code ?? '',
    );
  if (rejected) {
    if (sni.name !== undefined && !sni.inCertificate) return nameNotInCertificate(sni.name, detail);
    return untrusted(detail);
  }
  // Clients that reject the certificate without an alert (Node's own, some libraries) reset the connection.
  // Without a name sent it is as likely a port probe, which is not worth a line.
  if (code === 'ECONNRESET') {
    if (sni.name === undefined) return undefined;
    return sni.inCertificate ? untrusted(detail) : nameNotInCertificate(sni.name, detail);
  }
  if (code === undefined) return undefined;
  return {
    stage: 'tls',
    code: 'tls-failed',
    cause: 'The secure (TLS) handshake failed.',
    fix: 'Make sure the client is recent enough for TLS 1.2 or 1.3 and connects to the gateway itself, not through something that rewrites TLS.',
    detail,
  };
}

/** The name a client sent in TLS (SNI) and whether the served certificate names it. */
export interface SniCheck {
  readonly name: string | undefined;
  readonly inCertificate: boolean;
}

/**
 * A client that finished the TLS handshake and closed without sending a request: it rejected the certificate after
 * the handshake (FreeRDP 2.11 with /cert:deny sends no alert), unless it only sent part of a request.
 */
export function diagnoseNoRequest(info: {
  readonly timedOut: boolean;
  readonly bufferedBytes: number;
  readonly sni: SniCheck;
}): Diagnosis | undefined {
  if (info.bufferedBytes > 0) {
    return {
      stage: 'request',
      code: 'timeout',
      cause: info.timedOut
        ? 'The client started a request but did not finish it in time.'
        : 'The client closed the connection in the middle of its request.',
      fix: 'Check the network between the device and the gateway; a proxy in between may be cutting requests.',
      detail: `${info.bufferedBytes} bytes of a request head`,
    };
  }
  // Browsers open spare connections and leave them unused; an idle connection that times out is not a failure.
  if (info.timedOut) return undefined;
  const detail = 'closed after the TLS handshake without a request';
  if (info.sni.name !== undefined && !info.sni.inCertificate) return nameNotInCertificate(info.sni.name, detail);
  return untrusted(detail);
}

/**
 * One channel of a legacy HTTP tunnel (`RDG_OUT_DATA` or `RDG_IN_DATA`) arrived and its partner never did: something
 * between the client and the gateway sent the two to different places or dropped one, or the client gave up on it.
 */
export function diagnoseUnpairedLegacy(role: 'out' | 'in'): Diagnosis {
  const [came, missing] = role === 'out' ? ['RDG_OUT_DATA', 'RDG_IN_DATA'] : ['RDG_IN_DATA', 'RDG_OUT_DATA'];
  return {
    stage: 'request',
    code: 'timeout',
    cause: `Only one of the two connections of a legacy HTTP tunnel arrived: ${came} came, ${missing} never did.`,
    fix: 'If a reverse proxy or load balancer is in front, make it send both to this gateway from the same client address (no buffering of RDG_IN_DATA); or let the client use WebSocket.',
    detail: `${came} waited for its ${missing} until the pairing deadline`,
  };
}

function untrusted(detail: string): Diagnosis {
  return {
    stage: 'tls',
    code: 'untrusted-certificate',
    cause: "This device does not trust the gateway's certificate.",
    fix: TRUST_FIX,
    detail,
  };
}

function nameNotInCertificate(name: string, detail: string): Diagnosis {
  return {
    stage: 'tls',
    code: 'name-not-in-certificate',
    cause: `The device connected to "${name}", a name the gateway's certificate does not carry.`,
    fix: `Add "${name}" to the public names in Settings (the certificate is re-issued with it), or connect with a name the certificate carries.`,
    detail,
  };
}

/** A refusal as the audit log records it (MS-TSGU's `tunnel.refused` and the relay's). */
export interface RefusalRecord {
  readonly transport: string;
  /** The tunnel state (`awaiting-tunnel-create`, …) or the relay's step (`pcb`, `token`, `connect`). */
  readonly stage: string;
  /** MS-TSGU's end reason (`refused`, `timeout`, `protocol-error`, `client-closed`, …); absent for the relay. */
  readonly reason?: string;
  /** The check's stable reason: a token failure, a policy reason, a dial failure, `paused`. */
  readonly failure?: string;
  readonly detail?: string;
  readonly host?: string;
  /** What the client asked for (`name:port`), when it got that far. */
  readonly requested?: string;
}

/** A cause before the refusal's detail is added. */
type Cause = Omit<Diagnosis, 'detail'>;

const RENEW = 'Export a new .rdp file (or copy a new token) for this device and connect with it.';

function tokenCause(code: AttemptCauseCode, cause: string, fix = RENEW): Cause {
  return { stage: 'token', code, cause, fix };
}

const INVALID_TOKEN = tokenCause('token-invalid', 'The access token is not valid for this gateway.');

/** The token checks' stable reasons (and a paused gateway, refused at the same step). */
const TOKEN_CAUSES: ReadonlyMap<string, Cause> = new Map([
  ['malformed', tokenCause('token-malformed', 'The access token is not a token this gateway can read.')],
  ['expired', tokenCause('token-expired', 'The access token has expired.')],
  [
    'not-yet-valid',
    tokenCause(
      'token-not-yet-valid',
      'The access token is not valid yet: the clocks of the gateway and the machine that issued it disagree.',
      "Set this computer's clock right (automatic time), then issue a new token.",
    ),
  ],
  ['revoked', tokenCause('token-revoked', 'The access token was revoked.', `${RENEW} Revoked tokens stay refused.`)],
  [
    'wrong-gateway',
    tokenCause(
      'token-other-gateway',
      'The access token was issued by another gateway.',
      'Export the .rdp file from this gateway: files from another Homegate do not work here.',
    ),
  ],
  ...['bad-signature', 'unknown-key', 'wrong-kind', 'missing-claim', 'invalid-claim', 'unsupported', 'wrong-scope'].map(
    (failure) => [failure, INVALID_TOKEN] as const,
  ),
  [
    'replayed',
    tokenCause(
      'token-replayed',
      'The single-use access token was already used.',
      `${RENEW} A single-use token works for one connection only.`,
    ),
  ],
  [
    'paused',
    tokenCause(
      'paused',
      'The gateway is paused and takes no new connections.',
      'Resume the gateway (tray menu or status bar).',
    ),
  ],
]);

/** Failures that are a client simply leaving, not worth a line. */
const NOT_FAILURES = new Set(['client-closed', 'no-data']);

/** Reads a refusal. Undefined for what is not a failure worth showing (a client that simply left). */
export function diagnoseRefusal(record: RefusalRecord, wakeOnLan: WakeOnLanUse | undefined): Diagnosis | undefined {
  const failure = record.failure;
  if (failure !== undefined && NOT_FAILURES.has(failure)) return undefined;
  const cause =
    (failure === undefined
      ? undefined
      : (TOKEN_CAUSES.get(failure) ?? hostCause(failure, record) ?? targetCause(failure, record, wakeOnLan))) ??
    sessionCause(record);
  if (!cause) return undefined;
  return { ...cause, detail: [failure ?? record.reason, record.stage].filter(Boolean).join(' at ') };
}

/** A token that does not name the host asked for, or a host that is not on the list. */
function hostCause(failure: string, record: RefusalRecord): Cause | undefined {
  if (failure === 'not-in-token') {
    const name = record.host ?? hostOf(record.requested);
    return {
      stage: 'host',
      code: 'token-other-host',
      cause: `The access token is for another host, not "${name ?? 'the host asked for'}".`,
      fix: `Export an .rdp file for "${name ?? 'that host'}" and connect with it.`,
    };
  }
  if (failure === 'not-allowed-host') {
    return {
      stage: 'host',
      code: 'host-not-allowed',
      cause: `${record.requested ?? 'the host asked for'} is not on the gateway's list of allowed PCs.`,
      fix: 'Add the PC under Hosts (with the name and port the client uses), or fix the name in the .rdp file.',
    };
  }
  return undefined;
}

/** A host the gateway dialled and did not reach, with whether Wake-on-LAN was used. */
function targetCause(failure: string, record: RefusalRecord, wakeOnLan: WakeOnLanUse | undefined): Cause | undefined {
  const pc = record.host ?? 'The PC';
  const wake = wakeOnLan === undefined ? {} : { wakeOnLan };
  switch (failure) {
    case 'refused':
      return {
        stage: 'target',
        code: 'target-refused',
        cause: `${pc} refused the connection: Remote Desktop is not answering on its port.`,
        fix: 'Turn on Remote Desktop on that PC and check its port and firewall.',
        ...wake,
      };
    case 'timeout':
      // The relay's timeout waiting for the client's first PDU is the client's, not the target's.
      if (record.stage === 'pcb') return undefined;
      return {
        stage: 'target',
        code: 'target-no-answer',
        cause: `${pc} did not answer${wakeOnLan === 'sent' ? ', even after a Wake-on-LAN packet' : ''}.`,
        fix: NO_ANSWER_FIXES[wakeOnLan ?? 'off'],
        ...wake,
      };
    case 'unreachable':
    case 'resolve-failed':
    case 'error':
      return {
        stage: 'target',
        code: 'target-unreachable',
        cause: `The gateway cannot reach ${record.host ?? 'the PC'}${failure === 'resolve-failed' ? ': its name does not resolve' : ''}.`,
        fix: "Check the host's address under Hosts and that the PC is on the same network as the gateway.",
        ...wake,
      };
    default:
      return undefined;
  }
}

const NO_ANSWER_FIXES: Readonly<Record<WakeOnLanUse, string>> = {
  sent: 'Check that the PC is plugged in and that Wake-on-LAN is enabled in its firmware and network adapter.',
  'no-mac': 'Check that the PC is on and reachable; give it a MAC address under Hosts so the gateway can wake it.',
  off: 'Check that the PC is on and reachable from the gateway.',
};

/** What the tunnel's state and end reason say when no check named a failure. */
function sessionCause(record: RefusalRecord): Cause | undefined {
  if (record.reason === 'timeout' || record.failure === 'timeout') {
    const where = record.stage.replace(/^awaiting-/, '').replace(/-/g, ' ');
    return {
      stage: 'session',
      code: 'timeout',
      cause: `The client stopped answering during ${where}.`,
      fix: 'Check the network between the device and the gateway; try the connection again.',
    };
  }
  if (record.reason === 'refused' && record.stage === 'awaiting-tunnel-create' && record.failure === undefined) {
    return tokenCause(
      'token-missing',
      'The client sent no access token.',
      'Open the connection from an .rdp file exported by Homegate, or give the client a token (FreeRDP: /gat:TOKEN).',
    );
  }
  if (record.reason === 'client-closed' || record.reason === 'transport-error') return undefined;
  return {
    stage: 'session',
    code: 'protocol-error',
    cause: 'The client and the gateway did not understand each other.',
    fix: 'Use a supported client (MSTSC, the Windows App, FreeRDP 2.11 or later, Remmina) with the gateway in its settings.',
  };
}

function hostOf(requested: string | undefined): string | undefined {
  if (requested === undefined) return undefined;
  return requested.replace(/:\d+$/, '');
}
