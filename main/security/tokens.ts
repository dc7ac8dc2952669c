import { randomUUID } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import { HostNameSchema } from '../../shared/model/hosts.ts';
import {
  MAX_TARGET_ADDR_CHARS,
  TargetAddrError,
  defaultPortFor,
  parseTargetAddr,
  type TargetAddr,
} from './target-addr.ts';
import { TokenError } from './token-errors.ts';

/**
 * Content types (`cty` header) naming a token's kind, as Devolutions Gateway does:
 * PAA (our MS-TSGU access token), ASSOCIATION (TCP relay), SCOPE (REST API) and JRL (revocation list).
 */
export const TokenKind = { PAA: 'PAA', ASSOCIATION: 'ASSOCIATION', SCOPE: 'SCOPE', JRL: 'JRL' } as const;
export type TokenKind = (typeof TokenKind)[keyof typeof TokenKind];
export const TOKEN_KINDS: readonly TokenKind[] = Object.values(TokenKind);

/** Tokens are read from the network and from .rdp files; anything longer than this is refused before parsing. */
export const MAX_TOKEN_CHARS = 4096;
/** A JRL grows with what it revokes and arrives in a bounded request body, never in an .rdp file. */
export const MAX_JRL_TOKEN_CHARS = 512 * 1024;
/** Values a JRL may list, over all claims; bounds the memory and the matching work of every later check. */
export const MAX_JRL_VALUES = 10_000;
/** Alternate targets (`dst_alt`) an ASSOCIATION token may name; each may cost a dial timeout. */
export const MAX_ALTERNATE_TARGETS = 8;
/** Clock skew tolerated between the machine that minted a token and this one. */
export const TOKEN_CLOCK_LEEWAY_SECONDS = 60;
/** The `jti` Devolutions Gateway reports before any revocation list was received. */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** Scope names of the `/jet` API (Devolutions Gateway's names); `*` grants every scope. */
export const Scope = {
  WILDCARD: '*',
  SESSIONS_READ: 'gateway.sessions.read',
  SESSION_TERMINATE: 'gateway.session.terminate',
  DIAGNOSTICS_READ: 'gateway.diagnostics.read',
  JRL_READ: 'gateway.jrl.read',
} as const;
export type Scope = (typeof Scope)[keyof typeof Scope];
export const KNOWN_SCOPES: readonly Scope[] = Object.values(Scope);

/** Connection modes of an ASSOCIATION token; only forwarding is served (no rendezvous). */
export const ConnectionMode = { FORWARD: 'fwd', RENDEZVOUS: 'rdv' } as const;

/** A private key that can sign tokens, and the id verifiers find its public half by. */
export interface TokenSigner {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: Parameters<SignJWT['sign']>[0];
}

export type VerificationKey = Exclude<Parameters<typeof jwtVerify>[1], (...args: never[]) => unknown>;

/** A public key this gateway trusts, with what it may be used for. */
export interface TrustedKey {
  readonly key: VerificationKey;
  /** The only JWS algorithm accepted with this key (no algorithm confusion). */
  readonly alg: string;
  /** Whether tokens signed with it must name this gateway (`jet_gw_id`); PAA tokens always must. */
  readonly requireGatewayId: boolean;
}

/** Finds the key for a `kid` that may sign tokens of `kind`; undefined when no such key is trusted. */
export type VerificationKeyLookup = (kid: string, kind: TokenKind) => TrustedKey | undefined;

/** The claims a revocation list is matched against: the whole verified payload. */
export type RevocationSubject = Readonly<Record<string, unknown>>;

/**
 * Step "replay": records one use of a token and answers why it is refused, or undefined to allow it.
 * Injected, so the cache (and the client address it compares) stays outside this module.
 */
export type ReplayCheck = (jti: string, expiresAtSeconds: number, now: Date) => string | undefined;

const Seconds = z.number().int();
/** UUIDs as Devolutions writes them (any version, either case). */
const Uuid = z.guid();

const CommonClaimsSchema = z.object({
  jti: z.string().min(1).max(128),
  iat: Seconds,
  nbf: Seconds,
  exp: Seconds,
  jet_gw_id: z.string().min(1).max(128),
});

/** The longest device label a per-device PAA token carries. */
export const MAX_DEVICE_LABEL_CHARS = 64;

/** PAA: the MS-TSGU access token a client presents in the tunnel-create PAA cookie. */
export const PaaClaimsSchema = CommonClaimsSchema.extend({
  /** Names of the allowed hosts this token may reach; a token naming none reaches nothing. */
  hosts: z.array(HostNameSchema).min(1).max(64),
  /** Single use: accepted once (plus the client's quick reconnections from the same address), then refused. */
  single_use: z.boolean().optional(),
  /** A per-device token: the device label it was issued for, shown with its sessions and revocable at once. */
  device: z.string().min(1).max(MAX_DEVICE_LABEL_CHARS).optional(),
});
export type PaaClaims = z.infer<typeof PaaClaimsSchema>;

/** ASSOCIATION: a relay session's token, carried in the RDP preconnection PDU (Devolutions' claims). */
export const AssociationClaimsSchema = z.object({
  jti: Uuid,
  iat: Seconds.optional(),
  nbf: Seconds.optional(),
  exp: Seconds,
  jet_gw_id: Uuid.optional(),
  /** Association (session) id. */
  jet_aid: Uuid,
  /** ApplicationProtocol; decides the default port of the targets. */
  jet_ap: z.string().min(1).max(64),
  /** `fwd` or `rdv`; checked in its own step so that `rdv` is refused by name. */
  jet_cm: z.string().min(1).max(16),
  dst_hst: z.string().min(1).max(MAX_TARGET_ADDR_CHARS).optional(),
  dst_alt: z.array(z.string().min(1).max(MAX_TARGET_ADDR_CHARS)).max(MAX_ALTERNATE_TARGETS).optional(),
  /** Recording policy: the seeds' boolean, or Devolutions' newer `none` / `stream` / `proxy`. */
  jet_rec: z.union([z.boolean(), z.string().max(32)]).optional(),
  jet_flt: z.boolean().optional(),
});
export type AssociationClaims = z.infer<typeof AssociationClaimsSchema>;

/** A verified ASSOCIATION token: its claims and its targets, `dst_hst` first, then `dst_alt` in order. */
export interface VerifiedAssociation {
  readonly claims: AssociationClaims;
  readonly targets: readonly TargetAddr[];
}

/** SCOPE: a bearer token for the `/jet` API. */
export const ScopeClaimsSchema = z.object({
  jti: Uuid,
  iat: Seconds.optional(),
  nbf: Seconds.optional(),
  exp: Seconds,
  jet_gw_id: Uuid.optional(),
  scope: z.string().min(1).max(128),
});
export type ScopeClaims = z.infer<typeof ScopeClaimsSchema>;

/** A value a JRL may list. */
const JrlValue = z.union([z.string().min(1).max(256), z.number()]);

/** JRL: the revocation list, as claim name → revoked values. Only a newer `iat` replaces the current one. */
export const JrlClaimsSchema = z
  .object({
    jti: Uuid,
    iat: Seconds,
    nbf: Seconds.optional(),
    exp: Seconds.optional(),
    jet_gw_id: Uuid.optional(),
    jrl: z.record(z.string().min(1).max(64), z.array(JrlValue)),
  })
  .superRefine((claims, ctx) => {
    const total = Object.values(claims.jrl).reduce((sum, values) => sum + values.length, 0);
    if (total > MAX_JRL_VALUES) {
      ctx.addIssue({ code: 'custom', path: ['jrl'], message: `lists ${total} values; at most ${MAX_JRL_VALUES}` });
    }
  });
export type JrlClaims = z.infer<typeof JrlClaimsSchema>;

/** What differs between token kinds in the one verification pipeline. */
interface KindRules<T extends { jti: string }> {
  readonly kind: TokenKind;
  readonly schema: z.ZodType<T>;
  readonly maxChars: number;
  /** Registered claims the token must carry (their values are checked by jose and the schema). */
  readonly requiredClaims: readonly string[];
  /** `always`: jet_gw_id must be present and match; `per-key`: as the signing key says; `if-present`: only match. */
  readonly gatewayId: 'always' | 'per-key' | 'if-present';
}

const PAA_RULES: KindRules<PaaClaims> = {
  kind: TokenKind.PAA,
  schema: PaaClaimsSchema,
  maxChars: MAX_TOKEN_CHARS,
  requiredClaims: ['jti', 'iat', 'nbf', 'exp'],
  gatewayId: 'always',
};
/** ASSOCIATION and SCOPE tokens differ only in their kind and claims. */
const BEARER_RULES = { maxChars: MAX_TOKEN_CHARS, requiredClaims: ['jti', 'exp'], gatewayId: 'per-key' } as const;
const ASSOCIATION_RULES: KindRules<AssociationClaims> = {
  kind: TokenKind.ASSOCIATION,
  schema: AssociationClaimsSchema,
  ...BEARER_RULES,
};
const SCOPE_RULES: KindRules<ScopeClaims> = { kind: TokenKind.SCOPE, schema: ScopeClaimsSchema, ...BEARER_RULES };
// A provisioner pushes one JRL to many gateways, so it names none of them; if it does, it must be this one.
const JRL_RULES: KindRules<JrlClaims> = {
  kind: TokenKind.JRL,
  schema: JrlClaimsSchema,
  maxChars: MAX_JRL_TOKEN_CHARS,
  requiredClaims: ['jti', 'iat'],
  gatewayId: 'if-present',
};

// ----- issuing -----

function nowSeconds(now: Date | undefined): number {
  return Math.floor((now ?? new Date()).getTime() / 1000);
}

async function sign(signer: TokenSigner, kind: TokenKind, claims: object): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: 'JWT', cty: kind })
    .sign(signer.privateKey);
}

