/**
 * ASSOCIATION, SCOPE and JRL tokens, and provisioner keys. Tokens "from a provisioner" are built by hand here with
 * node:crypto (a second implementation of JWS), never with the code under test.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { silentLogger } from '../../../main/logging/logger.ts';
import { loadOrCreateSigningKey, type SigningKey } from '../../../main/security/signing-key.ts';
import { TokenError, type TokenFailure } from '../../../main/security/token-errors.ts';
import {
  MAX_JRL_VALUES,
  MAX_TOKEN_CHARS,
  Scope,
  TOKEN_CLOCK_LEEWAY_SECONDS,
  TokenKind,
  issueAssociationToken,
  issueJrlToken,
  issuePaaToken,
  issueScopeToken,
  verifyAssociationToken,
  verifyJrlToken,
  verifyPaaToken,
  verifyScopeToken,
  type AssociationVerifyOptions,
  type ReplayCheck,
} from '../../../main/security/tokens.ts';
import {
  ProvisionerKeySchema,
  createKeyLookup,
  type ProvisionerKeyConfig,
} from '../../../main/security/trusted-keys.ts';

const GATEWAY_ID = '6f1c2a4e-8d0b-4c7e-9a35-1b2c3d4e5f60';
const T0 = new Date('2030-01-02T03:04:05Z');
const T0_SECONDS = Math.floor(T0.getTime() / 1000);

let dir: string;
let key: SigningKey;
const es256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rs256 = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** Provisioner keys as they would appear in settings.json (parsed by the settings schema). */
let provisioners: ProvisionerKeyConfig[];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'homegate-token-kinds-'));
  key = await loadOrCreateSigningKey(dir, { logger: silentLogger });
  provisioners = [
    ProvisionerKeySchema.parse({
      kid: 'dvls-es',
      alg: 'ES256',
      publicKeyPem: es256.publicKey.export({ type: 'spki', format: 'pem' }),
    }),
    ProvisionerKeySchema.parse({
      kid: 'dvls-rs',
      alg: 'RS256',
      publicKeyJwk: rs256.publicKey.export({ format: 'jwk' }),
      requireGatewayId: false,
    }),
    ProvisionerKeySchema.parse({
      kid: 'api-only',
      alg: 'ES256',
      publicKeyPem: es256.publicKey.export({ type: 'spki', format: 'pem' }),
      kinds: ['SCOPE'],
    }),
  ];
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(overrides: Partial<AssociationVerifyOptions> = {}): AssociationVerifyOptions {
  return {
    keys: createKeyLookup(key, () => provisioners),
    gatewayId: GATEWAY_ID,
    now: T0,
    ...overrides,
  };
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS built by hand: ES256 (IEEE P1363 r‖s, as JWS wants) or RS256 (PKCS#1 v1.5), with node:crypto. */
function handMade(alg: 'ES256' | 'RS256', kid: string, cty: string, payload: object, privateKey: KeyObject): string {
  const input = `${b64url({ alg, typ: 'JWT', cty, kid })}.${b64url(payload)}`;
  const signature =
    alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
      : sign('sha256', Buffer.from(input), privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

function associationClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    jti: randomUUID(),
    iat: T0_SECONDS,
    nbf: T0_SECONDS,
    exp: T0_SECONDS + 900,
    jet_gw_id: GATEWAY_ID,
    jet_aid: randomUUID(),
    jet_ap: 'rdp',
    jet_cm: 'fwd',
    dst_hst: 'tcp://desktop.lan:3389',
    ...overrides,
  };
}

async function refused(promise: Promise<unknown>, failure: TokenFailure): Promise<TokenError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof TokenError, `expected a TokenError, got ${String(caught)}`);
  assert.equal(caught.failure, failure, caught.message);
  return caught;
}

