/**
 * The OpenAPI 3.1 description of the `/jet` API, served at `/jet/openapi.json`. Written by hand, kept true by
 * test/integration/jet-api.test.ts, which checks every route, method and scope against the router and every
 * documented response shape against real answers.
 */
import packageJson from '../../package.json' with { type: 'json' };

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (description: string, schema: object) => ({ description, content: { 'application/json': { schema } } });
/** A JSON Schema object whose every property is required. */
const objectOf = (properties: Record<string, object>) => ({
  type: 'object',
  required: Object.keys(properties),
  properties,
});
const error = (description: string) => json(description, schemaRef('Error'));

const UNAUTHORIZED = error('Missing, malformed, expired, revoked or untrusted token');
const FORBIDDEN = error('The SCOPE token does not grant the scope this route needs');
const TOO_MANY = error('Too many failed authentications from this address; see Retry-After');
/** What every route behind a SCOPE token may answer besides its own responses. */
const SCOPE_REFUSALS = { '401': UNAUTHORIZED, '403': FORBIDDEN, '429': TOO_MANY };

const scoped = (scope: string) => [{ scope_token: [scope] }];

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Homegate /jet API',
    version: packageJson.version,
    description:
      'The REST API of a Homegate gateway, after Devolutions Gateway’s /jet API. SCOPE tokens are JWTs with ' +
      '`cty: SCOPE` and a `scope` claim (`*` grants every scope), sent as `Authorization: Bearer`. Errors are ' +
      'JSON objects `{ "error": code, "message": text }`; an unknown path answers 404 and a known path asked ' +
      'with another method 405 (with Allow).',
  },
  servers: [{ url: '/' }],
  components: {
    securitySchemes: {
      scope_token: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'A SCOPE token (`cty: SCOPE`) whose `scope` is the route’s scope or `*`.',
      },
      jrl_token: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'A JRL token (`cty: JRL`); it may also be sent as the body (application/jwt).',
      },
    },
    schemas: {
      Error: objectOf({ error: { type: 'string' }, message: { type: 'string' } }),
      Health: objectOf({ status: { type: 'string', const: 'ok' }, gatewayId: { type: 'string', format: 'uuid' } }),
      Clock: objectOf({ timestamp_secs: { type: 'integer' }, timestamp_millis: { type: 'integer' } }),
      SessionInfo: objectOf({
        association_id: {
          type: 'string',
          format: 'uuid',
          description: 'jet_aid for relay sessions; the session id for MS-TSGU sessions',
        },
        application_protocol: { type: 'string' },
        recording_policy: { type: 'boolean', description: 'Always false: Homegate does not record' },
        filtering_policy: { type: 'boolean' },
        start_timestamp: { type: 'string', format: 'date-time' },
        connection_mode: { type: 'string', enum: ['fwd'] },
        destination_host: { type: 'string', description: 'TargetAddr, <scheme>://<host>:<port>' },
        session_id: { type: 'string', format: 'uuid' },
        transport: { type: 'string', enum: ['websocket', 'http', 'relay'] },
        client_address: { type: 'string' },
        token_id: { type: 'string', description: 'The jti of the token the session was opened with' },
        host: { type: 'string', description: 'The allowed host’s name' },
        target: { type: 'string', description: 'The address and port dialled' },
        bytes_to_target: { type: 'integer' },
        bytes_to_client: { type: 'integer' },
      }),
      Terminated: objectOf({ terminated: { type: 'array', items: { type: 'string', format: 'uuid' } } }),
      Configuration: objectOf({
        id: { type: 'string', format: 'uuid' },
        hostname: { type: 'string' },
        version: { type: 'string' },
        listeners: {
          type: 'array',
          items: objectOf({ internal_url: { type: 'string' }, external_url: { type: 'string' } }),
        },
      }),
      JrlInfo: objectOf({
        jti: { type: 'string', format: 'uuid', description: 'The nil UUID before any list was received' },
        iat: { type: 'integer', description: '0 before any list was received' },
      }),
    },
  },
  paths: {
    '/jet/health': {
      get: {
        operationId: 'GetHealth',
        summary: 'Whether the gateway is up (no token)',
        responses: { '200': json('Healthy', schemaRef('Health')) },
      },
    },
    '/jet/diagnostics/clock': {
      get: {
        operationId: 'GetClock',
        summary: 'The gateway’s clock, to diagnose token time checks (no token)',
        responses: { '200': json('Now', schemaRef('Clock')) },
      },
    },
    '/jet/openapi.json': {
      get: {
        operationId: 'GetOpenApi',
        summary: 'This document (no token)',
        responses: { '200': { description: 'The OpenAPI document', content: { 'application/json': {} } } },
      },
    },
    '/jet/sessions': {
      get: {
        operationId: 'GetSessions',
        summary: 'Running sessions, MS-TSGU and relay',
        security: scoped('gateway.sessions.read'),
        responses: {
          '200': json('Running sessions', { type: 'array', items: schemaRef('SessionInfo') }),
          ...SCOPE_REFUSALS,
        },
      },
    },
    '/jet/session/{id}/terminate': {
      post: {
        operationId: 'TerminateSession',
        summary: 'Ends the sessions with this session id or association id (jet_aid)',
        security: scoped('gateway.session.terminate'),
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        responses: {
          '200': json('The ids of the sessions ended', schemaRef('Terminated')),
          '400': error('The id is not a UUID'),
          '404': error('No running session has this id'),
          ...SCOPE_REFUSALS,
        },
      },
    },
    '/jet/diagnostics/configuration': {
      get: {
        operationId: 'GetConfigurationDiagnostic',
        summary: 'Gateway id, host name, version and listeners (no secrets)',
        security: scoped('gateway.diagnostics.read'),
        responses: {
          '200': json('Configuration', schemaRef('Configuration')),
          ...SCOPE_REFUSALS,
        },
      },
    },
    '/jet/diagnostics/logs': {
      get: {
        operationId: 'GetLogs',
        summary: 'Recent log lines (info and above, JSON lines, secrets removed)',
        security: scoped('gateway.diagnostics.read'),
        responses: {
          '200': { description: 'Log lines, oldest first', content: { 'text/plain': { schema: { type: 'string' } } } },
          ...SCOPE_REFUSALS,
        },
      },
    },
    '/jet/jrl': {
      get: {
        operationId: 'GetJrl',
        summary: 'Which revocation list is in force',
        security: scoped('gateway.jrl.read'),
        responses: {
          '200': json('The current list', schemaRef('JrlInfo')),
          ...SCOPE_REFUSALS,
        },
      },
      post: {
        operationId: 'UpdateJrl',
        summary:
          'Replaces the revocation list with the JRL token’s, if it is newer (iat); live sessions it revokes end',
        security: [{ jrl_token: [] }],
        requestBody: {
          required: false,
          description: 'The JRL token, when it is not sent as the bearer token',
          content: { 'application/jwt': { schema: { type: 'string' } }, 'text/plain': { schema: { type: 'string' } } },
        },
        responses: {
          '200': json('The list now in force', schemaRef('JrlInfo')),
          '400': error('A token both in the header and in the body'),
          '401': UNAUTHORIZED,
          '408': error('The body did not arrive in time'),
          '409': error('The list is not newer than the one in force'),
          '413': error('The body is larger than 1 MiB'),
          '415': error('The body is neither application/jwt nor text/plain'),
          '429': TOO_MANY,
        },
      },
    },
    '/jet/jrl/info': {
      get: {
        operationId: 'GetJrlInfo',
        summary: 'Same as GET /jet/jrl (Devolutions Gateway’s newer path)',
        security: scoped('gateway.jrl.read'),
        responses: {
          '200': json('The current list', schemaRef('JrlInfo')),
          ...SCOPE_REFUSALS,
        },
      },
    },
  },
} as const;