/** A signed token and the claims it carries. */
export interface SignedToken<T> {
  token: string;
  claims: T;
}

/** Checks the claims against the kind's schema, then signs them. */
async function issue<T extends { jti: string }>(
  signer: TokenSigner,
  rules: KindRules<T>,
  claims: object,
): Promise<SignedToken<T>> {
  const checked = rules.schema.parse(claims);
  return { token: await sign(signer, rules.kind, checked), claims: checked };
}

/** What every expiring token is issued with. */
interface IssueLifetimeOptions {
  gatewayId: string;
  ttlSeconds: number;
  now?: Date;
}

/** The claims every expiring token opens with: a fresh id, valid from now for `ttlSeconds`, for this gateway. */
function lifetimeClaims(options: IssueLifetimeOptions) {
  const iat = nowSeconds(options.now);
  return { jti: randomUUID(), iat, nbf: iat, exp: iat + options.ttlSeconds, jet_gw_id: options.gatewayId };
}

export interface IssuePaaOptions extends IssueLifetimeOptions {
  hosts: readonly string[];
  /** Accepted once: the verifier then needs a replay check (`PaaVerifyOptions.replay`). */
  singleUse?: boolean;
  /** The device label of a per-device token. */
  device?: string;
}

export async function issuePaaToken(signer: TokenSigner, options: IssuePaaOptions): Promise<SignedToken<PaaClaims>> {
  return issue(signer, PAA_RULES, {
    ...lifetimeClaims(options),
    hosts: [...options.hosts],
    ...(options.singleUse ? { single_use: true } : {}),
    ...(options.device === undefined ? {} : { device: options.device }),
  });
}