describe('ASSOCIATION tokens', () => {
  it('round-trips: cty ASSOCIATION, the seeds’ claims, targets with the protocol’s default port', async () => {
    const { token, claims } = await issueAssociationToken(key, {
      gatewayId: GATEWAY_ID,
      targets: ['desktop.lan', 'tcp://laptop.lan:3390'],
      ttlSeconds: 600,
      now: T0,
    });
    assert.equal(decodeProtectedHeader(token).cty, 'ASSOCIATION');
    assert.equal(claims.jet_cm, 'fwd');
    assert.equal(claims.jet_ap, 'rdp');
    assert.deepStrictEqual(claims.dst_alt, ['tcp://laptop.lan:3390']);
    const verified = await verifyAssociationToken(token, options());
    assert.deepStrictEqual(verified.claims, claims);
    assert.deepStrictEqual(verified.targets, [
      { scheme: 'tcp', host: 'desktop.lan', port: 3389 },
      { scheme: 'tcp', host: 'laptop.lan', port: 3390 },
    ]);
  });

  it('verifies a hand-made ES256 token from a provisioner key (PEM), and an RS256 one (JWK)', async () => {
    const claims = associationClaims({ jet_ap: 'ssh', dst_hst: 'bastion', dst_alt: ['tcp://10.0.0.2'] });
    const es = handMade('ES256', 'dvls-es', 'ASSOCIATION', claims, es256.privateKey);
    const verified = await verifyAssociationToken(es, options());
    assert.deepStrictEqual(
      verified.targets.map((t) => `${t.host}:${t.port}`),
      ['bastion:22', '10.0.0.2:22'],
    );
    const rs = handMade('RS256', 'dvls-rs', 'ASSOCIATION', associationClaims(), rs256.privateKey);
    assert.equal((await verifyAssociationToken(rs, options())).claims.jet_ap, 'rdp');
  });

  it('refuses rendezvous mode clearly, and any other connection mode as invalid', async () => {
    const rdv = handMade('ES256', 'dvls-es', 'ASSOCIATION', associationClaims({ jet_cm: 'rdv' }), es256.privateKey);
    const error = await refused(verifyAssociationToken(rdv, options()), 'unsupported');
    assert.match(error.message, /rendezvous.*"rdv"/);
    const odd = handMade('ES256', 'dvls-es', 'ASSOCIATION', associationClaims({ jet_cm: 'xyz' }), es256.privateKey);
    await refused(verifyAssociationToken(odd, options()), 'invalid-claim');
  });

  it('refuses a token that demands recording, and accepts one that does not', async () => {
    for (const jet_rec of [true, 'proxy', 'stream']) {
      const token = handMade('ES256', 'dvls-es', 'ASSOCIATION', associationClaims({ jet_rec }), es256.privateKey);
      await refused(verifyAssociationToken(token, options()), 'unsupported');
    }
    for (const jet_rec of [false, 'none']) {
      const token = handMade('ES256', 'dvls-es', 'ASSOCIATION', associationClaims({ jet_rec }), es256.privateKey);
      await verifyAssociationToken(token, options());
    }
  });

  const badClaims: ReadonlyArray<readonly [string, Record<string, unknown>, TokenFailure]> = [
    ['no dst_hst', { dst_hst: undefined }, 'missing-claim'],
    ['a dst_hst with a path', { dst_hst: 'tcp://desktop:3389/x' }, 'invalid-claim'],
    [
      'a dst_alt without a port for an unknown protocol',
      { jet_ap: 'mine', dst_hst: 'a:1', dst_alt: ['b'] },
      'invalid-claim',
    ],
    ['nine dst_alt', { dst_alt: Array.from({ length: 9 }, (_, i) => `h${i}:1`) }, 'missing-claim'],
    ['a jti that is not a UUID', { jti: 'not-a-uuid' }, 'missing-claim'],
    ['no jet_aid', { jet_aid: undefined }, 'missing-claim'],
    ['no exp', { exp: undefined }, 'missing-claim'],
  ];
  for (const [label, overrides, failure] of badClaims) {
    it(`refuses a token with ${label} as ${failure}`, async () => {
      const token = handMade('ES256', 'dvls-es', 'ASSOCIATION', associationClaims(overrides), es256.privateKey);
      await refused(verifyAssociationToken(token, options()), failure);
    });
  }

  it('names the faulty target in the error', async () => {
    const claims = associationClaims({ dst_alt: ['ok:1', 'tcp://u@bad:1'] });
    const token = handMade('ES256', 'dvls-es', 'ASSOCIATION', claims, es256.privateKey);
    const error = await refused(verifyAssociationToken(token, options()), 'invalid-claim');
    assert.match(error.message, /^dst_alt\[1\]/);
  });

  it('checks jet_gw_id: another gateway is refused; none is refused unless the key allows it', async () => {
    const other = handMade(
      'ES256',
      'dvls-es',
      'ASSOCIATION',
      associationClaims({ jet_gw_id: randomUUID() }),
      es256.privateKey,
    );
    await refused(verifyAssociationToken(other, options()), 'wrong-gateway');
    const unnamed = associationClaims({ jet_gw_id: undefined });
    await refused(
      verifyAssociationToken(handMade('ES256', 'dvls-es', 'ASSOCIATION', unnamed, es256.privateKey), options()),
      'wrong-gateway',
    );
    // dvls-rs is configured with requireGatewayId: false.
    await verifyAssociationToken(handMade('RS256', 'dvls-rs', 'ASSOCIATION', unnamed, rs256.privateKey), options());
    // The gateway id compares without regard to case (it is a UUID).
    const upper = associationClaims({ jet_gw_id: GATEWAY_ID.toUpperCase() });
    await verifyAssociationToken(handMade('ES256', 'dvls-es', 'ASSOCIATION', upper, es256.privateKey), options());
  });

  it('honours the kinds a provisioner key may sign, and never lets it shadow the gateway key', async () => {
    const token = handMade('ES256', 'api-only', 'ASSOCIATION', associationClaims(), es256.privateKey);
    await refused(verifyAssociationToken(token, options()), 'unknown-key');
    const impostor = ProvisionerKeySchema.parse({
      kid: key.kid,
      alg: 'ES256',
      publicKeyPem: es256.publicKey.export({ type: 'spki', format: 'pem' }),
    });
    const lookup = createKeyLookup(key, () => [impostor]);
    const forged = handMade('ES256', key.kid, 'ASSOCIATION', associationClaims(), es256.privateKey);
    await refused(verifyAssociationToken(forged, options({ keys: lookup })), 'bad-signature');
  });

  it('pins each key to its algorithm (an RS256 key cannot be used as PS256)', async () => {
    const input = `${b64url({ alg: 'PS256', kid: 'dvls-rs', cty: 'ASSOCIATION' })}.${b64url(associationClaims())}`;
    const { constants } = await import('node:crypto');
    const signature = sign('sha256', Buffer.from(input), {
      key: rs256.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    });
    await refused(verifyAssociationToken(`${input}.${signature.toString('base64url')}`, options()), 'bad-signature');
  });

  it('applies the lifetime with the leeway', async () => {
    const claims = associationClaims();
    const token = handMade('ES256', 'dvls-es', 'ASSOCIATION', claims, es256.privateKey);
    const exp = claims.exp as number;
    await verifyAssociationToken(token, options({ now: new Date((exp + TOKEN_CLOCK_LEEWAY_SECONDS - 1) * 1000) }));
    await refused(
      verifyAssociationToken(token, options({ now: new Date((exp + TOKEN_CLOCK_LEEWAY_SECONDS + 1) * 1000) })),
      'expired',
    );
    const future = handMade(
      'ES256',
      'dvls-es',
      'ASSOCIATION',
      associationClaims({ nbf: T0_SECONDS + 600 }),
      es256.privateKey,
    );
    await refused(verifyAssociationToken(future, options()), 'not-yet-valid');
  });

  it('matches the revocation list against every claim (jti or jet_aid)', async () => {
    const claims = associationClaims();
    const token = handMade('ES256', 'dvls-es', 'ASSOCIATION', claims, es256.privateKey);
    await refused(
      verifyAssociationToken(token, options({ isRevoked: (c) => c.jet_aid === claims.jet_aid })),
      'revoked',
    );
    await refused(verifyAssociationToken(token, options({ isRevoked: (c) => c.jti === claims.jti })), 'revoked');
  });

  it('asks the replay check last, with the jti and exp, and refuses what it refuses', async () => {
    const asked: [string, number][] = [];
    const replay: ReplayCheck = (jti, exp) => {
      asked.push([jti, exp]);
      return asked.length > 1 ? 'seen before' : undefined;
    };
    const claims = associationClaims();
    const token = handMade('ES256', 'dvls-es', 'ASSOCIATION', claims, es256.privateKey);
    await verifyAssociationToken(token, options({ replay }));
    const error = await refused(verifyAssociationToken(token, options({ replay })), 'replayed');
    assert.match(error.message, /seen before/);
    assert.deepStrictEqual(asked, [
      [claims.jti, claims.exp],
      [claims.jti, claims.exp],
    ]);
    // Tokens refused for another reason never reach the replay check (they must not fill its cache).
    const rdv = handMade('ES256', 'dvls-es', 'ASSOCIATION', associationClaims({ jet_cm: 'rdv' }), es256.privateKey);
    await refused(verifyAssociationToken(rdv, options({ replay })), 'unsupported');
    await refused(verifyAssociationToken(token, options({ replay, isRevoked: () => true })), 'revoked');
    assert.equal(asked.length, 2);
  });
});

