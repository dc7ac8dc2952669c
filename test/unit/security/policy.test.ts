import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket, type OnReadOpts } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import type { Host } from '../../../shared/model/hosts.ts';
import { defaultSettings, type Settings } from '../../../main/config/schema.ts';
import { HResult } from '../../../main/gateway/tsgu/constants.ts';
import { TunnelRefusal } from '../../../main/gateway/tsgu/errors.ts';
import { silentLogger } from '../../../main/logging/logger.ts';
import { DialError } from '../../../main/relay/errors.ts';
import { createPaaPolicy, type PaaGrant } from '../../../main/gateway/paa-policy.ts';
import { authorizeTarget, type TargetDecision } from '../../../main/security/policy.ts';
import { loadOrCreateSigningKey, type SigningKey } from '../../../main/security/signing-key.ts';
import { issuePaaToken, TokenKind } from '../../../main/security/tokens.ts';

const DESKTOP: Host = { name: 'desktop', address: '192.168.1.10', port: 3389 };
const LAPTOP: Host = { name: 'Laptop', address: 'laptop.home.example', port: 3389 };
const SERVER: Host = { name: 'server', address: '192.168.1.20', port: 3390 };
/** The reads a tunnel passes to its dial; these dials never open a socket that reads. */
const NO_READS: OnReadOpts = { buffer: Buffer.alloc(1), callback: () => false };
const ALLOWLIST: readonly Host[] = [DESKTOP, LAPTOP, SERVER];

function allowedHost(decision: TargetDecision): Host {
  assert.ok(decision.allowed, `expected an allowed target, got ${decision.allowed ? '' : decision.message}`);
  return decision.host;
}

function refusal(decision: TargetDecision): 'not-allowed-host' | 'not-in-token' {
  assert.ok(!decision.allowed, 'expected a refusal');
  assert.ok(decision.message.length > 0);
  return decision.reason;
}