export interface IssueAssociationOptions extends IssueLifetimeOptions {
  /** TargetAddr texts: the first becomes `dst_hst`, the rest `dst_alt`. */
  targets: readonly string[];
  applicationProtocol?: string;
  associationId?: string;
}

export async function issueAssociationToken(
  signer: TokenSigner,
  options: IssueAssociationOptions,
): Promise<SignedToken<AssociationClaims>> {
  const [first, ...alternates] = options.targets;
  if (first === undefined) throw new TypeError('an ASSOCIATION token needs at least one target');
  const claims = AssociationClaimsSchema.parse({
    ...lifetimeClaims(options),
    jet_aid: options.associationId ?? randomUUID(),
    jet_ap: options.applicationProtocol ?? 'rdp',
    jet_cm: ConnectionMode.FORWARD,
    dst_hst: first,
    ...(alternates.length > 0 ? { dst_alt: alternates } : {}),
  });
  associationTargets(claims);
  return { token: await sign(signer, TokenKind.ASSOCIATION, claims), claims };
}

export interface IssueScopeOptions extends IssueLifetimeOptions {
  scope: string;
}

export async function issueScopeToken(
  signer: TokenSigner,
  options: IssueScopeOptions,
): Promise<SignedToken<ScopeClaims>> {
  return issue(signer, SCOPE_RULES, { ...lifetimeClaims(options), scope: options.scope });
}

