import assert from 'node:assert/strict';
import {
  createPrivateKey,
  generateKeyPairSync,
  KeyObject,
  randomUUID,
  sign,
  verify,
  type JsonWebKey,
} from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader, SignJWT, type JWTPayload } from 'jose';
import { silentLogger } from '../../../main/logging/logger.ts';
import { loadOrCreateSigningKey, SIGNING_KEY_FILE, type SigningKey } from '../../../main/security/signing-key.ts';
import { TokenError, type TokenFailure } from '../../../main/security/token-errors.ts';
import {
  issuePaaToken,
  MAX_TOKEN_CHARS,
  TOKEN_CLOCK_LEEWAY_SECONDS,
  TokenKind,
  verifyPaaToken,
  type PaaClaims,
  type VerifyOptions,
} from '../../../main/security/tokens.ts';

const GATEWAY_ID = '6f1c2a4e-8d0b-4c7e-9a35-1b2c3d4e5f60';
const T0 = new Date('2030-01-02T03:04:05Z');
const T0_SECONDS = Math.floor(T0.getTime() / 1000);
const TTL_SECONDS = 900;

let dir: string;
let key: SigningKey;
/** The same key as a node:crypto KeyObject, read from the key file: a second, independent signer. */
let nodePrivateKey: KeyObject;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homegate-tokens-'));
  key = await loadOrCreateSigningKey(dir, { logger: silentLogger });
  const jwk = JSON.parse(await readFile(join(dir, SIGNING_KEY_FILE), 'utf8')) as JsonWebKey;
  nodePrivateKey = createPrivateKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d }, format: 'jwk' });
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function verifyOptions(overrides: Partial<VerifyOptions> = {}): VerifyOptions {
  return {
    keys: (kid) => (kid === key.kid ? { key: key.publicKey, alg: key.alg, requireGatewayId: true } : undefined),
    gatewayId: GATEWAY_ID,
    now: T0,
    ...overrides,
  };
}

function issue(overrides: { hosts?: string[]; now?: Date; ttlSeconds?: number; gatewayId?: string } = {}) {
  return issuePaaToken(key, {
    gatewayId: overrides.gatewayId ?? GATEWAY_ID,
    hosts: overrides.hosts ?? ['desktop'],
    ttlSeconds: overrides.ttlSeconds ?? TTL_SECONDS,
    now: overrides.now ?? T0,
  });
}

/** Valid PAA claims at T0, to be altered by a test. */
function claimsAt(seconds = T0_SECONDS): Record<string, unknown> {
  return {
    jti: randomUUID(),
    iat: seconds,
    nbf: seconds,
    exp: seconds + TTL_SECONDS,
    jet_gw_id: GATEWAY_ID,
    hosts: ['desktop'],
  };
}

