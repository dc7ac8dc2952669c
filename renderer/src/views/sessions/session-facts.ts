import type { SessionInfo } from '../../../../shared/model/sessions.ts';
import type { IssuedToken } from '../../../../shared/model/ui.ts';

export function clientLabel(session: SessionInfo): string {
  return session.clientName ?? session.clientAddress;
}

/** The token behind a session as the Access list names it: label or device, and kind. */
export interface TokenFacts {
  readonly name: string | undefined;
  readonly kind: IssuedToken['kind'] | undefined;
  readonly revoked: boolean;
}

/** What the session itself says of its token (verified claims, when the gateway passes them), else the Access list. */
export function tokenFacts(session: SessionInfo, tokens: ReadonlyMap<string, IssuedToken>): TokenFacts {
  const own = session as SessionInfo & {
    readonly tokenLabel?: string;
    readonly tokenDevice?: string;
    readonly tokenKind?: IssuedToken['kind'];
  };
  const listed = tokens.get(session.tokenId.toLowerCase());
  return {
    name: own.tokenDevice ?? own.tokenLabel ?? listed?.device ?? listed?.label,
    kind: own.tokenKind ?? listed?.kind,
    revoked: listed?.revokedAt !== undefined,
  };
}
