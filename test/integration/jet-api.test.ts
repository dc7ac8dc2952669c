/**
 * The /jet REST API on the gateway's HTTPS listener: every endpoint, scope and error. Provisioner tokens are built
 * by hand with node:crypto (ES256 and RS256), a second JWS implementation beside the gateway's own (jose).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OPENAPI_DOCUMENT } from '../../main/api/openapi.ts';
import { JRL_FILE_NAME } from '../../main/security/revocation.ts';
import { AUDIT_LOG_FILE_NAME } from '../../main/sessions/audit-log.ts';
import {
  KNOWN_SCOPES,
  NIL_UUID,
  issueAssociationToken,
  issueJrlToken,
  issuePaaToken,
  issueScopeToken,
} from '../../main/security/tokens.ts';
import { encodePreconnectionPdu } from '../../main/relay/pcb.ts';
import type { SessionInfo } from '../../shared/model/sessions.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { TargetServer } from '../helpers/targets.ts';
import { openTunnel } from '../helpers/tsgu-client.ts';
import { within } from '../helpers/wait.ts';
import { connect } from 'node:net';

interface Response {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly json: unknown;
}

interface RequestOptions {
  readonly token?: string;
  readonly authorization?: string;
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string>;
  /** Each test calls from its own loopback address, so the per-address failure limit stays per test. */
  readonly from?: string;
}

