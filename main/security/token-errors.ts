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
  | 'missing-claim'
  /** A claim is present and well-typed but its value is unusable (a target that is not a TargetAddr…). */
  | 'invalid-claim'
  /** A valid token asks for something this gateway does not do (rendezvous mode, recording). */
  | 'unsupported'
  /** A single-use token seen again (another address, after the reuse window, or too often). */
  | 'replayed'
  /** A SCOPE token that does not grant the scope an endpoint needs. */
  | 'wrong-scope';

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
