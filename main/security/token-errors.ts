/** Why a token was refused. Stable strings: they go in the audit log and in API errors. */
export type TokenFailure =
  | 'malformed'
  | 'bad-signature'
  | 'unknown-key'
  | 'wrong-kind'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-gateway'
  | 'revoked'
  | 'missing-claim';

export class TokenError extends Error {
  override readonly name = 'TokenError';
  constructor(
    readonly failure: TokenFailure,
    message: string,
    /** The token's `jti` when it could be read, for the audit log. */
    readonly tokenId?: string,
  ) {
    super(message);
  }
}