export interface IssueJrlOptions {
  jrl: Readonly<Record<string, readonly (string | number)[]>>;
  gatewayId?: string;
  /** Defaults to now; must be newer than the list it replaces. */
  iat?: number;
  now?: Date;
}

export async function issueJrlToken(signer: TokenSigner, options: IssueJrlOptions): Promise<SignedToken<JrlClaims>> {
  return issue(signer, JRL_RULES, {
    jti: randomUUID(),
    iat: options.iat ?? nowSeconds(options.now),
    ...(options.gatewayId === undefined ? {} : { jet_gw_id: options.gatewayId }),
    jrl: Object.fromEntries(Object.entries(options.jrl).map(([name, values]) => [name, [...values]])),
  });
}

// ----- verifying -----

export interface VerifyOptions {
  keys: VerificationKeyLookup;
  gatewayId: string;
  now?: Date;
  /** Step "revocation": answers true when the token's claims match the revocation list. */
  isRevoked?: (claims: RevocationSubject) => boolean;
}

export interface AssociationVerifyOptions extends VerifyOptions {
  /** Step "replay"; without it a token may be used any number of times. */
  replay?: ReplayCheck;
}

export interface PaaVerifyOptions extends VerifyOptions {
  /** Step "replay", for single-use tokens; without it a single-use token is refused (fail closed). */
  replay?: ReplayCheck;
}

/**
 * Verifies a PAA token (MS-TSGU). A single-use token (`single_use`) is then checked against the replay cache,
 * last, so that only otherwise valid tokens are counted; a verifier without a cache refuses it rather than let it be
 * used again and again.
 */
export async function verifyPaaToken(token: string, options: PaaVerifyOptions): Promise<PaaClaims> {
  const { claims, now } = await verifyToken(token, PAA_RULES, options);
  if (claims.single_use === true) {
    if (!options.replay) {
      throw new TokenError('unsupported', 'a single-use token cannot be checked here (no replay cache)', claims.jti);
    }
    const replayed = options.replay(claims.jti, claims.exp, now);
    if (replayed !== undefined) throw new TokenError('replayed', `the token was already used: ${replayed}`, claims.jti);
  }
  return claims;
}

/**
 * Verifies an ASSOCIATION token (TCP relay). Beyond the common steps: the connection mode must be `fwd`, the
 * targets must parse as TargetAddrs (default port from `jet_ap`), a recording demand is refused (nothing here
 * records), and the use is checked against the replay cache last, so only otherwise valid tokens are counted.
 */
export async function verifyAssociationToken(
  token: string,
  options: AssociationVerifyOptions,
): Promise<VerifiedAssociation> {
  const { claims, now } = await verifyToken(token, ASSOCIATION_RULES, options);
  if (claims.jet_cm === ConnectionMode.RENDEZVOUS) {
    throw new TokenError(
      'unsupported',
      'rendezvous connection mode (jet_cm "rdv") is not supported by this gateway; mint the token with jet_cm "fwd"',
      claims.jti,
    );
  }
  if (claims.jet_cm !== ConnectionMode.FORWARD) {
    throw new TokenError('invalid-claim', `jet_cm must be "fwd" or "rdv", got "${claims.jet_cm}"`, claims.jti);
  }
  if (claims.jet_rec === true || (typeof claims.jet_rec === 'string' && claims.jet_rec !== 'none')) {
    throw new TokenError(
      'unsupported',
      'the token demands session recording (jet_rec), which this gateway does not do',
      claims.jti,
    );
  }
  const targets = associationTargets(claims);
  // Step "replay": last, so that tokens refused for any other reason never occupy the cache.
  const replayed = options.replay?.(claims.jti, claims.exp, now);
  if (replayed !== undefined) throw new TokenError('replayed', `the token was already used: ${replayed}`, claims.jti);
  return { claims, targets };
}

/** Verifies a SCOPE token and checks that it grants `required` (its own name, or `*`). */
export async function verifyScopeToken(token: string, required: Scope, options: VerifyOptions): Promise<ScopeClaims> {
  const { claims } = await verifyToken(token, SCOPE_RULES, options);
  if (claims.scope !== Scope.WILDCARD && claims.scope !== required) {
    throw new TokenError('wrong-scope', `the token grants "${claims.scope}", not "${required}"`, claims.jti);
  }
  return claims;
}