const es256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rs256 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWS built by hand with node:crypto: ES256 signatures are r‖s (IEEE P1363), RS256 is PKCS#1 v1.5. */
function handMade(alg: 'ES256' | 'RS256', kid: string, cty: string, payload: object, key: KeyObject): string {
  const input = `${b64url({ alg, typ: 'JWT', kid, cty })}.${b64url(payload)}`;
  const signature =
    alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
      : sign('sha256', Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

type DocumentedPaths = Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
/** The document's paths as plain JSON (it is served as JSON). */
const documentedPaths = (): DocumentedPaths => JSON.parse(JSON.stringify(OPENAPI_DOCUMENT.paths)) as DocumentedPaths;

let nextAddress = 10;
/** A loopback address of its own (127.0.0.0/8 is all loopback on Linux). */
const freshAddress = (): string => `127.0.0.${nextAddress++}`;

describe('/jet API', { timeout: 60_000 }, () => {
  let gateway: TestGateway;
  let echo: TargetServer;

  before(async () => {
    gateway = await startTestGateway({ relay: true });
    echo = await TargetServer.start({ mode: 'echo' });
    await gateway.service.context.settings.update((settings) => ({
      ...settings,
      hosts: [{ name: 'echo', address: '127.0.0.1', port: echo.port }],
      tokens: {
        ...settings.tokens,
        provisionerKeys: [
          {
            kid: 'prov-es256',
            alg: 'ES256',
            publicKeyPem: es256.publicKey.export({ type: 'spki', format: 'pem' }) as string,
            kinds: ['ASSOCIATION', 'SCOPE', 'JRL'],
            requireGatewayId: true,
          },
          {
            kid: 'prov-rs256',
            alg: 'RS256',
            publicKeyJwk: rs256.publicKey.export({ format: 'jwk' }),
            kinds: ['SCOPE', 'JRL'],
            requireGatewayId: false,
          },
          {
            kid: 'relay-only',
            alg: 'ES256',
            publicKeyPem: es256.publicKey.export({ type: 'spki', format: 'pem' }) as string,
            kinds: ['ASSOCIATION'],
            requireGatewayId: true,
          },
        ],
      },
    }));
  });

  after(async () => {
    await gateway.dispose();
    await echo.close();
  });

  async function call(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.authorization !== undefined) headers.authorization = options.authorization;
    if (options.body !== undefined && headers['content-length'] === undefined) {
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    const reply = await gateway.request(method, path, {
      headers,
      ...(options.body !== undefined ? { body: options.body } : {}),
      localAddress: options.from ?? freshAddress(),
    });
    const text = reply.body.toString('utf8');
    let json: unknown;
    if (reply.headers['content-type']?.startsWith('application/json')) json = JSON.parse(text);
    return { status: reply.status, headers: reply.headers, text, json };
  }

  const now = (): number => Math.floor(Date.now() / 1000);
  const scopeClaims = (scope: string, overrides: Record<string, unknown> = {}) => ({
    jti: randomUUID(),
    iat: now(),
    nbf: now(),
    exp: now() + 300,
    jet_gw_id: gateway.gatewayId,
    scope,
    ...overrides,
  });
  const ownScope = async (scope: string): Promise<string> =>
    (
      await issueScopeToken(gateway.service.context.signingKey, {
        gatewayId: gateway.gatewayId,
        scope,
        ttlSeconds: 300,
      })
    ).token;
  const errorOf = (response: Response): string => (response.json as { error: string }).error;

  describe('without a token', () => {
    it('GET /jet/health answers 200', async () => {
      const response = await call('GET', '/jet/health');
      assert.equal(response.status, 200);
      assert.deepStrictEqual(response.json, { status: 'ok', gatewayId: gateway.gatewayId });
    });

    it('GET /jet/diagnostics/clock answers the clock in seconds and milliseconds', async () => {
      const before = Date.now();
      const response = await call('GET', '/jet/diagnostics/clock');
      const clock = response.json as { timestamp_secs: number; timestamp_millis: number };
      assert.equal(response.status, 200);
      assert.ok(clock.timestamp_millis >= before && clock.timestamp_millis <= Date.now());
      assert.equal(clock.timestamp_secs, Math.floor(clock.timestamp_millis / 1000));
    });

    it('GET /jet/openapi.json serves the document, and it describes exactly the routes served', async () => {
      const response = await call('GET', '/jet/openapi.json');
      assert.equal(response.status, 200);
      assert.deepStrictEqual(response.json, JSON.parse(JSON.stringify(OPENAPI_DOCUMENT)));
      const paths = documentedPaths();
      const documented = Object.entries(paths).flatMap(([path, operations]) =>
        Object.entries(operations).map(([method, operation]) => {
          const security = operation.security?.[0];
          const auth = !security ? 'none' : 'jrl_token' in security ? 'jrl-token' : security.scope_token?.[0];
          return `${method.toUpperCase()} ${path} ${auth}`;
        }),
      );
      const { createJetApi } = await import('../../main/api/jet-api.ts');
      const served = createJetApi({
        settings: () => gateway.service.context.settings.get(),
        sessions: gateway.service.sessions,
        revocation: gateway.service.revocation,
        keys: () => undefined,
        logs: { lines: () => [] } as never,
        listeners: () => [],
        logger: { debug() {}, info() {}, warn() {}, error() {}, child: () => undefined as never },
        version: '0',
        hostname: 'h',
      }).routes.map((route) => `${route.method} ${route.path} ${route.auth}`);
      assert.deepStrictEqual([...documented].sort(), [...served].sort());
    });

    it('an unknown path answers 404, a known path with another method 405 with Allow', async () => {
      const missing = await call('GET', '/jet/nothing');
      assert.equal(missing.status, 404);
      assert.equal(errorOf(missing), 'not-found');
      const wrongMethod = await call('DELETE', '/jet/jrl');
      assert.equal(wrongMethod.status, 405);
      assert.equal(wrongMethod.headers.allow, 'GET, POST');
      assert.equal(errorOf(wrongMethod), 'method-not-allowed');
    });
  });

  describe('SCOPE tokens (Authorization: Bearer)', () => {
    it('no token: 401 with a Bearer challenge', async () => {
      const response = await call('GET', '/jet/sessions');
      assert.equal(response.status, 401);
      assert.match(String(response.headers['www-authenticate']), /^Bearer /);
      assert.equal(errorOf(response), 'missing-token');
      assert.match((response.json as { message: string }).message, /gateway\.sessions\.read/);
    });

    it('a header that is not "Bearer <token>": 401', async () => {
      const response = await call('GET', '/jet/sessions', { authorization: 'Basic dXNlcjpwYXNz' });
      assert.equal(response.status, 401);
      assert.equal(errorOf(response), 'invalid-authorization');
    });

    const invalid: ReadonlyArray<readonly [string, () => Promise<string> | string, string]> = [
      ['garbage', () => 'not.a.token', 'malformed'],
      [
        'expired',
        () => handMade('ES256', 'prov-es256', 'SCOPE', scopeClaims('*', { exp: now() - 3600 }), es256.privateKey),
        'expired',
      ],
      [
        'for another gateway',
        () => handMade('ES256', 'prov-es256', 'SCOPE', scopeClaims('*', { jet_gw_id: randomUUID() }), es256.privateKey),
        'wrong-gateway',
      ],
      [
        'signed by a key not trusted for SCOPE',
        () => handMade('ES256', 'relay-only', 'SCOPE', scopeClaims('*'), es256.privateKey),
        'unknown-key',
      ],
      [
        'of another kind (ASSOCIATION)',
        async () =>
          (
            await issueAssociationToken(gateway.service.context.signingKey, {
              gatewayId: gateway.gatewayId,
              targets: ['echo'],
              ttlSeconds: 60,
            })
          ).token,
        'wrong-kind',
      ],
      [
        'with a forged signature',
        () => `${handMade('ES256', 'prov-es256', 'SCOPE', scopeClaims('*'), es256.privateKey).slice(0, -4)}AAAA`,
        'bad-signature',
      ],
    ];
    for (const [label, make, failure] of invalid) {
      it(`a token ${label}: 401 ${failure}`, async () => {
        const response = await call('GET', '/jet/sessions', { token: await make() });
        assert.equal(response.status, 401);
        assert.equal(errorOf(response), failure);
      });
    }

    it('a valid token for another scope: 403', async () => {
      const response = await call('GET', '/jet/sessions', { token: await ownScope('gateway.jrl.read') });
      assert.equal(response.status, 403);
      assert.equal(errorOf(response), 'wrong-scope');
    });

    it('accepts the gateway’s own token, the wildcard, and hand-made ES256 and RS256 provisioner tokens', async () => {
      const tokens = [
        await ownScope('gateway.sessions.read'),
        await ownScope('*'),
        handMade('ES256', 'prov-es256', 'SCOPE', scopeClaims('gateway.sessions.read'), es256.privateKey),
        // prov-rs256 does not require jet_gw_id; Devolutions' minimum SCOPE claims are scope, exp and jti.
        handMade('RS256', 'prov-rs256', 'SCOPE', { scope: '*', exp: now() + 60, jti: randomUUID() }, rs256.privateKey),
      ];
      for (const token of tokens) {
        const response = await call('GET', '/jet/sessions', { token });
        assert.equal(response.status, 200, response.text);
        assert.ok(Array.isArray(response.json));
      }
    });

    it('a revoked SCOPE token: 401 revoked', async () => {
      const claims = scopeClaims('*');
      const token = handMade('ES256', 'prov-es256', 'SCOPE', claims, es256.privateKey);
      assert.equal((await call('GET', '/jet/sessions', { token })).status, 200);
      await gateway.service.revocation.replace({
        jti: randomUUID(),
        iat: gateway.service.revocation.current.iat + 1,
        jrl: { ...gateway.service.revocation.current.jrl, jti: [claims.jti] },
      });
      const response = await call('GET', '/jet/sessions', { token });
      assert.equal(response.status, 401);
      assert.equal(errorOf(response), 'revoked');
    });

    it('after too many failures from one address: 429 with Retry-After, even for a good token; others unaffected', async () => {
      const from = freshAddress();
      for (let i = 0; i < 20; i += 1) {
        assert.equal((await call('GET', '/jet/sessions', { token: 'bad', from })).status, 401);
      }
      const good = await ownScope('*');
      const limited = await call('GET', '/jet/sessions', { token: good, from });
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers['retry-after']) >= 1);
      assert.equal(errorOf(limited), 'too-many-failures');
      assert.equal((await call('GET', '/jet/health', { from })).status, 200, 'open routes stay open');
      assert.equal((await call('GET', '/jet/sessions', { token: good })).status, 200);
    });
  });

  describe('sessions', () => {
    it('GET /jet/sessions lists relay and MS-TSGU sessions with the seeds’ fields', async () => {
      const key = gateway.service.context.signingKey;
      const { token: association, claims } = await issueAssociationToken(key, {
        gatewayId: gateway.gatewayId,
        targets: [`echo:${echo.port}`],
        ttlSeconds: 300,
      });
      const relay = connect(gateway.relayPort, '127.0.0.1');
      relay.on('error', () => undefined);
      relay.write(encodePreconnectionPdu(association));
      const { token: paa, claims: paaClaims } = await gateway.token(['echo']);
      const tunnel = await openTunnel(gateway.clientOptions(), paa, { name: 'echo', port: echo.port });
      try {
        const deadline = Date.now() + 5_000;
        while (gateway.service.sessions.size < 2 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const response = await call('GET', '/jet/sessions', { token: await ownScope('gateway.sessions.read') });
        assert.equal(response.status, 200);
        const list = response.json as Record<string, unknown>[];
        const byTransport = new Map(list.map((s) => [s.transport, s]));
        const relaySession = byTransport.get('relay');
        assert.ok(relaySession, JSON.stringify(list));
        assert.equal(relaySession.association_id, claims.jet_aid);
        assert.equal(relaySession.application_protocol, 'rdp');
        assert.equal(relaySession.connection_mode, 'fwd');
        assert.equal(relaySession.destination_host, `tcp://echo:${echo.port}`);
        assert.equal(relaySession.recording_policy, false);
        assert.equal(relaySession.filtering_policy, false);
        assert.equal(relaySession.token_id, claims.jti);
        assert.ok(!Number.isNaN(Date.parse(String(relaySession.start_timestamp))));
        const tsguSession = byTransport.get('websocket');
        assert.ok(tsguSession);
        assert.equal(tsguSession.association_id, tsguSession.session_id);
        assert.equal(tsguSession.token_id, paaClaims.jti);
        assert.equal(tsguSession.destination_host, `tcp://echo:${echo.port}`);
        // Every documented required field is present, and nothing undocumented.
        const schema = OPENAPI_DOCUMENT.components.schemas.SessionInfo;
        for (const session of list) {
          assert.deepStrictEqual(Object.keys(session).sort(), [...schema.required].sort());
        }
      } finally {
        relay.destroy();
        tunnel.destroy();
      }
    });

    it('POST /jet/session/{id}/terminate ends every session of an association id, or one by session id', async () => {
      const key = gateway.service.context.signingKey;
      const { token: association, claims } = await issueAssociationToken(key, {
        gatewayId: gateway.gatewayId,
        targets: [`echo:${echo.port}`],
        ttlSeconds: 300,
      });
      const started = new Promise<SessionInfo>((resolve) => {
        const off = gateway.service.sessions.on('start', (info) => {
          if (info.tokenId === claims.jti) {
            off();
            resolve(info);
          }
        });
      });
      const relay = connect(gateway.relayPort, '127.0.0.1');
      relay.on('error', () => undefined);
      const closed = new Promise((resolve) => relay.once('close', resolve));
      relay.write(encodePreconnectionPdu(association));
      const session = await within(started, 5_000, 'the relay session');
      const terminate = await ownScope('gateway.session.terminate');

      assert.equal((await call('POST', '/jet/session/not-a-uuid/terminate', { token: terminate })).status, 400);
      assert.equal((await call('POST', `/jet/session/${randomUUID()}/terminate`, { token: terminate })).status, 404);
      const forbidden = await call('POST', `/jet/session/${claims.jet_aid}/terminate`, {
        token: await ownScope('gateway.sessions.read'),
      });
      assert.equal(forbidden.status, 403);

      const ended = new Promise<SessionInfo>((resolve) => gateway.service.sessions.on('end', resolve));
      const response = await call('POST', `/jet/session/${claims.jet_aid.toUpperCase()}/terminate`, {
        token: terminate,
      });
      assert.equal(response.status, 200, response.text);
      assert.deepStrictEqual(response.json, { terminated: [session.id] });
      assert.equal((await within(ended, 5_000, 'the session end')).endReason, 'admin-disconnect');
      await within(closed, 5_000, 'the relay client to be disconnected');
      assert.equal((await call('POST', `/jet/session/${session.id}/terminate`, { token: terminate })).status, 404);
    });
  });

  describe('diagnostics', () => {
    it('GET /jet/diagnostics/configuration: id, host name, version and both listeners, no secrets', async () => {
      const token = await ownScope('gateway.diagnostics.read');
      const response = await call('GET', '/jet/diagnostics/configuration', { token });
      assert.equal(response.status, 200);
      const body = response.json as {
        id: string;
        hostname: string;
        version: string;
        listeners: Record<string, string>[];
      };
      assert.equal(body.id, gateway.gatewayId);
      assert.match(body.version, /^\d+\.\d+\.\d+/);
      assert.ok(body.hostname.length > 0);
      assert.deepStrictEqual(
        body.listeners.map((l) => l.internal_url),
        [`https://127.0.0.1:${gateway.port}`, `tcp://127.0.0.1:${gateway.relayPort}`],
      );
      assert.doesNotMatch(response.text, /PRIVATE|"d":|BEGIN/);
      assert.equal(
        (await call('GET', '/jet/diagnostics/configuration', { token: await ownScope('gateway.jrl.read') })).status,
        403,
      );
    });

    it('GET /jet/diagnostics/logs: recent JSON log lines as text, with no token in them', async () => {
      const token = await ownScope('gateway.diagnostics.read');
      // Put a token where a careless log line might carry it: a failing request's URL is logged on errors.
      await call('GET', `/jet/sessions?token=${token}`);
      const response = await call('GET', '/jet/diagnostics/logs', { token });
      assert.equal(response.status, 200);
      assert.match(String(response.headers['content-type']), /^text\/plain/);
      const lines = response.text.trim().split('\n');
      assert.ok(lines.length > 0);
      for (const line of lines) JSON.parse(line);
      assert.ok(lines.some((line) => line.includes('gateway listening')));
      assert.doesNotMatch(response.text, /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\./);
      assert.equal((await call('GET', '/jet/diagnostics/logs')).status, 401);
    });
  });

  describe('revocation list', () => {
    const jrlPath = (): string => join(gateway.dataDir, JRL_FILE_NAME);

    it('GET /jet/jrl and /jet/jrl/info need gateway.jrl.read, and report jti and iat', async () => {
      const token = await ownScope('gateway.jrl.read');
      for (const path of ['/jet/jrl', '/jet/jrl/info']) {
        const response = await call('GET', path, { token });
        assert.equal(response.status, 200);
        assert.deepStrictEqual(Object.keys(response.json as object).sort(), ['iat', 'jti']);
      }
      assert.equal((await call('GET', '/jet/jrl', { token: await ownScope('gateway.sessions.read') })).status, 403);
      assert.equal((await call('GET', '/jet/jrl')).status, 401);
    });

    it('POST /jet/jrl accepts only a newer list (409 otherwise), persists it, and GET reports it', async () => {
      const key = gateway.service.context.signingKey;
      const base = gateway.service.revocation.current.iat;
      const revoked = randomUUID();
      const newer = await issueJrlToken(key, { jrl: { jti: [revoked] }, iat: base + 10 });
      const accepted = await call('POST', '/jet/jrl', { token: newer.token });
      assert.equal(accepted.status, 200, accepted.text);
      assert.deepStrictEqual(accepted.json, { jti: newer.claims.jti, iat: base + 10 });
      assert.deepStrictEqual(JSON.parse(await readFile(jrlPath(), 'utf8')), newer.claims);
      const info = await call('GET', '/jet/jrl', { token: await ownScope('*') });
      assert.deepStrictEqual(info.json, { jti: newer.claims.jti, iat: base + 10 });

      for (const iat of [base + 10, base + 5]) {
        const stale = await issueJrlToken(key, { jrl: {}, iat });
        const response = await call('POST', '/jet/jrl', { token: stale.token });
        assert.equal(response.status, 409);
        assert.equal(errorOf(response), 'stale-jrl');
      }
      assert.equal(gateway.service.revocation.isRevoked({ jti: revoked }), true, 'a stale list changed nothing');
    });

    it('POST /jet/jrl takes the token as an application/jwt body too; other media types are 415', async () => {
      const { token, claims } = await issueJrlToken(gateway.service.context.signingKey, {
        jrl: { jti: [randomUUID()] },
        iat: gateway.service.revocation.current.iat + 1,
      });
      const wrongType = await call('POST', '/jet/jrl', { body: token, headers: { 'content-type': 'text/html' } });
      assert.equal(wrongType.status, 415);
      const both = await call('POST', '/jet/jrl', {
        token,
        body: token,
        headers: { 'content-type': 'application/jwt' },
      });
      assert.equal(both.status, 400);
      const response = await call('POST', '/jet/jrl', { body: token, headers: { 'content-type': 'application/jwt' } });
      assert.equal(response.status, 200, response.text);
      assert.equal(gateway.service.revocation.current.jti, claims.jti);
    });

    it('a declared body over 1 MiB is refused with 413 before it is read', async () => {
      const response = await call('POST', '/jet/jrl', {
        headers: { 'content-type': 'application/jwt', 'content-length': String(2 * 1024 * 1024) },
        body: Buffer.alloc(16),
      }).catch((error: Error) => ({ status: -1, text: error.message }) as Response);
      assert.equal(response.status, 413, response.text);
    });

    it('POST /jet/jrl: no token 401; a SCOPE token 401 wrong-kind; a hand-made provisioner JRL (ES256) 200', async () => {
      assert.equal((await call('POST', '/jet/jrl')).status, 401);
      const wrongKind = await call('POST', '/jet/jrl', { token: await ownScope('*') });
      assert.equal(wrongKind.status, 401);
      assert.equal(errorOf(wrongKind), 'wrong-kind');
      // A provisioner JRL names no gateway (it is pushed to many).
      const jrl = { jti: randomUUID(), iat: gateway.service.revocation.current.iat + 1, jrl: { jti: [randomUUID()] } };
      const response = await call('POST', '/jet/jrl', {
        token: handMade('ES256', 'prov-es256', 'JRL', jrl, es256.privateKey),
      });
      assert.equal(response.status, 200, response.text);
      assert.equal(gateway.service.revocation.current.jti, jrl.jti);
    });

    it('a JRL token is required to be newer even with a valid RS256 signature, and an empty list un-revokes', async () => {
      const revokedJti = randomUUID();
      const iat = gateway.service.revocation.current.iat;
      const first = handMade(
        'RS256',
        'prov-rs256',
        'JRL',
        { jti: randomUUID(), iat: iat + 1, jrl: { jti: [revokedJti] } },
        rs256.privateKey,
      );
      assert.equal((await call('POST', '/jet/jrl', { token: first })).status, 200);
      assert.equal(gateway.service.revocation.isRevoked({ jti: revokedJti }), true);
      const replayed = await call('POST', '/jet/jrl', { token: first });
      assert.equal(replayed.status, 409);
      const cleared = handMade(
        'RS256',
        'prov-rs256',
        'JRL',
        { jti: randomUUID(), iat: iat + 2, jrl: {} },
        rs256.privateKey,
      );
      assert.equal((await call('POST', '/jet/jrl', { token: cleared })).status, 200);
      assert.equal(gateway.service.revocation.isRevoked({ jti: revokedJti }), false);
    });

    it("a pushed list naming a device ends the live MS-TSGU tunnel opened with that device's token", async () => {
      const key = gateway.service.context.signingKey;
      const device = `tablet ${randomUUID()}`;
      const { token, claims } = await issuePaaToken(key, {
        gatewayId: gateway.gatewayId,
        hosts: ['echo'],
        ttlSeconds: 300,
        device,
      });
      const tunnel = await openTunnel(gateway.clientOptions(), token, { name: 'echo', port: echo.port });
      try {
        const live = (): SessionInfo | undefined =>
          gateway.service.sessions.list().find((session) => session.tokenId === claims.jti);
        for (let attempt = 0; attempt < 250 && !live(); attempt += 1) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const session = live();
        assert.ok(session, 'the tunnel is live');
        const ended = new Promise<SessionInfo>((resolve) => {
          const off = gateway.service.sessions.on('end', (info) => {
            if (info.id !== session.id) return;
            off();
            resolve(info);
          });
        });
        const pushed = await issueJrlToken(key, {
          jrl: { device: [device] },
          iat: gateway.service.revocation.current.iat + 1,
        });
        assert.equal((await call('POST', '/jet/jrl', { token: pushed.token })).status, 200);
        assert.equal((await within(ended, 5_000, "the revoked device's session to end")).endReason, 'revoked');
      } finally {
        tunnel.destroy();
      }
    });

    it('POST /jet/jrl never undoes a local revocation, and writes one jrl.updated audit line', async () => {
      const local = randomUUID();
      await gateway.service.revocation.revokeTokenIds([local]);
      const { token, claims } = await issueJrlToken(gateway.service.context.signingKey, {
        jrl: {},
        iat: gateway.service.revocation.current.iat + 1,
      });
      const from = freshAddress();
      assert.equal((await call('POST', '/jet/jrl', { token, from })).status, 200);
      assert.equal(gateway.service.revocation.isRevoked({ jti: local }), true, 'the local revocation holds');
      const auditPath = join(gateway.dataDir, AUDIT_LOG_FILE_NAME);
      // The log is written in order: once a marker recorded after the push is on disk, so is all the push wrote.
      const marker = randomUUID();
      gateway.service.audit.record({ event: 'settings.updated', marker });
      const records = async (): Promise<Record<string, unknown>[]> =>
        (await readFile(auditPath, 'utf8'))
          .split('\n')
          .filter((line) => line.length > 0)
          .map((line) => JSON.parse(line) as Record<string, unknown>);
      for (let attempt = 0; attempt < 500; attempt += 1) {
        if ((await records()).some((record) => record.marker === marker)) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const lines = (await records()).filter((record) => record.event === 'jrl.updated' && record.jti === claims.jti);
      assert.equal(lines.length, 1, JSON.stringify(lines));
      assert.equal(lines[0]?.source, 'api');
      assert.equal(lines[0]?.client, from);
      assert.equal(lines[0]?.values, 1);
    });

    it('knows every scope the routes use', () => {
      const used = new Set(
        Object.values(documentedPaths())
          .flatMap((operations) => Object.values(operations))
          .flatMap((operation) => operation.security?.[0]?.scope_token ?? []),
      );
      for (const scope of used) assert.ok(KNOWN_SCOPES.includes(scope as never), scope);
      assert.equal(NIL_UUID, '00000000-0000-0000-0000-000000000000');
    });
  });
});
