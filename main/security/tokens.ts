import { randomUUID } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import { HostNameSchema } from '../../shared/model/hosts.ts';
import { TokenError } from './token-errors.ts';

/** Content types (`cty` header) naming a token's kind, as Devolutions Gateway does; one key signs them all. */
export const TokenKind = { PAA: 'PAA' } as const;
export type TokenKind = (typeof TokenKind)[keyof typeof TokenKind];

/** Tokens are read from the network and from .rdp files; anything longer than this is refused before parsing. */
export const MAX_TOKEN_CHARS = 4096;
/** Clock skew tolerated between the machine that minted a token and this one. */
export const TOKEN_CLOCK_LEEWAY_SECONDS = 60;
/** Algorithms accepted on verification; never `none`, never symmetric. */
const ACCEPTED_ALGORITHMS = ['EdDSA', 'ES256', 'RS256'];

/** A private key that can sign tokens, and the id verifiers find its public half by. */
export interface TokenSigner {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: Parameters<SignJWT['sign']>[0];
}

type VerificationKey = Exclude<Parameters<typeof jwtVerify>[1], (...args: never[]) => unknown>;

/** Finds the public key for a `kid`; undefined when no such key is trusted. */
export type VerificationKeyLookup = (kid: string) => VerificationKey | undefined;

const CommonClaimsSchema = z.object({
  jti: z.string().min(1).max(128),
  iat: z.number().int(),
  nbf: z.number().int(),
  exp: z.number().int(),
  jet_gw_id: z.string().min(1).max(128),
});

/** PAA: the MS-TSGU access token a client presents in the tunnel-create PAA cookie. */
export const PaaClaimsSchema = CommonClaimsSchema.extend({
  /** Names of the allowed hosts this token may reach; a token naming none reaches nothing. */
  hosts: z.array(HostNameSchema).min(1).max(64),
});
export type PaaClaims = z.infer<typeof PaaClaimsSchema>;

export interface IssuePaaOptions {
  gatewayId: string;
  hosts: readonly string[];
  ttlSeconds: number;
  now?: Date;
}

export async function issuePaaToken(
  signer: TokenSigner,
  options: IssuePaaOptions,
): Promise<{ token: string; claims: PaaClaims }> {
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const claims = PaaClaimsSchema.parse({
    jti: randomUUID(),
    iat,
    nbf: iat,
    exp: iat + options.ttlSeconds,
    jet_gw_id: options.gatewayId,
    hosts: [...options.hosts],
  });
  const token = await new SignJWT({ ...claims })
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: 'JWT', cty: TokenKind.PAA })
    .sign(signer.privateKey);
  return { token, claims };
}

export interface VerifyOptions {
  keys: VerificationKeyLookup;
  gatewayId: string;
  now?: Date;
  /** Answers true for a revoked `jti`. */
  isRevoked?: (jti: string) => boolean;
}

/**
 * Verifies a PAA token step by step — size, kind, key, signature, lifetime, claims, gateway, revocation —
 * and names the failed step in a `TokenError`.
 */
export async function verifyPaaToken(token: string, options: VerifyOptions): Promise<PaaClaims> {
  return verifyToken(token, TokenKind.PAA, PaaClaimsSchema, options);
}

async function verifyToken<T extends z.infer<typeof CommonClaimsSchema>>(
  token: string,
  kind: TokenKind,
  schema: z.ZodType<T>,
  options: VerifyOptions,
): Promise<T> {
  if (token.length === 0 || token.length > MAX_TOKEN_CHARS) {
    throw new TokenError('malformed', `token length ${token.length} is outside 1..${MAX_TOKEN_CHARS}`);
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  let unverified: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    unverified = decodeJwt(token);
  } catch {
    throw new TokenError('malformed', 'not a JWT');
  }
  // Only for the audit log: nothing below trusts this value until the signature is checked.
  const claimedId = typeof unverified.jti === 'string' ? unverified.jti.slice(0, 128) : undefined;
  if (header.cty !== kind) {
    throw new TokenError('wrong-kind', `expected a ${kind} token, got ${String(header.cty ?? 'none')}`, claimedId);
  }
  const key = typeof header.kid === 'string' ? options.keys(header.kid) : undefined;
  if (!key) throw new TokenError('unknown-key', 'the token is signed by a key this gateway does not trust', claimedId);

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ACCEPTED_ALGORITHMS,
      clockTolerance: TOKEN_CLOCK_LEEWAY_SECONDS,
      currentDate: options.now,
      requiredClaims: ['jti', 'iat', 'nbf', 'exp'],
    }));
  } catch (error) {
    throw mapJoseError(error, claimedId);
  }

  const claims = schema.safeParse(payload);
  if (!claims.success) {
    throw new TokenError(
      'missing-claim',
      `token claims are invalid: ${claims.error.issues[0]?.message ?? ''}`,
      claimedId,
    );
  }
  // Stops a token minted for another gateway (sharing a provisioner key) being replayed here.
  if (claims.data.jet_gw_id !== options.gatewayId) {
    throw new TokenError('wrong-gateway', 'the token was issued for another gateway', claims.data.jti);
  }
  if (options.isRevoked?.(claims.data.jti)) {
    throw new TokenError('revoked', 'the token has been revoked', claims.data.jti);
  }
  return claims.data;
}

function mapJoseError(error: unknown, tokenId: string | undefined): TokenError {
  if (error instanceof joseErrors.JWTExpired) return new TokenError('expired', 'the token has expired', tokenId);
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    // Only a failed time check on `nbf` means "not yet valid"; a missing or non-numeric `nbf` is a bad claim.
    const failure = error.claim === 'nbf' && error.reason === 'check_failed' ? 'not-yet-valid' : 'missing-claim';
    return new TokenError(failure, `token claim "${error.claim}" is invalid: ${error.reason}`, tokenId);
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new TokenError('bad-signature', 'the token signature does not verify', tokenId);
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) {
    return new TokenError('bad-signature', 'the token uses an algorithm this gateway does not accept', tokenId);
  }
  return new TokenError('malformed', `the token cannot be verified: ${(error as Error).message}`, tokenId);
}
