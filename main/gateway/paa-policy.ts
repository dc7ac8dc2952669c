import type { OnReadOpts, Socket } from 'node:net';
import type { Host } from '../../shared/model/hosts.ts';
import type { Settings } from '../config/schema.ts';
import type { TunnelGrant, TunnelPolicy } from './tunnel.ts';
import { HResult } from './tsgu/constants.ts';
import { TunnelRefusal } from './tsgu/errors.ts';
import type { Connector } from '../relay/connector.ts';
import { dialTarget } from '../relay/dial.ts';
import { DialError } from '../relay/errors.ts';
import { authorizeTarget } from '../security/policy.ts';
import type { ReplayCache } from '../security/replay-cache.ts';
import type { SigningKey } from '../security/signing-key.ts';
import { TokenError } from '../security/token-errors.ts';
import { verifyPaaToken, type RevocationSubject, type VerificationKeyLookup } from '../security/tokens.ts';

export interface PaaGrant extends TunnelGrant {
  readonly hosts: readonly string[];
}

export interface PaaPolicyDeps {
  readonly settings: () => Settings;
  readonly signingKey: SigningKey;
  readonly dial?: (host: string, port: number, onread: OnReadOpts) => Promise<Socket>;
  /** The shared connector (Wake-on-LAN); preferred over `dial` when given. */
  readonly connector?: Connector;
  /** Keys trusted for PAA tokens; the gateway's own key only when absent. */
  readonly keys?: VerificationKeyLookup;
  /** The revocation list (JRL): a listed token opens no new tunnel. */
  readonly isRevoked?: (claims: RevocationSubject) => boolean;
  /** Remembers single-use tokens; without it a single-use token is refused. */
  readonly replay?: ReplayCache;
  /** The client the tunnel serves: a single-use token may only reconnect from the address that used it first. */
  readonly clientAddress?: string;
}

/**
 * MS-TSGU's policy: a PAA token signed by this gateway's key, for this gateway, names the hosts it may reach;
 * the target must be one of them and on the allowlist now (a host removed while a token lives is unreachable).
 */
export function createPaaPolicy(deps: PaaPolicyDeps): TunnelPolicy<PaaGrant> {
  const dial = deps.dial ?? ((host, port, onread) => dialTarget(host, port, { onread }));
  const { signingKey } = deps;
  const keys: VerificationKeyLookup =
    deps.keys ??
    ((kid) =>
      kid === signingKey.kid ? { key: signingKey.publicKey, alg: signingKey.alg, requireGatewayId: true } : undefined);
  // Sockets to hosts that answered only after a magic packet, for the session to say so.
  const woken = new WeakSet<Socket>();
  return {
    async authenticate(token) {
      try {
        const { replay, clientAddress } = deps;
        const claims = await verifyPaaToken(token, {
          keys,
          gatewayId: deps.settings().gatewayId,
          ...(deps.isRevoked ? { isRevoked: deps.isRevoked } : {}),
          ...(replay && clientAddress !== undefined
            ? { replay: (jti, exp, now) => replay.use(jti, clientAddress, exp, now) }
            : {}),
        });
        return { tokenId: claims.jti, hosts: claims.hosts, expiresAtMs: claims.exp * 1000, claims };
      } catch (error) {
        if (!(error instanceof TokenError)) throw error;
        throw new TunnelRefusal(HResult.E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED, error.failure, error.message);
      }
    },
    authorize(grant, request): Host {
      const decision = authorizeTarget(request, grant.hosts, deps.settings().hosts);
      if (!decision.allowed)
        throw new TunnelRefusal(HResult.E_PROXY_RAP_ACCESSDENIED, decision.reason, decision.message);
      return decision.host;
    },
    async dial(host, onread) {
      try {
        if (deps.connector) {
          const connected = await deps.connector.connect([host], undefined, onread);
          if (connected.woken) woken.add(connected.socket);
          return connected.socket;
        }
        return await dial(host.address, host.port, onread);
      } catch (error) {
        if (!(error instanceof DialError)) throw error;
        throw new TunnelRefusal(HResult.E_PROXY_TS_CONNECTFAILED, error.failure, error.message);
      }
    },
    woken: (target) => woken.has(target),
  };
}