/** Verifies a JRL token; whether it is newer than the current list is the revocation store's decision. */
export async function verifyJrlToken(token: string, options: VerifyOptions): Promise<JrlClaims> {
  return (await verifyToken(token, JRL_RULES, options)).claims;
}

/** The targets of verified ASSOCIATION claims: `dst_hst`, then `dst_alt`, each with `jet_ap`'s default port. */
export function associationTargets(claims: AssociationClaims): TargetAddr[] {
  if (claims.dst_hst === undefined) {
    throw new TokenError('missing-claim', 'a "fwd" token must name its target in dst_hst', claims.jti);
  }
  const defaultPort = defaultPortFor(claims.jet_ap);
  return [claims.dst_hst, ...(claims.dst_alt ?? [])].map((text, index) => {
    try {
      return parseTargetAddr(text, defaultPort);
    } catch (error) {
      if (!(error instanceof TargetAddrError)) throw error;
      const claim = index === 0 ? 'dst_hst' : `dst_alt[${index - 1}]`;
      throw new TokenError('invalid-claim', `${claim}: ${error.message}`, claims.jti);
    }
  });
}

/**
 * The one verification pipeline, for every kind. Steps, in order, each naming itself in the `TokenError` it
 * throws: size → decode → kind (`cty`) → key (`kid`, trusted for this kind) → signature and lifetime (jose, with
 * the key's one algorithm and the clock leeway) → claims (schema) → gateway (`jet_gw_id`) → revocation.
 * Kind-specific steps (connection mode, scope, replay) follow in the callers above.
 */
async function verifyToken<T extends { jti: string; jet_gw_id?: string | undefined }>(
  token: string,
  rules: KindRules<T>,
  options: VerifyOptions,
): Promise<{ claims: T; now: Date }> {
  const now = options.now ?? new Date();
  // size
  if (token.length === 0 || token.length > rules.maxChars) {
    throw new TokenError('malformed', `token length ${token.length} is outside 1..${rules.maxChars}`);
  }
  // decode
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
  // kind
  if (header.cty !== rules.kind) {
    throw new TokenError(
      'wrong-kind',
      `expected a ${rules.kind} token, got ${String(header.cty ?? 'none')}`,
      claimedId,
    );
  }
  // key
  const trusted = typeof header.kid === 'string' ? options.keys(header.kid, rules.kind) : undefined;
  if (!trusted) {
    throw new TokenError(
      'unknown-key',
      `the token is signed by a key this gateway does not trust for ${rules.kind} tokens`,
      claimedId,
    );
  }
  // signature and lifetime
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, trusted.key, {
      algorithms: [trusted.alg],
      clockTolerance: TOKEN_CLOCK_LEEWAY_SECONDS,
      currentDate: now,
      requiredClaims: [...rules.requiredClaims],
    }));
  } catch (error) {
    throw mapJoseError(error, claimedId);
  }
  // claims
  const parsed = rules.schema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new TokenError('missing-claim', `token claims are invalid: ${where}${issue?.message ?? ''}`, claimedId);
  }
  const claims = parsed.data;
  // gateway: stops a token minted for another gateway (sharing a provisioner key) being replayed here.
  const named = claims.jet_gw_id;
  if (named === undefined) {
    if (rules.gatewayId === 'always' || (rules.gatewayId === 'per-key' && trusted.requireGatewayId)) {
      throw new TokenError('wrong-gateway', 'the token does not name this gateway (jet_gw_id)', claims.jti);
    }
  } else if (named.toLowerCase() !== options.gatewayId.toLowerCase()) {
    throw new TokenError('wrong-gateway', 'the token was issued for another gateway', claims.jti);
  }
  // revocation: matched on the whole payload, so a JRL may list any claim (jti, jet_aid, …).
  if (options.isRevoked?.(payload)) {
    throw new TokenError('revoked', 'the token has been revoked', claims.jti);
  }
  return { claims, now };
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
    return new TokenError('bad-signature', 'the token uses an algorithm this key is not trusted with', tokenId);
  }
  return new TokenError('malformed', `the token cannot be verified: ${(error as Error).message}`, tokenId);
}