/** Signs arbitrary claims with the gateway key through jose, with a PAA header unless told otherwise. */
function signWithJose(payload: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT', cty: TokenKind.PAA, ...header })
    .sign(key.privateKey);
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS built by hand: Ed25519 over `base64url(header).base64url(payload)` with node:crypto. */
function signByHand(header: Record<string, unknown>, payload: Record<string, unknown>, privateKey: KeyObject): string {
  const signingInput = `${b64url(header)}.${b64url(payload)}`;
  const signature = sign(null, Buffer.from(signingInput, 'ascii'), privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

async function assertRefused(
  token: Promise<string> | string,
  failure: TokenFailure,
  options: VerifyOptions = verifyOptions(),
): Promise<TokenError> {
  let caught: unknown;
  try {
    await verifyPaaToken(await token, options);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof TokenError, `expected a TokenError, got ${String(caught)}`);
  assert.equal(caught.failure, failure, caught.message);
  return caught;
}

describe('PAA tokens: issue and verify', () => {
  it('round-trips: the verified claims are the issued ones', async () => {
    const { token, claims } = await issue({ hosts: ['desktop', 'laptop'] });
    const verified = await verifyPaaToken(token, verifyOptions());
    assert.deepStrictEqual(verified, claims);
    assert.deepStrictEqual(verified.hosts, ['desktop', 'laptop']);
    assert.equal(verified.jet_gw_id, GATEWAY_ID);
    assert.equal(verified.iat, T0_SECONDS);
    assert.equal(verified.nbf, T0_SECONDS);
    assert.equal(verified.exp, T0_SECONDS + TTL_SECONDS);
    assert.match(verified.jti, /^[0-9a-f-]{36}$/);
  });

  it('gives every token its own jti', async () => {
    const a = await issue();
    const b = await issue();
    assert.notEqual(a.claims.jti, b.claims.jti);
  });

  it('signs with the gateway key, naming it and the PAA kind in the header', async () => {
    const { token } = await issue();
    assert.deepStrictEqual(decodeProtectedHeader(token), { alg: 'EdDSA', kid: key.kid, typ: 'JWT', cty: 'PAA' });
  });

  it('produces a JWS that node:crypto verifies independently of jose', async () => {
    const { token, claims } = await issue();
    const [header = '', payload = '', signature = ''] = token.split('.');
    const ok = verify(
      null,
      Buffer.from(`${header}.${payload}`, 'ascii'),
      KeyObject.from(key.publicKey),
      Buffer.from(signature, 'base64url'),
    );
    assert.ok(ok, 'Ed25519 signature over header.payload');
    assert.deepStrictEqual(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')), claims);
  });

  it('refuses to issue a token for an invalid host name or without hosts', async () => {
    await assert.rejects(issue({ hosts: [] }));
    await assert.rejects(issue({ hosts: ['bad name'] }));
  });
});

describe('PAA tokens: lifetime', () => {
  it('accepts a token until its expiry plus the clock leeway', async () => {
    const { token } = await issue();
    const exp = T0_SECONDS + TTL_SECONDS;
    for (const seconds of [T0_SECONDS, exp - 1, exp, exp + TOKEN_CLOCK_LEEWAY_SECONDS - 1]) {
      await verifyPaaToken(token, verifyOptions({ now: new Date(seconds * 1000) }));
    }
  });

  it('refuses an expired token (past the leeway) as expired, naming its jti', async () => {
    const { token, claims } = await issue();
    const late = new Date((T0_SECONDS + TTL_SECONDS + TOKEN_CLOCK_LEEWAY_SECONDS + 1) * 1000);
    const error = await assertRefused(token, 'expired', verifyOptions({ now: late }));
    assert.equal(error.tokenId, claims.jti);
  });

  it('refuses a token long expired', async () => {
    const { token } = await issue({ now: new Date(T0.getTime() - 24 * 3600 * 1000) });
    await assertRefused(token, 'expired');
  });

  it('accepts a token from a clock slightly ahead (within the leeway)', async () => {
    const { token } = await issue({ now: new Date((T0_SECONDS + TOKEN_CLOCK_LEEWAY_SECONDS - 1) * 1000) });
    await verifyPaaToken(token, verifyOptions());
  });

  it('refuses a token that is not valid yet (beyond the leeway) as not-yet-valid', async () => {
    const { token } = await issue({ now: new Date((T0_SECONDS + TOKEN_CLOCK_LEEWAY_SECONDS + 1) * 1000) });
    await assertRefused(token, 'not-yet-valid');
  });

  it('uses the current time when no `now` is given', async () => {
    const { token } = await issuePaaToken(key, { gatewayId: GATEWAY_ID, hosts: ['desktop'], ttlSeconds: 60 });
    await verifyPaaToken(token, verifyOptions({ now: undefined }));
    const old = await issue({ now: new Date(Date.now() - 3600 * 1000), ttlSeconds: 60 });
    await assertRefused(old.token, 'expired', verifyOptions({ now: undefined }));
  });
});

describe('PAA tokens: refusals', () => {
  it('refuses a token of another kind (cty) as wrong-kind', async () => {
    await assertRefused(signWithJose(claimsAt(), { cty: 'RELAY' }), 'wrong-kind');
    await assertRefused(signWithJose(claimsAt(), { cty: 'paa' }), 'wrong-kind');
  });

  it('refuses a token without a cty as wrong-kind', async () => {
    const token = await new SignJWT(claimsAt()).setProtectedHeader({ alg: 'EdDSA', kid: key.kid }).sign(key.privateKey);
    await assertRefused(token, 'wrong-kind');
  });

  it('refuses a token signed under an unknown kid, or without a kid, as unknown-key', async () => {
    await assertRefused(signWithJose(claimsAt(), { kid: 'someone-else' }), 'unknown-key');
    const noKid = await new SignJWT(claimsAt())
      .setProtectedHeader({ alg: 'EdDSA', cty: TokenKind.PAA })
      .sign(key.privateKey);
    await assertRefused(noKid, 'unknown-key');
  });

  it('refuses a token whose payload was changed after signing as bad-signature', async () => {
    const { token } = await issue({ hosts: ['desktop'] });
    const [header = '', payload = '', signature = ''] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as PaaClaims;
    const widened = b64url({ ...claims, hosts: ['desktop', 'server'] });
    await assertRefused(`${header}.${widened}.${signature}`, 'bad-signature');
  });

  it('refuses a token whose signature was changed as bad-signature', async () => {
    const { token } = await issue();
    const [header = '', payload = '', signature = ''] = token.split('.');
    const bytes = Buffer.from(signature, 'base64url');
    bytes[10] = (bytes[10] ?? 0) ^ 0x01;
    await assertRefused(`${header}.${payload}.${bytes.toString('base64url')}`, 'bad-signature');
  });

  it('refuses a token whose header was changed after signing', async () => {
    const { token } = await issue();
    const [, payload = '', signature = ''] = token.split('.');
    const header = b64url({ alg: 'EdDSA', kid: key.kid, cty: TokenKind.PAA, typ: 'JWT', extra: 1 });
    await assertRefused(`${header}.${payload}.${signature}`, 'bad-signature');
  });

  it('refuses a token issued for another gateway as wrong-gateway, naming its jti', async () => {
    const { token, claims } = await issue({ gatewayId: randomUUID() });
    const error = await assertRefused(token, 'wrong-gateway');
    assert.equal(error.tokenId, claims.jti);
  });

  it('refuses a revoked token, asking about its claims', async () => {
    const { token, claims } = await issue();
    const asked: unknown[] = [];
    const isRevoked = (subject: Readonly<Record<string, unknown>>): boolean => {
      asked.push(subject.jti);
      return subject.jti === claims.jti;
    };
    const error = await assertRefused(token, 'revoked', verifyOptions({ isRevoked }));
    assert.equal(error.tokenId, claims.jti);
    assert.deepStrictEqual(asked, [claims.jti]);

    const other = await issue();
    await verifyPaaToken(other.token, verifyOptions({ isRevoked }));
  });

  const missingOrInvalid: ReadonlyArray<readonly [string, (claims: Record<string, unknown>) => void]> = [
    ['no jti', (c) => delete c.jti],
    ['an empty jti', (c) => (c.jti = '')],
    ['no iat', (c) => delete c.iat],
    ['no nbf', (c) => delete c.nbf],
    ['no exp', (c) => delete c.exp],
    ['a string exp', (c) => (c.exp = String(c.exp))],
    ['a fractional iat', (c) => (c.iat = (c.iat as number) + 0.5)],
    ['no jet_gw_id', (c) => delete c.jet_gw_id],
    ['no hosts', (c) => delete c.hosts],
    ['empty hosts', (c) => (c.hosts = [])],
    ['hosts that is a string', (c) => (c.hosts = 'desktop')],
    ['an invalid host name', (c) => (c.hosts = ['desk top'])],
    ['too many hosts', (c) => (c.hosts = Array.from({ length: 65 }, (_, i) => `host${i}`))],
  ];
  for (const [label, alter] of missingOrInvalid) {
    it(`refuses a correctly signed token with ${label} as missing-claim`, async () => {
      const claims = claimsAt();
      alter(claims);
      await assertRefused(signWithJose(claims), 'missing-claim');
    });
  }

  it('refuses an oversize token before parsing it, even a correctly signed one', async () => {
    await assertRefused('a'.repeat(MAX_TOKEN_CHARS + 1), 'malformed');
    const big = await signWithJose({ ...claimsAt(), padding: 'x'.repeat(MAX_TOKEN_CHARS) });
    assert.ok(big.length > MAX_TOKEN_CHARS);
    const error = await assertRefused(big, 'malformed');
    assert.match(error.message, new RegExp(`${MAX_TOKEN_CHARS}`));
  });

  it('accepts the longest correctly signed token within the limit, and refuses the next size', async () => {
    // Grow a padding claim until the token crosses the limit; the sizes just below and above must split.
    const unpadded = await signWithJose({ ...claimsAt(), padding: '' });
    // Each padding character adds 4/3 of a character; start a little below the limit.
    let padding = Math.floor(((MAX_TOKEN_CHARS - unpadded.length) * 3) / 4) - 8;
    let below: string | undefined;
    let above: string | undefined;
    while (above === undefined) {
      const token = await signWithJose({ ...claimsAt(), padding: 'x'.repeat(padding) });
      if (token.length <= MAX_TOKEN_CHARS) below = token;
      else above = token;
      padding++;
    }
    assert.ok(below !== undefined && below.length > MAX_TOKEN_CHARS - 4);
    await verifyPaaToken(below, verifyOptions());
    await assertRefused(above, 'malformed');
  });

  it('refuses an empty token and things that are not JWTs as malformed', async () => {
    for (const token of ['', 'abc', 'a.b.c', 'a.b', '...', `${b64url({ alg: 'EdDSA' })}.@@@.sig`]) {
      await assertRefused(token, 'malformed');
    }
  });

  it("refuses an unsecured token (alg 'none')", async () => {
    const token = `${b64url({ alg: 'none', kid: key.kid, typ: 'JWT', cty: TokenKind.PAA })}.${b64url(claimsAt())}.`;
    await assertRefused(token, 'bad-signature');
  });

  it('refuses an HMAC token keyed with the public key (algorithm confusion)', async () => {
    const secret = Buffer.from(JSON.stringify(key.publicJwk));
    const token = await new SignJWT(claimsAt())
      .setProtectedHeader({ alg: 'HS256', kid: key.kid, cty: TokenKind.PAA })
      .sign(secret);
    await assertRefused(token, 'bad-signature');
  });

  it('gives refusals a message and, when readable, the claimed jti', async () => {
    const claims = claimsAt();
    const error = await assertRefused(signWithJose(claims, { kid: 'nope' }), 'unknown-key');
    assert.equal(error.tokenId, claims.jti);
    assert.ok(error.message.length > 0);
  });
});

describe('PAA tokens: an independent implementation (node:crypto, by hand)', () => {
  const header = (): Record<string, unknown> => ({ alg: 'EdDSA', kid: key.kid, typ: 'JWT', cty: 'PAA' });

  it('verifies a JWT built by hand and signed with the gateway key', async () => {
    const claims = claimsAt();
    const token = signByHand(header(), claims, nodePrivateKey);
    assert.deepStrictEqual(await verifyPaaToken(token, verifyOptions()), claims);
  });

  it('refuses a JWT built by hand and signed by another Ed25519 key under the same kid', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    await assertRefused(signByHand(header(), claimsAt(), privateKey), 'bad-signature');
  });

  it('refuses a hand-built JWT whose signature covers different bytes', async () => {
    const claims = claimsAt();
    const token = signByHand(header(), claims, nodePrivateKey);
    const [h = '', , s = ''] = token.split('.');
    // Same claims, re-serialised with other white space: a different signing input.
    const respaced = Buffer.from(JSON.stringify(claims, null, 1)).toString('base64url');
    await assertRefused(`${h}.${respaced}.${s}`, 'bad-signature');
  });

  it('refuses a correctly signed JWT that requires a JWS extension it does not know (crit)', async () => {
    await assertRefused(signByHand({ ...header(), crit: ['exp'] }, claimsAt(), nodePrivateKey), 'malformed');
  });

  it('refuses a correctly signed JWT whose lifetime claims are not numbers', async () => {
    for (const claim of ['exp', 'nbf', 'iat']) {
      const claims = { ...claimsAt(), [claim]: '9999999999' };
      await assertRefused(signByHand(header(), claims, nodePrivateKey), 'missing-claim');
    }
  });
});
