import type { IssuedToken } from '../../../shared/model/ui.ts';
import { MAX_PAA_TTL_SECONDS } from '../../config/schema.ts';
import { IssuedTokenLimitError, type NewIssuedToken } from '../../security/issued-tokens.ts';
import { issuePaaToken } from '../../security/tokens.ts';
import type { GatewayService } from '../../service.ts';
import { ContractCallError, actor, type CallContext, type CallHandlers, type HandlerDeps } from '../dispatch.ts';
import { requireHost } from './hosts.ts';

/** The longest a per-device token may live: long-lived access is what they are for, revocation their safety net. */
export const MAX_DEVICE_TOKEN_TTL_SECONDS = 90 * 24 * 60 * 60;

/** Remembers a token just issued (metadata only) and writes `token.issued` to the audit log. */
export async function recordIssuedToken(
  service: GatewayService,
  token: NewIssuedToken,
  context: CallContext,
  purpose: 'token' | 'rdp-file',
): Promise<IssuedToken> {
  let issued: IssuedToken;
  try {
    issued = await service.issuedTokens.record(token);
  } catch (error) {
    if (error instanceof IssuedTokenLimitError) throw new ContractCallError('conflict', error.message);
    throw error;
  }
  service.audit.record({
    event: 'token.issued',
    tokenId: issued.jti,
    kind: issued.kind,
    host: issued.host,
    purpose,
    singleUse: issued.singleUse,
    ...(issued.device === undefined ? {} : { device: issued.device }),
    expiresAt: issued.expiresAt,
    ...actor(context),
  });
  return issued;
}

export function tokenHandlers({
  service,
}: HandlerDeps): Pick<CallHandlers, 'tokens.list' | 'tokens.issue' | 'tokens.revoke'> {
  const { settings, signingKey } = service.context;
  return {
    'tokens.list': async () => {
      // Tokens minted by `homegate token paa` while the gateway runs are in the file, not yet in memory.
      await service.issuedTokens.refresh();
      return service.issuedTokens.list();
    },
    'tokens.issue': async ({ host: hostName, ttlSeconds, label, device, singleUse }, context) => {
      const current = settings.get();
      const host = requireHost(current, hostName);
      // A token that outlives a day must be bound to a device, so that it is listed as such and revoked by name.
      const maxTtl = device === undefined ? MAX_PAA_TTL_SECONDS : MAX_DEVICE_TOKEN_TTL_SECONDS;
      if (ttlSeconds > maxTtl) {
        throw new ContractCallError(
          'invalid-input',
          device === undefined
            ? `ttlSeconds: at most ${MAX_PAA_TTL_SECONDS} without a device label; name the device for a longer token`
            : `ttlSeconds: at most ${MAX_DEVICE_TOKEN_TTL_SECONDS} for a device token`,
        );
      }
      const { token, claims } = await issuePaaToken(signingKey, {
        gatewayId: current.gatewayId,
        hosts: [host.name],
        ttlSeconds,
        singleUse,
        ...(device === undefined ? {} : { device }),
      });
      const issued = await recordIssuedToken(
        service,
        {
          jti: claims.jti,
          kind: device === undefined ? 'paa' : 'device',
          host: host.name,
          label,
          device,
          singleUse,
          issuedAt: new Date(claims.iat * 1000),
          expiresAt: new Date(claims.exp * 1000),
        },
        context,
        'token',
      );
      return { token, issued };
    },
    'tokens.revoke': async ({ jti }, context) => {
      const wasRevoked = service.revocation.isRevoked({ jti });
      if (!wasRevoked) {
        // The revocation list's change ends the live sessions opened with this token (see service.ts).
        await service.revocation.revokeTokenIds([jti], { forget: (listed) => service.issuedTokens.hasExpired(listed) });
      }
      const known = await service.issuedTokens.markRevoked(jti);
      if (!wasRevoked) {
        service.audit.record({
          event: 'token.revoked',
          tokenId: jti,
          ...(known ? { host: known.host, kind: known.kind } : {}),
          ...actor(context),
        });
      }
      return !wasRevoked;
    },
  };
}