describe('token kinds never stand in for each other', () => {
  it('refuses every kind where another is expected (cty)', async () => {
    const paa = (await issuePaaToken(key, { gatewayId: GATEWAY_ID, hosts: ['desktop'], ttlSeconds: 60, now: T0 }))
      .token;
    const association = (
      await issueAssociationToken(key, { gatewayId: GATEWAY_ID, targets: ['desktop'], ttlSeconds: 60, now: T0 })
    ).token;
    const scope = (await issueScopeToken(key, { gatewayId: GATEWAY_ID, scope: '*', ttlSeconds: 60, now: T0 })).token;
    const jrl = (await issueJrlToken(key, { jrl: {}, iat: T0_SECONDS })).token;
    await refused(verifyPaaToken(association, options()), 'wrong-kind');
    await refused(verifyAssociationToken(paa, options()), 'wrong-kind');
    await refused(verifyAssociationToken(scope, options()), 'wrong-kind');
    await refused(verifyScopeToken(association, Scope.SESSIONS_READ, options()), 'wrong-kind');
    await refused(verifyScopeToken(jrl, Scope.SESSIONS_READ, options()), 'wrong-kind');
    await refused(verifyJrlToken(scope, options()), 'wrong-kind');
  });
});

describe('SCOPE tokens', () => {
  it('grant their own scope, and * grants every scope', async () => {
    const { token } = await issueScopeToken(key, {
      gatewayId: GATEWAY_ID,
      scope: Scope.SESSIONS_READ,
      ttlSeconds: 60,
      now: T0,
    });
    assert.equal(decodeProtectedHeader(token).cty, 'SCOPE');
    await verifyScopeToken(token, Scope.SESSIONS_READ, options());
    const error = await refused(verifyScopeToken(token, Scope.JRL_READ, options()), 'wrong-scope');
    assert.match(error.message, /gateway\.sessions\.read.*gateway\.jrl\.read/);
    const wildcard = (await issueScopeToken(key, { gatewayId: GATEWAY_ID, scope: '*', ttlSeconds: 60, now: T0 })).token;
    for (const scope of [Scope.SESSIONS_READ, Scope.SESSION_TERMINATE, Scope.DIAGNOSTICS_READ, Scope.JRL_READ]) {
      await verifyScopeToken(wildcard, scope, options());
    }
  });

  it('verifies a hand-made provisioner SCOPE token with only scope, exp and jti (Devolutions’ minimum)', async () => {
    const token = handMade(
      'RS256',
      'dvls-rs',
      'SCOPE',
      { scope: 'gateway.diagnostics.read', exp: T0_SECONDS + 60, jti: randomUUID() },
      rs256.privateKey,
    );
    await verifyScopeToken(token, Scope.DIAGNOSTICS_READ, options());
  });
});