describe('authorizeTarget', () => {
  const everything = ['desktop', 'laptop', 'server'];

  it('allows a host requested by its name', () => {
    assert.deepStrictEqual(
      allowedHost(authorizeTarget({ names: ['desktop'], port: 3389 }, everything, ALLOWLIST)),
      DESKTOP,
    );
  });

  it('allows a host requested by its configured address', () => {
    const decision = authorizeTarget({ names: ['192.168.1.10'], port: 3389 }, ['desktop'], ALLOWLIST);
    assert.deepStrictEqual(allowedHost(decision), DESKTOP);
    const byName = authorizeTarget({ names: ['laptop.home.example'], port: 3389 }, ['laptop'], ALLOWLIST);
    assert.deepStrictEqual(allowedHost(byName), LAPTOP);
  });

  it('compares names, addresses and token hosts case-insensitively', () => {
    assert.deepStrictEqual(
      allowedHost(authorizeTarget({ names: ['DESKTOP'], port: 3389 }, ['Desktop'], ALLOWLIST)),
      DESKTOP,
    );
    assert.deepStrictEqual(
      allowedHost(authorizeTarget({ names: ['laptop'], port: 3389 }, ['LAPTOP'], ALLOWLIST)),
      LAPTOP,
    );
    assert.deepStrictEqual(
      allowedHost(authorizeTarget({ names: ['Laptop.Home.Example'], port: 3389 }, ['laptop'], ALLOWLIST)),
      LAPTOP,
    );
  });

  it("refuses a host on another port than its configured one as 'not-allowed-host'", () => {
    assert.equal(
      refusal(authorizeTarget({ names: ['desktop'], port: 3390 }, everything, ALLOWLIST)),
      'not-allowed-host',
    );
    assert.equal(
      refusal(authorizeTarget({ names: ['server'], port: 3389 }, everything, ALLOWLIST)),
      'not-allowed-host',
    );
  });

  it("refuses a host that is not on the allowlist as 'not-allowed-host', even when the token names it", () => {
    const decision = authorizeTarget({ names: ['printer', '10.0.0.1'], port: 3389 }, ['printer'], ALLOWLIST);
    assert.equal(refusal(decision), 'not-allowed-host');
    assert.ok(!decision.allowed && decision.message.includes('printer'));
  });

  it("refuses an allowed host the token does not name as 'not-in-token'", () => {
    const decision = authorizeTarget({ names: ['desktop'], port: 3389 }, ['laptop'], ALLOWLIST);
    assert.equal(refusal(decision), 'not-in-token');
    assert.ok(!decision.allowed && decision.message.includes('desktop'));
    // By address too: the address leads to the host, and the host is what the token must name.
    assert.equal(
      refusal(authorizeTarget({ names: ['192.168.1.10'], port: 3389 }, ['laptop'], ALLOWLIST)),
      'not-in-token',
    );
  });

  it('does not accept a token naming an address instead of the host name', () => {
    assert.equal(
      refusal(authorizeTarget({ names: ['192.168.1.10'], port: 3389 }, ['192.168.1.10'], ALLOWLIST)),
      'not-in-token',
    );
  });

  it('refuses a request without names', () => {
    assert.equal(refusal(authorizeTarget({ names: [], port: 3389 }, everything, ALLOWLIST)), 'not-allowed-host');
    assert.equal(refusal(authorizeTarget({ names: ['desktop'], port: 3389 }, everything, [])), 'not-allowed-host');
  });

  it('takes the first of several names that matches a granted host', () => {
    assert.deepStrictEqual(
      allowedHost(authorizeTarget({ names: ['unknown', 'desktop', 'laptop'], port: 3389 }, everything, ALLOWLIST)),
      DESKTOP,
    );
    assert.deepStrictEqual(
      allowedHost(authorizeTarget({ names: ['unknown', 'laptop', 'desktop'], port: 3389 }, everything, ALLOWLIST)),
      LAPTOP,
    );
  });

  it('skips a name whose host the token does not grant, for a later one it does', () => {
    const decision = authorizeTarget({ names: ['desktop', 'laptop'], port: 3389 }, ['laptop'], ALLOWLIST);
    assert.deepStrictEqual(allowedHost(decision), LAPTOP);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('createPaaPolicy', () => {
  let dir: string;
  let key: SigningKey;
  let settings: Settings;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-policy-'));
    key = await loadOrCreateSigningKey(dir, { logger: silentLogger });
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function freshSettings(hosts: readonly Host[] = ALLOWLIST): Settings {
    settings = { ...defaultSettings(), hosts: [...hosts] };
    return settings;
  }

  async function tokenFor(hosts: string[], overrides: { gatewayId?: string; now?: Date } = {}): Promise<string> {
    const { token } = await issuePaaToken(key, {
      gatewayId: overrides.gatewayId ?? settings.gatewayId,
      hosts,
      ttlSeconds: 600,
      ...(overrides.now ? { now: overrides.now } : {}),
    });
    return token;
  }

  async function assertRefusal(promise: Promise<unknown>, hresult: number, reason: string): Promise<TunnelRefusal> {
    let caught: unknown;
    try {
      await promise;
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof TunnelRefusal, `expected a TunnelRefusal, got ${String(caught)}`);
    assert.equal(caught.hresult, hresult, caught.message);
    assert.equal(caught.reason, reason, caught.message);
    return caught;
  }

  function assertRefusalSync(fn: () => unknown, hresult: number, reason: string): void {
    assert.throws(fn, (error: unknown) => {
      assert.ok(error instanceof TunnelRefusal, `expected a TunnelRefusal, got ${String(error)}`);
      assert.equal(error.hresult, hresult);
      assert.equal(error.reason, reason);
      return true;
    });
  }

  const noDial = (): Promise<Socket> => Promise.reject(new Error('dial must not be called'));

  it('authenticates a token of this gateway and grants its hosts', async () => {
    freshSettings();
    const policy = createPaaPolicy({ settings: () => settings, signingKey: key, dial: noDial });
    const { token, claims } = await issuePaaToken(key, {
      gatewayId: settings.gatewayId,
      hosts: ['desktop', 'Laptop'],
      ttlSeconds: 600,
    });
    assert.deepStrictEqual(await policy.authenticate(token), {
      tokenId: claims.jti,
      hosts: ['desktop', 'Laptop'],
      // The tunnel may end the session at this instant (lifecycle.endSessionsAtTokenExpiry).
      expiresAtMs: claims.exp * 1000,
      // Kept with the session: a revocation list naming any claim (device, jti…) ends it.
      claims,
    });
  });

  const tokenFailures: ReadonlyArray<readonly [string, () => Promise<string>]> = [
    ['malformed', () => Promise.resolve('not-a-token')],
    ['expired', () => tokenFor(['desktop'], { now: new Date(Date.now() - 2 * 3600 * 1000) })],
    ['wrong-gateway', () => tokenFor(['desktop'], { gatewayId: randomUUID() })],
    [
      'wrong-kind',
      () =>
        new SignJWT({ jti: 'x' }).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, cty: 'RELAY' }).sign(key.privateKey),
    ],
    [
      'unknown-key',
      async () => {
        const other = await loadOrCreateSigningKey(join(dir, 'other'), { logger: silentLogger });
        const { token } = await issuePaaToken(other, {
          gatewayId: settings.gatewayId,
          hosts: ['desktop'],
          ttlSeconds: 60,
        });
        return token;
      },
    ],
    [
      'bad-signature',
      () => {
        // A forger who knows the gateway's kid but not its key.
        const now = Math.floor(Date.now() / 1000);
        const header = { alg: 'EdDSA', kid: key.kid, typ: 'JWT', cty: TokenKind.PAA };
        const claims = {
          jti: 'forged',
          iat: now,
          nbf: now,
          exp: now + 60,
          jet_gw_id: settings.gatewayId,
          hosts: ['desktop'],
        };
        const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
        const signature = sign(null, Buffer.from(input), generateKeyPairSync('ed25519').privateKey);
        return Promise.resolve(`${input}.${signature.toString('base64url')}`);
      },
    ],
  ];
  for (const [failure, makeToken] of tokenFailures) {
    it(`refuses a ${failure} token with E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED, reason '${failure}'`, async () => {
      freshSettings();
      const policy = createPaaPolicy({ settings: () => settings, signingKey: key, dial: noDial });
      await assertRefusal(
        policy.authenticate(await makeToken()),
        HResult.E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED,
        failure,
      );
    });
  }

  it('checks the gateway id in the settings as they are now', async () => {
    freshSettings();
    const policy = createPaaPolicy({ settings: () => settings, signingKey: key, dial: noDial });
    const token = await tokenFor(['desktop']);
    await policy.authenticate(token);
    settings = { ...settings, gatewayId: randomUUID() };
    await assertRefusal(
      policy.authenticate(token),
      HResult.E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED,
      'wrong-gateway',
    );
  });

  it('authorizes a granted, allowed host and refuses the rest with E_PROXY_RAP_ACCESSDENIED', () => {
    freshSettings();
    const policy = createPaaPolicy({ settings: () => settings, signingKey: key, dial: noDial });
    const grant: PaaGrant = { tokenId: 'jti', hosts: ['desktop'] };
    assert.deepStrictEqual(policy.authorize(grant, { names: ['desktop'], port: 3389 }), DESKTOP);
    assertRefusalSync(
      () => policy.authorize(grant, { names: ['laptop'], port: 3389 }),
      HResult.E_PROXY_RAP_ACCESSDENIED,
      'not-in-token',
    );
    assertRefusalSync(
      () => policy.authorize(grant, { names: ['printer'], port: 3389 }),
      HResult.E_PROXY_RAP_ACCESSDENIED,
      'not-allowed-host',
    );
    assertRefusalSync(
      () => policy.authorize(grant, { names: ['desktop'], port: 22 }),
      HResult.E_PROXY_RAP_ACCESSDENIED,
      'not-allowed-host',
    );
  });

  it('refuses a host removed from the settings after the token was issued', async () => {
    freshSettings();
    const policy = createPaaPolicy({ settings: () => settings, signingKey: key, dial: noDial });
    const grant = await policy.authenticate(await tokenFor(['desktop', 'laptop']));
    assert.deepStrictEqual(policy.authorize(grant, { names: ['desktop'], port: 3389 }), DESKTOP);

    settings = { ...settings, hosts: [LAPTOP, SERVER] };
    assertRefusalSync(
      () => policy.authorize(grant, { names: ['desktop'], port: 3389 }),
      HResult.E_PROXY_RAP_ACCESSDENIED,
      'not-allowed-host',
    );
    // A host moved to another address is dialled at its new address, never at one the client names.
    settings = { ...settings, hosts: [{ ...LAPTOP, address: '192.168.1.99' }] };
    assert.equal(policy.authorize(grant, { names: ['laptop'], port: 3389 }).address, '192.168.1.99');
    assertRefusalSync(
      () => policy.authorize(grant, { names: ['laptop.home.example'], port: 3389 }),
      HResult.E_PROXY_RAP_ACCESSDENIED,
      'not-allowed-host',
    );
  });

  it('dials the configured address and port of the allowed host', async () => {
    freshSettings();
    const dialled: Array<[string, number, OnReadOpts]> = [];
    const socket = new Socket();
    const policy = createPaaPolicy({
      settings: () => settings,
      signingKey: key,
      dial: (host, port, onread) => {
        dialled.push([host, port, onread]);
        return Promise.resolve(socket);
      },
    });
    assert.equal(await policy.dial(SERVER, NO_READS), socket);
    // The tunnel's own reads are passed to the dial as they are.
    assert.deepStrictEqual(dialled, [['192.168.1.20', 3390, NO_READS]]);
    socket.destroy();
  });

  for (const failure of ['refused', 'timeout', 'unreachable', 'resolve-failed'] as const) {
    it(`answers a '${failure}' DialError with E_PROXY_TS_CONNECTFAILED`, async () => {
      freshSettings();
      const policy = createPaaPolicy({
        settings: () => settings,
        signingKey: key,
        dial: () => Promise.reject(new DialError(failure, `192.168.1.10:3389 ${failure}`)),
      });
      const error = await assertRefusal(policy.dial(DESKTOP, NO_READS), HResult.E_PROXY_TS_CONNECTFAILED, failure);
      assert.match(error.message, /192\.168\.1\.10:3389/);
    });
  }

  it('lets an unexpected dial failure through unchanged (it is a bug, not a refusal)', async () => {
    freshSettings();
    const bug = new TypeError('bug');
    const policy = createPaaPolicy({ settings: () => settings, signingKey: key, dial: () => Promise.reject(bug) });
    await assert.rejects(policy.dial(DESKTOP, NO_READS), (error) => error === bug);
  });
});
