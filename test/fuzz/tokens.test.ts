/**
 * Fuzzing the JWT compact form where a network token reaches it (main/security/tokens.ts): `verifyPaaToken` (the
 * PAA cookie of TUNNEL_CREATE) and `verifyAssociationToken` (the relay's preconnection PDU). Seeds: the tokens
 * FreeRDP carried in the captures, and fresh ones signed by a key the verifier trusts. Inputs: byte mutations of
 * the compact form, tokens re-built with mutated headers and claims (signed again, so that every later step is
 * reached), and random text. Expected: only TokenError, with a known failure; and a token is accepted only when its
 * signature verifies with the trusted key (checked here with node:crypto) and its claims are in force.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, sign, verify } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { TokenError, type TokenFailure } from '../../main/security/token-errors.ts';
import {
  MAX_TOKEN_CHARS,
  TOKEN_CLOCK_LEEWAY_SECONDS,
  TokenKind,
  issueAssociationToken,
  issuePaaToken,
  verifyAssociationToken,
  verifyPaaToken,
  type TokenSigner,
  type VerifyOptions,
} from '../../main/security/tokens.ts';
import { check, mutated } from './fuzz.ts';
import { CAPTURED_TOKENS } from './seeds.ts';

const FAILURES = new Set<TokenFailure>([
  'malformed',
  'bad-signature',
  'unknown-key',
  'wrong-kind',
  'expired',
  'not-yet-valid',
  'wrong-gateway',
  'revoked',
  'missing-claim',
  'invalid-claim',
  'unsupported',
  'replayed',
  'wrong-scope',
]);

const GATEWAY_ID = randomUUID();
const NOW = new Date('2030-01-02T03:04:05Z');
const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const KID = 'fuzz-key';
const signer: TokenSigner = { kid: KID, alg: 'EdDSA', privateKey };

const options: VerifyOptions = {
  // The captured tokens' kids are trusted too (their key is gone), so that they reach the signature step.
  keys: () => ({ key: publicKey, alg: 'EdDSA', requireGatewayId: true }),
  gatewayId: GATEWAY_ID,
  now: NOW,
  isRevoked: (claims) => claims.jti === 'revoked',
};

const fresh = [
  (await issuePaaToken(signer, { gatewayId: GATEWAY_ID, hosts: ['desktop'], ttlSeconds: 900, now: NOW })).token,
  (
    await issueAssociationToken(signer, {
      gatewayId: GATEWAY_ID,
      targets: ['tcp://127.0.0.1:3389', '192.168.1.20'],
      ttlSeconds: 900,
      now: NOW,
    })
  ).token,
];
const SEEDS = [...fresh, ...CAPTURED_TOKENS];

const b64 = (value: Buffer | string): string => Buffer.from(value).toString('base64url');
const signedBy = (signingInput: string): string => b64(sign(null, Buffer.from(signingInput), privateKey));

/** The JOSE segments of a compact token, decoded; undefined when they are not JSON objects. */
function decodeSegments(
  token: string,
): { header: Record<string, unknown>; payload: Record<string, unknown> } | undefined {
  const [header, payload] = token.split('.');
  try {
    const parse = (segment: string | undefined): unknown =>
      JSON.parse(Buffer.from(segment ?? '', 'base64url').toString());
    const h = parse(header);
    const p = parse(payload);
    if (typeof h !== 'object' || h === null || typeof p !== 'object' || p === null) return undefined;
    return { header: h as Record<string, unknown>, payload: p as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

/** Runs `token` through both network verifiers; checks how each refused or why it could accept. */
async function verifyBoth(token: string): Promise<void> {
  const verifiers = [
    { kind: TokenKind.PAA, run: () => verifyPaaToken(token, options) },
    { kind: TokenKind.ASSOCIATION, run: () => verifyAssociationToken(token, options) },
  ];
  for (const { kind, run } of verifiers) {
    try {
      await run();
    } catch (error) {
      assert.ok(error instanceof TokenError, `only TokenError escapes the verifier: ${String(error)}`);
      assert.ok(FAILURES.has(error.failure), error.failure);
      if (token.length === 0 || token.length > MAX_TOKEN_CHARS) assert.equal(error.failure, 'malformed');
      continue;
    }
    // Accepted: the signature must verify over what was sent, and the token must be what this door takes, now.
    const parts = token.split('.');
    assert.equal(parts.length, 3);
    const [header = '', payload = '', signature = ''] = parts;
    const signatureBytes = Buffer.from(signature, 'base64url');
    assert.ok(verify(null, Buffer.from(`${header}.${payload}`), publicKey, signatureBytes), 'accepted unsigned bytes');
    const decoded = decodeSegments(token);
    assert.ok(decoded);
    assert.equal(decoded.header.alg, 'EdDSA');
    assert.equal(decoded.header.cty, kind);
    const claims = decoded.payload;
    assert.ok(typeof claims.exp === 'number' && claims.exp + TOKEN_CLOCK_LEEWAY_SECONDS > NOW_SECONDS);
    if (claims.nbf !== undefined) assert.ok(Number(claims.nbf) - TOKEN_CLOCK_LEEWAY_SECONDS <= NOW_SECONDS);
    assert.equal(String(claims.jet_gw_id).toLowerCase(), GATEWAY_ID);
    assert.notEqual(claims.jti, 'revoked');
  }
}

/** Values that break claims: wrong types, edges of numbers and strings, nesting. */
const claimValue = fc.oneof(
  fc.constantFrom(
    null,
    true,
    0,
    -1,
    NOW_SECONDS,
    NOW_SECONDS - 3600,
    NOW_SECONDS + 3600,
    1e308,
    -0,
    2 ** 53,
    '',
    'fwd',
    'rdv',
    'rdp',
    'none',
    GATEWAY_ID,
    GATEWAY_ID.toUpperCase(),
    'revoked',
    'x'.repeat(300),
    ['desktop'],
    [],
    { a: 1 },
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

const CLAIM_NAMES = ['jti', 'iat', 'nbf', 'exp', 'jet_gw_id', 'hosts', 'single_use', 'device', 'jet_aid', 'jet_ap'];
const MORE_CLAIMS = ['jet_cm', 'dst_hst', 'dst_alt', 'jet_rec', '__proto__', 'constructor'];
const HEADER_NAMES = ['alg', 'cty', 'kid', 'typ', 'crit', 'b64', 'jku', 'x5u', 'jwk'];

const edit = (names: readonly string[]) =>
  fc.record({ name: fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 6 })), value: fc.option(claimValue) });

/** A seed re-built with edited header fields and claims, signed again by the trusted key (or not signed at all). */
const rebuilt = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(edit(HEADER_NAMES), { maxLength: 2 }),
    fc.array(edit([...CLAIM_NAMES, ...MORE_CLAIMS]), { maxLength: 3 }),
    fc.constantFrom('sign', 'sign', 'sign', 'empty', 'keep'),
  )
  .map(([seed, headerEdits, claimEdits, signature]) => {
    const decoded = decodeSegments(seed);
    assert.ok(decoded, 'every seed is a JWT');
    const header: Record<string, unknown> = { ...decoded.header };
    const payload: Record<string, unknown> = { ...decoded.payload };
    for (const { name, value } of headerEdits) {
      if (value === null) delete header[name];
      else Object.defineProperty(header, name, { value, enumerable: true, writable: true, configurable: true });
    }
    for (const { name, value } of claimEdits) {
      if (value === null) delete payload[name];
      else Object.defineProperty(payload, name, { value, enumerable: true, writable: true, configurable: true });
    }
    const signingInput = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
    const tail = signature === 'sign' ? signedBy(signingInput) : signature === 'keep' ? (seed.split('.')[2] ?? '') : '';
    return `${signingInput}.${tail}`;
  });

/** The compact form's bytes mutated (latin1 keeps each byte one character). */
const byteMutated = mutated(SEEDS.map((seed) => Buffer.from(seed, 'latin1'))).map((bytes) => bytes.toString('latin1'));

test('JWT: fresh and captured tokens, their compact form mutated', async (t) => {
  await check(t, fc.asyncProperty(byteMutated, verifyBoth), 800, 0.4);
});

test('JWT: tokens re-built with mutated headers and claims, signed again', async (t) => {
  await check(t, fc.asyncProperty(rebuilt, verifyBoth), 800, 0.3);
});

test('JWT: random text, segments and oversize tokens', async (t) => {
  const segment = fc.string({ unit: fc.constantFrom(...'eyJhbGciOi0123456789-_=+/. '), maxLength: 40 });
  await check(
    t,
    fc.asyncProperty(
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 80 }),
        // Any UTF-16 code units, lone surrogates too: what a preconnection PDU's UTF-16LE blob can carry.
        fc.string({
          unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
          maxLength: 80,
        }),
        fc.array(segment, { maxLength: 5 }).map((segments) => segments.join('.')),
        fc
          .integer({ min: MAX_TOKEN_CHARS - 2, max: MAX_TOKEN_CHARS + 2 })
          .map((n) => `${SEEDS[0]}${'A'.repeat(n)}`.slice(0, n)),
      ),
      verifyBoth,
    ),
    800,
    0.3,
  );
});