describe('JRL tokens', () => {
  it('need iat; nbf, exp and jet_gw_id are optional', async () => {
    const jrl = { jti: [randomUUID()] };
    const minimal = handMade('ES256', 'dvls-es', 'JRL', { jti: randomUUID(), iat: T0_SECONDS, jrl }, es256.privateKey);
    const claims = await verifyJrlToken(minimal, options());
    assert.deepStrictEqual(claims.jrl, jrl);
    const noIat = handMade('ES256', 'dvls-es', 'JRL', { jti: randomUUID(), jrl }, es256.privateKey);
    await refused(verifyJrlToken(noIat, options()), 'missing-claim');
    const otherGateway = handMade(
      'ES256',
      'dvls-es',
      'JRL',
      { jti: randomUUID(), iat: T0_SECONDS, jet_gw_id: randomUUID(), jrl },
      es256.privateKey,
    );
    await refused(verifyJrlToken(otherGateway, options()), 'wrong-gateway');
  });

  it('may be longer than other tokens, but lists at most MAX_JRL_VALUES values', async () => {
    const many = Array.from({ length: 200 }, () => randomUUID());
    const { token } = await issueJrlToken(key, { jrl: { jti: many }, iat: T0_SECONDS });
    assert.ok(token.length > MAX_TOKEN_CHARS);
    assert.equal((await verifyJrlToken(token, options())).jrl.jti?.length, 200);
    const tooMany = Array.from({ length: MAX_JRL_VALUES + 1 }, (_, i) => i);
    const big = handMade(
      'ES256',
      'dvls-es',
      'JRL',
      { jti: randomUUID(), iat: T0_SECONDS, jrl: { n: tooMany } },
      es256.privateKey,
    );
    await refused(verifyJrlToken(big, options()), 'missing-claim');
  });
});

