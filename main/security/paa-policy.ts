import type { Socket } from 'node:net';
import type { Host } from '../../shared/model/hosts.ts';
import type { Settings } from '../config/schema.ts';
import type { TunnelGrant, TunnelPolicy } from '../gateway/tunnel.ts';
import { HResult } from '../gateway/tsgu/constants.ts';
import { TunnelRefusal } from '../gateway/tsgu/session.ts';
import { DialError, dialTarget } from '../relay/dial.ts';
import { authorizeTarget } from './policy.ts';
import type { SigningKey } from './signing-key.ts';
import { TokenError } from './token-errors.ts';
import { verifyPaaToken } from './tokens.ts';

export interface PaaGrant extends TunnelGrant {
  readonly hosts: readonly string[];
}

export interface PaaPolicyDeps {
  readonly settings: () => Settings;
  readonly signingKey: SigningKey;
  readonly dial?: (host: string, port: number) => Promise<Socket>;
}

/**
 * MS-TSGU's policy: a PAA token signed by this gateway's key, for this gateway, names the hosts it may reach;
 * the target must be one of them and on the allowlist now (a host removed while a token lives is unreachable).
 */
export function createPaaPolicy(deps: PaaPolicyDeps): TunnelPolicy<PaaGrant> {
  const dial = deps.dial ?? ((host, port) => dialTarget(host, port));
  const { signingKey } = deps;
  return {
    async authenticate(token) {
      try {
        const claims = await verifyPaaToken(token, {
          keys: (kid) => (kid === signingKey.kid ? signingKey.publicKey : undefined),
          gatewayId: deps.settings().gatewayId,
        });
        return { tokenId: claims.jti, hosts: claims.hosts };
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
    async dial(host) {
      try {
        return await dial(host.address, host.port);
      } catch (error) {
        if (!(error instanceof DialError)) throw error;
        throw new TunnelRefusal(HResult.E_PROXY_TS_CONNECTFAILED, error.failure, error.message);
      }
    },
  };
}
