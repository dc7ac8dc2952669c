import type { Host } from '../../shared/model/hosts.ts';
import type { Settings } from '../config/schema.ts';
import { RelayRefusal } from './errors.ts';
import type { RelayGrant, RelayPolicy } from './listener.ts';
import { findAllowedHost } from '../security/policy.ts';
import type { ReplayCache } from '../security/replay-cache.ts';
import { DEFAULT_TARGET_SCHEME, formatTargetAddr } from '../security/target-addr.ts';
import { TokenError } from '../security/token-errors.ts';
import { verifyAssociationToken, type RevocationSubject, type VerificationKeyLookup } from '../security/tokens.ts';

/** The relay reads an RDP preconnection PDU, so the only application protocol it carries is RDP. */
export const RELAY_APPLICATION_PROTOCOL = 'rdp';

export interface AssociationPolicyDeps {
  readonly settings: () => Settings;
  readonly keys: VerificationKeyLookup;
  readonly isRevoked: (claims: RevocationSubject) => boolean;
  readonly replay: ReplayCache;
  readonly now?: () => Date;
}

/**
 * The relay's policy: an ASSOCIATION token (signed by this gateway or a trusted provisioner, for this gateway,
 * not revoked, not replayed) whose every target is an allowed host with its exact port. The token's targets
 * only select allowed hosts; the relay dials their configured addresses — it is never an open proxy.
 */
export function createAssociationPolicy(deps: AssociationPolicyDeps): RelayPolicy {
  return {
    async authorize(token, clientAddress): Promise<RelayGrant> {
      const settings = deps.settings();
      let verified: Awaited<ReturnType<typeof verifyAssociationToken>>;
      try {
        verified = await verifyAssociationToken(token, {
          keys: deps.keys,
          gatewayId: settings.gatewayId,
          ...(deps.now ? { now: deps.now() } : {}),
          isRevoked: deps.isRevoked,
          replay: (jti, exp, now) => deps.replay.use(jti, clientAddress, exp, now),
        });
      } catch (error) {
        if (!(error instanceof TokenError)) throw error;
        throw new RelayRefusal('token', error.failure, error.message, error.tokenId);
      }
      const { claims, targets } = verified;
      if (claims.jet_ap !== RELAY_APPLICATION_PROTOCOL) {
        throw new RelayRefusal(
          'token',
          'wrong-protocol',
          `the token is for "${claims.jet_ap}"; this listener relays RDP only`,
          claims.jti,
        );
      }
      const hosts: Host[] = [];
      for (const target of targets) {
        if (target.scheme !== DEFAULT_TARGET_SCHEME) {
          throw new RelayRefusal(
            'target',
            'unsupported-scheme',
            `${formatTargetAddr(target)}: only tcp:// targets are relayed`,
            claims.jti,
          );
        }
        // Every target must be allowed, not just the first that answers: a token naming anything else is refused
        // whole, so a provisioner's mistake shows at once instead of on the day the primary is down.
        const host = findAllowedHost(target.host, target.port, settings.hosts);
        if (!host) {
          throw new RelayRefusal(
            'target',
            'not-allowed-host',
            `${formatTargetAddr(target)} is not an allowed host (name or address, and port)`,
            claims.jti,
          );
        }
        hosts.push(host);
      }
      const [first] = targets;
      return {
        tokenId: claims.jti,
        association: {
          associationId: claims.jet_aid,
          applicationProtocol: claims.jet_ap,
          destinationHost: first ? formatTargetAddr(first) : '',
          filtering: claims.jet_flt ?? false,
        },
        hosts,
        claims: claims as unknown as Readonly<Record<string, unknown>>,
      };
    },
  };
}