describe('provisioner keys in the settings', () => {
  const pem = (k: KeyObject): string => k.export({ type: 'spki', format: 'pem' }) as string;
  const cases: ReadonlyArray<readonly [string, Record<string, unknown>, RegExp]> = [
    [
      'a private key',
      { alg: 'ES256', publicKeyPem: es256.privateKey.export({ type: 'pkcs8', format: 'pem' }) },
      /private key/,
    ],
    ['a private JWK', { alg: 'ES256', publicKeyJwk: es256.privateKey.export({ format: 'jwk' }) }, /private key/],
    ['both PEM and JWK', { alg: 'ES256', publicKeyPem: 'x', publicKeyJwk: {} }, /exactly one/],
    ['neither PEM nor JWK', { alg: 'ES256' }, /exactly one/],
    ['an RSA key for ES256', { alg: 'ES256', publicKeyPem: pem(rs256.publicKey) }, /does not fit ES256/],
    [
      'a P-384 key for ES256',
      { alg: 'ES256', publicKeyPem: pem(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey) },
      /does not fit/,
    ],
    [
      'a 1024-bit RSA key',
      { alg: 'RS256', publicKeyPem: pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey) },
      /2048/,
    ],
    [
      'garbage',
      { alg: 'RS256', publicKeyPem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' },
      /not a readable/,
    ],
    ['an unknown algorithm', { alg: 'HS256', publicKeyPem: pem(rs256.publicKey) }, /./],
  ];
  for (const [label, config, message] of cases) {
    it(`refuses ${label}`, () => {
      const result = ProvisionerKeySchema.safeParse({ kid: 'k', ...config });
      assert.equal(result.success, false);
      assert.match(result.error?.issues.map((issue) => issue.message).join('; ') ?? '', message);
    });
  }

  it('defaults to ASSOCIATION, SCOPE and JRL tokens, with the gateway id required', () => {
    const parsed = ProvisionerKeySchema.parse({ kid: 'k', alg: 'EdDSA', publicKeyJwk: key.publicJwk });
    assert.deepStrictEqual(parsed.kinds, [TokenKind.ASSOCIATION, TokenKind.SCOPE, TokenKind.JRL]);
    assert.equal(parsed.requireGatewayId, true);
  });
});
