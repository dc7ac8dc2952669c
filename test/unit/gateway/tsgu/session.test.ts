import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  decodeClientPacket,
  encodeServerPacket,
  type ClientPacket,
  type KnownClientPacket,
  type KnownServerPacket,
} from '../../../../main/gateway/tsgu/codec.ts';
import { encodePaaCookie } from '../../../helpers/tsgu-codec.ts';
import { Capability, ExtendedAuth, HResult, PacketType } from '../../../../main/gateway/tsgu/constants.ts';
import {
  TsguBadCookieError,
  TsguDecodeError,
  TsguFramingError,
  TunnelRefusal,
  type TsguError,
} from '../../../../main/gateway/tsgu/errors.ts';
import {
  TunnelSession,
  type ChannelRequest,
  type TunnelChecks,
  type TunnelLifecycleOptions,
  type TunnelOutcome,
  type TunnelState,
} from '../../../../main/gateway/tsgu/session.ts';
import {
  CHANNEL_CREATE,
  CHANNEL_RESPONSE,
  CLOSE_CHANNEL,
  CLOSE_CHANNEL_RESPONSE,
  DATA,
  HANDSHAKE_REQUEST,
  HANDSHAKE_RESPONSE,
  KEEPALIVE,
  TUNNEL_AUTH,
  TUNNEL_AUTH_RESPONSE,
  TUNNEL_CREATE,
  TUNNEL_RESPONSE,
  TUNNEL_RESPONSE_REJECTED,
  fromHex,
  type TsguFixture,
} from '../../../fixtures/tsgu-packets.ts';

// ---------------------------------------------------------------------------------------------------------------
// Harness: fake checks (resolving, throwing, or left pending) and a recording TunnelOutputs.
// ---------------------------------------------------------------------------------------------------------------

interface Grant {
  readonly tokenId: string;
}

type Output =
  | { readonly kind: 'send'; readonly packet: KnownServerPacket }
  | { readonly kind: 'channel-opened'; readonly state: TunnelState }
  | { readonly kind: 'channel-data'; readonly data: Buffer }
  | { readonly kind: 'ended'; readonly outcome: TunnelOutcome };

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

class FakeChecks implements TunnelChecks<Grant> {
  readonly authenticateCalls: string[] = [];
  readonly openChannelCalls: Array<{ readonly grant: Grant; readonly request: ChannelRequest }> = [];
  onAuthenticate: (token: string) => Promise<Grant> = (token) => Promise.resolve({ tokenId: `jti-of-${token}` });
  onOpenChannel: (grant: Grant, request: ChannelRequest) => Promise<void> = () => Promise.resolve();

  authenticate(token: string): Promise<Grant> {
    this.authenticateCalls.push(token);
    return this.onAuthenticate(token);
  }

  openChannel(grant: Grant, request: ChannelRequest): Promise<void> {
    this.openChannelCalls.push({ grant, request });
    return this.onOpenChannel(grant, request);
  }
}

interface Harness {
  readonly session: TunnelSession<Grant>;
  readonly checks: FakeChecks;
  /** Everything the session did, in order. */
  readonly outputs: Output[];
  /** Returns the outputs recorded since the last call and forgets them. */
  take(): Output[];
  /** How often the session called `closing` (the owner's cue to bound the wait for the client's answer). */
  readonly closingCalls: number;
  /** The fake clock the session reads (ms); move it with `advance`. */
  readonly now: number;
  /** How often the session read the clock. */
  readonly clockReads: number;
  /** How often the session called `wake` (activity after a tick that let the owner sleep). */
  readonly wakes: number;
  advance(ms: number): void;
}

const CLOCK_START_MS = 1_700_000_000_000;

function createHarness(lifecycle: Omit<TunnelLifecycleOptions<Grant>, 'now'> = {}): Harness {
  const checks = new FakeChecks();
  const outputs: Output[] = [];
  let taken = 0;
  let closingCalls = 0;
  let now = CLOCK_START_MS;
  let clockReads = 0;
  let wakes = 0;
  const session: TunnelSession<Grant> = new TunnelSession<Grant>(
    checks,
    {
      send: (packet) => outputs.push({ kind: 'send', packet }),
      channelOpened: () => outputs.push({ kind: 'channel-opened', state: session.state }),
      channelData: (data) => outputs.push({ kind: 'channel-data', data: Buffer.from(data) }),
      closing: () => {
        closingCalls++;
        assert.equal(session.state, 'closing', 'closing() comes once the session is closing');
      },
      ended: (outcome) => outputs.push(ended(outcome)),
      wake: () => wakes++,
    },
    {
      ...lifecycle,
      now: () => {
        clockReads++;
        return now;
      },
    },
  );
  return {
    session,
    checks,
    outputs,
    take: () => {
      const fresh = outputs.slice(taken);
      taken = outputs.length;
      return fresh;
    },
    get closingCalls() {
      return closingCalls;
    },
    get now() {
      return now;
    },
    get clockReads() {
      return clockReads;
    },
    get wakes() {
      return wakes;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

/** Lets every pending promise callback (a check's result) run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function client(fixture: TsguFixture): ClientPacket {
  return fixture.packet as KnownClientPacket;
}

function server(fixture: TsguFixture): KnownServerPacket {
  return fixture.packet as KnownServerPacket;
}

const send = (packet: KnownServerPacket): Output => ({ kind: 'send', packet });
/** An `ended` output; fields left undefined are dropped, so expectations need not spell them out. */
function ended(outcome: TunnelOutcome): Output {
  const defined = Object.entries(outcome).filter(([, value]) => value !== undefined);
  return { kind: 'ended', outcome: Object.fromEntries(defined) as unknown as TunnelOutcome };
}

/** The states a tunnel passes through before its channel opens, in order, and the packet that leaves each. */
const SETUP: ReadonlyArray<readonly [TunnelState, TsguFixture]> = [
  ['awaiting-handshake', HANDSHAKE_REQUEST],
  ['awaiting-tunnel-create', TUNNEL_CREATE],
  ['awaiting-tunnel-auth', TUNNEL_AUTH],
  ['awaiting-channel-create', CHANNEL_CREATE],
];

/**
 * Drives a fresh tunnel with the client packets of test/fixtures/tsgu-packets.ts (all checks passing) until it is in
 * `state`. That client advertises FreeRDP's caps (0x0D: consent and service messages); `clientCaps` replaces them.
 */
async function tunnelIn(
  state: TunnelState,
  lifecycle: Omit<TunnelLifecycleOptions<Grant>, 'now'> = {},
  clientCaps?: number,
): Promise<Harness> {
  const h = createHarness(lifecycle);
  for (const [from, fixture] of SETUP) {
    if (h.session.state === state) break;
    assert.equal(h.session.state, from);
    const packet = client(fixture);
    h.session.receive(
      clientCaps !== undefined && packet.type === 'tunnel-create' ? { ...packet, capsFlags: clientCaps } : packet,
    );
    await settle();
  }
  assert.equal(h.session.state, state);
  assert.ok(!h.outputs.some((o) => o.kind === 'ended'), 'the setup itself must not end the tunnel');
  h.take();
  return h;
}

const openTunnel = (): Promise<Harness> => tunnelIn('channel-open');

/**
 * Invariant for every path: `ended` was called exactly once, and after it the session stays silent whatever
 * happens next (packets, gateway-side ends, transport events, keepalive timer).
 */
async function assertEndedOnceAndSilent(h: Harness): Promise<void> {
  assert.equal(h.outputs.filter((o) => o.kind === 'ended').length, 1, 'ended is called exactly once');
  assert.equal(h.outputs.at(-1)?.kind, 'ended', 'nothing is sent after ended');
  assert.equal(h.session.state, 'closed');
  const before = h.outputs.length;
  for (const packet of Object.values(SAMPLE_PACKETS)) h.session.receive(packet);
  h.session.malformed(new TsguDecodeError('late', { packetType: PacketType.TUNNEL_AUTH }));
  h.session.sendKeepalive();
  h.session.terminate('shutdown', HResult.E_PROXY_INTERNALERROR, 'late', 'late notice');
  h.session.targetEnded(new Error('late'));
  h.session.transportClosed(new Error('late'));
  h.session.dataToClient();
  h.advance(365 * 24 * 3_600_000);
  h.session.tick();
  await settle();
  assert.deepStrictEqual(h.outputs.slice(before), [], 'a closed tunnel ignores everything');
  assert.ok(h.closingCalls <= 1, 'closing() is called at most once');
}

// ---------------------------------------------------------------------------------------------------------------
// Happy path
// ---------------------------------------------------------------------------------------------------------------

describe('TunnelSession: the fixture connection', () => {
  it('answers handshake, tunnel create, tunnel auth and channel create with the exact fixture responses', async () => {
    const h = createHarness();
    assert.equal(h.session.state, 'awaiting-handshake');

    h.session.receive(client(HANDSHAKE_REQUEST));
    assert.deepStrictEqual(h.take(), [send(server(HANDSHAKE_RESPONSE))]);
    assert.equal(h.session.state, 'awaiting-tunnel-create');

    h.session.receive(client(TUNNEL_CREATE));
    await settle();
    assert.deepStrictEqual(h.checks.authenticateCalls, ['abc'], 'the cookie is decoded (UTF-16LE, NUL stripped)');
    assert.deepStrictEqual(h.take(), [send(server(TUNNEL_RESPONSE))]);
    assert.equal(h.session.state, 'awaiting-tunnel-auth');
    assert.deepStrictEqual(h.session.grant, { tokenId: 'jti-of-abc' });

    h.session.receive(client(TUNNEL_AUTH));
    assert.deepStrictEqual(h.take(), [send(server(TUNNEL_AUTH_RESPONSE))]);
    assert.equal(h.session.state, 'awaiting-channel-create');
    assert.equal(h.session.clientName, 'PC1');

    h.session.receive(client(CHANNEL_CREATE));
    await settle();
    assert.equal(h.checks.openChannelCalls.length, 1);
    assert.equal(h.checks.openChannelCalls[0]?.grant, h.session.grant, 'openChannel gets the authenticated grant');
    assert.deepStrictEqual(h.checks.openChannelCalls[0]?.request, { names: ['srv1'], port: 3389 });
    // channelOpened comes only after the channel response was sent, and the tunnel is already open by then,
    // so target bytes the owner forwards at once can never precede the response (FreeRDP fails on that).
    assert.deepStrictEqual(h.take(), [
      send(server(CHANNEL_RESPONSE)),
      { kind: 'channel-opened', state: 'channel-open' },
    ]);
    assert.equal(h.session.state, 'channel-open');
    assert.equal(h.checks.authenticateCalls.length, 1);
  });

  it('sends responses that encode to the fixture bytes (error 0, fields, tunnelId 1, caps, channelId 1)', async () => {
    const h = createHarness();
    for (const [, fixture] of SETUP) {
      h.session.receive(client(fixture));
      await settle();
    }
    const wire = h.outputs.flatMap((o) => (o.kind === 'send' ? [encodeServerPacket(o.packet).toString('hex')] : []));
    const expected = [HANDSHAKE_RESPONSE, TUNNEL_RESPONSE, TUNNEL_AUTH_RESPONSE, CHANNEL_RESPONSE].map((f) =>
      fromHex(f.hex).toString('hex'),
    );
    assert.deepStrictEqual(wire, expected);
  });

  it('passes resources then alternative names, and the port, to openChannel', async () => {
    const h = await tunnelIn('awaiting-channel-create');
    h.session.receive({
      type: 'channel-create',
      resources: ['desktop', '192.0.2.10'],
      altResources: ['desktop.home.example'],
      port: 3390,
      protocol: 3,
    });
    await settle();
    assert.deepStrictEqual(h.checks.openChannelCalls[0]?.request, {
      names: ['desktop', '192.0.2.10', 'desktop.home.example'],
      port: 3390,
    });
    assert.equal(h.session.state, 'channel-open');
  });

  it('accepts a handshake offering PAA among other methods, and answers PAA', () => {
    const h = createHarness();
    h.session.receive({
      type: 'handshake-request',
      verMajor: 1,
      verMinor: 0,
      clientVersion: 0,
      extendedAuth: ExtendedAuth.PAA | ExtendedAuth.SSPI_NTLM,
    });
    assert.deepStrictEqual(h.take(), [send(server(HANDSHAKE_RESPONSE))]);
    assert.equal(h.session.state, 'awaiting-tunnel-create');
  });

  it('hands DATA payloads to channelData in order, and ignores zero-length DATA', async () => {
    const h = await openTunnel();
    h.session.receive(client(DATA));
    h.session.receive({ type: 'data', data: Buffer.alloc(0) });
    h.session.receive({ type: 'data', data: Buffer.from('second') });
    assert.deepStrictEqual(h.take(), [
      { kind: 'channel-data', data: fromHex('03 00 00') },
      { kind: 'channel-data', data: Buffer.from('second') },
    ]);
    assert.equal(h.session.state, 'channel-open');
  });

  it('ignores unknown packet types once open', async () => {
    const h = await openTunnel();
    h.session.receive({ type: 'unknown', packetType: 0x0e, length: 8 });
    assert.deepStrictEqual(h.take(), []);
    assert.equal(h.session.state, 'channel-open');
  });

  it('decodes the fixture client bytes and runs the whole connection to a client close', async () => {
    const h = createHarness();
    for (const fixture of [HANDSHAKE_REQUEST, TUNNEL_CREATE, TUNNEL_AUTH, CHANNEL_CREATE, DATA, KEEPALIVE]) {
      h.session.receive(decodeClientPacket(fromHex(fixture.hex)));
      await settle();
    }
    h.session.receive(decodeClientPacket(fromHex(CLOSE_CHANNEL.hex)));
    assert.deepStrictEqual(h.outputs, [
      send(server(HANDSHAKE_RESPONSE)),
      send(server(TUNNEL_RESPONSE)),
      send(server(TUNNEL_AUTH_RESPONSE)),
      send(server(CHANNEL_RESPONSE)),
      { kind: 'channel-opened', state: 'channel-open' },
      { kind: 'channel-data', data: fromHex('03 00 00') },
      send({ type: 'keepalive' }),
      send(server(CLOSE_CHANNEL_RESPONSE)),
      ended({ reason: 'client-closed', state: 'channel-open' }),
    ]);
    await assertEndedOnceAndSilent(h);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Out-of-order packets
// ---------------------------------------------------------------------------------------------------------------

type PacketName = ClientPacket['type'];

/** One packet of every client type. */
const SAMPLE_PACKETS: Readonly<Record<PacketName, ClientPacket>> = {
  'handshake-request': client(HANDSHAKE_REQUEST),
  'tunnel-create': client(TUNNEL_CREATE),
  'tunnel-auth': client(TUNNEL_AUTH),
  'channel-create': client(CHANNEL_CREATE),
  data: client(DATA),
  keepalive: client(KEEPALIVE),
  'close-channel': client(CLOSE_CHANNEL),
  'close-channel-response': client(CLOSE_CHANNEL_RESPONSE),
  'extended-auth': { type: 'extended-auth', errorCode: 0, blob: Buffer.from('NTLMSSP\0') },
  unknown: { type: 'unknown', packetType: 0x0e, length: 8 },
};

/**
 * What a packet does in a state:
 * - `next`: the expected packet (covered by the happy path above);
 * - `refuse`: answered with its own response type carrying E_PROXY_INTERNALERROR when it has one (once a channel
 *   is open, a packet without one is answered with CLOSE_CHANNEL), then the tunnel ends with 'protocol-error';
 * - `ignore`: nothing is sent and the tunnel carries on (unknown types; keepalives after the handshake);
 * - `client-close`: the client gives up: CLOSE_CHANNEL_RESPONSE(0), then the tunnel ends with 'client-closed';
 * - `data` / `echo`: forwarded to the target / a keepalive answered (open channel only).
 */
type Expectation = 'next' | 'refuse' | 'ignore' | 'client-close' | 'data' | 'echo';

const BY_STATE: ReadonlyArray<readonly [TunnelState, Readonly<Record<PacketName, Expectation>>]> = [
  [
    'awaiting-handshake',
    {
      'handshake-request': 'next',
      'tunnel-create': 'refuse',
      'tunnel-auth': 'refuse',
      'channel-create': 'refuse',
      data: 'refuse',
      keepalive: 'refuse',
      'close-channel': 'refuse',
      'close-channel-response': 'refuse',
      'extended-auth': 'refuse',
      unknown: 'ignore',
    },
  ],
  [
    'awaiting-tunnel-create',
    {
      'handshake-request': 'refuse',
      'tunnel-create': 'next',
      'tunnel-auth': 'refuse',
      'channel-create': 'refuse',
      data: 'refuse',
      keepalive: 'ignore',
      'close-channel': 'client-close',
      'close-channel-response': 'refuse',
      'extended-auth': 'refuse',
      unknown: 'ignore',
    },
  ],
  [
    'awaiting-tunnel-auth',
    {
      'handshake-request': 'refuse',
      'tunnel-create': 'refuse',
      'tunnel-auth': 'next',
      'channel-create': 'refuse',
      data: 'refuse',
      keepalive: 'ignore',
      'close-channel': 'client-close',
      'close-channel-response': 'refuse',
      'extended-auth': 'refuse',
      unknown: 'ignore',
    },
  ],
  [
    'awaiting-channel-create',
    {
      'handshake-request': 'refuse',
      'tunnel-create': 'refuse',
      'tunnel-auth': 'refuse',
      'channel-create': 'next',
      data: 'refuse',
      keepalive: 'ignore',
      'close-channel': 'client-close',
      'close-channel-response': 'refuse',
      'extended-auth': 'refuse',
      unknown: 'ignore',
    },
  ],
  [
    'channel-open',
    {
      'handshake-request': 'refuse',
      'tunnel-create': 'refuse',
      'tunnel-auth': 'refuse',
      'channel-create': 'refuse',
      data: 'data',
      keepalive: 'echo',
      'close-channel': 'client-close',
      'close-channel-response': 'refuse',
      'extended-auth': 'refuse',
      unknown: 'ignore',
    },
  ],
];

const INTERNAL = HResult.E_PROXY_INTERNALERROR;

/** The error answer to a packet out of order, as rdpgw gives it: the packet's own response type. */
const ERROR_RESPONSE: Partial<Record<PacketName, KnownServerPacket>> = {
  'handshake-request': {
    type: 'handshake-response',
    errorCode: INTERNAL,
    verMajor: 0,
    verMinor: 0,
    serverVersion: 0,
    extendedAuth: 0,
  },
  'tunnel-create': { type: 'tunnel-response', serverVersion: 0, statusCode: INTERNAL },
  'tunnel-auth': { type: 'tunnel-auth-response', errorCode: INTERNAL },
  'channel-create': { type: 'channel-response', errorCode: INTERNAL },
};

describe('TunnelSession: every packet in every state', () => {
  for (const [state, expectations] of BY_STATE) {
    for (const [name, expectation] of Object.entries(expectations) as Array<[PacketName, Expectation]>) {
      if (expectation === 'next') continue;
      it(`${state}: ${name} → ${expectation}`, async () => {
        const h = await tunnelIn(state);
        const authenticateCalls = h.checks.authenticateCalls.length;
        const openChannelCalls = h.checks.openChannelCalls.length;
        h.session.receive(SAMPLE_PACKETS[name]);
        await settle();
        const outputs = h.take();

        switch (expectation) {
          case 'refuse': {
            const response =
              ERROR_RESPONSE[name] ??
              (state === 'channel-open' ? { type: 'close-channel', statusCode: INTERNAL } : undefined);
            assert.deepStrictEqual(
              outputs.slice(0, -1),
              response ? [send(response)] : [],
              "the packet's own response type, or nothing when it has none",
            );
            const outcome = onlyOutcome(outputs);
            assert.equal(outcome.reason, 'protocol-error');
            assert.equal(outcome.state, state);
            assert.equal(outcome.hresult, INTERNAL);
            assert.match(outcome.detail ?? '', new RegExp(`${name}.*${state}`), 'the detail names packet and state');
            await assertEndedOnceAndSilent(h);
            break;
          }
          case 'ignore':
            assert.deepStrictEqual(outputs, []);
            assert.equal(h.session.state, state);
            break;
          case 'client-close':
            assert.deepStrictEqual(outputs, [
              send({ type: 'close-channel-response', statusCode: HResult.S_OK }),
              ended({ reason: 'client-closed', state }),
            ]);
            await assertEndedOnceAndSilent(h);
            break;
          case 'data':
            assert.deepStrictEqual(outputs, [{ kind: 'channel-data', data: fromHex('03 00 00') }]);
            break;
          case 'echo':
            assert.deepStrictEqual(outputs, [send({ type: 'keepalive' })]);
            break;
        }
        // A refused or ignored packet never reaches a check.
        assert.equal(h.checks.authenticateCalls.length, authenticateCalls);
        assert.equal(h.checks.openChannelCalls.length, openChannelCalls);
      });
    }
  }

  it('ignores unknown packet types while a check is pending and after it', async () => {
    const h = await tunnelIn('awaiting-tunnel-create');
    const auth = deferred<Grant>();
    h.checks.onAuthenticate = () => auth.promise;
    h.session.receive(client(TUNNEL_CREATE));
    h.session.receive(SAMPLE_PACKETS.unknown);
    auth.resolve({ tokenId: 't' });
    await settle();
    assert.deepStrictEqual(h.take(), [send(server(TUNNEL_RESPONSE))]);
    assert.equal(h.session.state, 'awaiting-tunnel-auth');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------------------------------------------

const CAPABILITY_MISMATCH_RESPONSE: KnownServerPacket = {
  type: 'handshake-response',
  errorCode: HResult.E_PROXY_CAPABILITYMISMATCH,
  verMajor: 0,
  verMinor: 0,
  serverVersion: 0,
  extendedAuth: ExtendedAuth.NONE,
};

/** The single `ended` output, checked to be last and alone. */
function onlyOutcome(outputs: readonly Output[]): TunnelOutcome {
  const ends = outputs.filter((o) => o.kind === 'ended');
  assert.equal(ends.length, 1);
  const last = outputs.at(-1);
  assert.ok(last?.kind === 'ended', 'ended comes last');
  return last.outcome;
}

describe('TunnelSession: handshake refusals', () => {
  const cases: ReadonlyArray<readonly [string, { verMajor: number; extendedAuth: number }, RegExp]> = [
    ['no extended auth', { verMajor: 1, extendedAuth: ExtendedAuth.NONE }, /PAA/],
    ['SSPI_NTLM only', { verMajor: 1, extendedAuth: ExtendedAuth.SSPI_NTLM }, /PAA/],
    ['smart card and bearer only', { verMajor: 1, extendedAuth: ExtendedAuth.SC | ExtendedAuth.BEARER }, /PAA/],
    ['verMajor 2', { verMajor: 2, extendedAuth: ExtendedAuth.PAA }, /version 2\.0/],
    ['verMajor 0', { verMajor: 0, extendedAuth: ExtendedAuth.PAA }, /version 0\.0/],
  ];
  for (const [label, fields, detail] of cases) {
    it(`answers ${label} with E_PROXY_CAPABILITYMISMATCH and ends 'refused'`, async () => {
      const h = createHarness();
      h.session.receive({ type: 'handshake-request', verMinor: 0, clientVersion: 0, ...fields });
      const outputs = h.take();
      assert.deepStrictEqual(outputs[0], send(CAPABILITY_MISMATCH_RESPONSE));
      assert.equal(outputs.length, 2);
      const outcome = onlyOutcome(outputs);
      assert.equal(outcome.reason, 'refused');
      assert.equal(outcome.state, 'awaiting-handshake');
      assert.equal(outcome.hresult, HResult.E_PROXY_CAPABILITYMISMATCH);
      assert.match(outcome.detail ?? '', detail);
      await assertEndedOnceAndSilent(h);
    });
  }

  it('encodes the capability-mismatch answer as a FAILED() HRESULT with version 0.0', () => {
    const bytes = encodeServerPacket(CAPABILITY_MISMATCH_RESPONSE);
    assert.equal(
      bytes.toString('hex'),
      fromHex('02 00 00 00 12 00 00 00 | e9 59 07 80 | 00 00 | 00 00 | 00 00').toString('hex'),
    );
  });
});

describe('TunnelSession: tunnel create refusals', () => {
  it('answers a tunnel create without a cookie with E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED', async () => {
    const h = await tunnelIn('awaiting-tunnel-create');
    h.session.receive({ type: 'tunnel-create', capsFlags: 0x0d });
    await settle();
    const outputs = h.take();
    assert.deepStrictEqual(outputs[0], send(server(TUNNEL_RESPONSE_REJECTED)));
    // fieldsPresent 0: no tunnelId, no caps (the fixture rejection bytes).
    assert.equal(
      encodeServerPacket(server(TUNNEL_RESPONSE_REJECTED)).toString('hex'),
      fromHex(TUNNEL_RESPONSE_REJECTED.hex).toString('hex'),
    );
    const outcome = onlyOutcome(outputs);
    assert.equal(outcome.reason, 'refused');
    assert.equal(outcome.hresult, HResult.E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED);
    assert.equal(outcome.state, 'awaiting-tunnel-create');
    assert.deepStrictEqual(h.checks.authenticateCalls, []);
    await assertEndedOnceAndSilent(h);
  });

  const badCookies: ReadonlyArray<readonly [string, Buffer]> = [
    ['an odd byte count', Buffer.from([0x61, 0x00, 0x62])],
    ['an empty blob', Buffer.alloc(0)],
    ['only NULs', Buffer.alloc(4)],
    ['an embedded NUL', Buffer.from('a\0b\0', 'utf16le')],
    ['a lone surrogate', Buffer.from([0x00, 0xd8, 0x61, 0x00])],
  ];
  for (const [label, paaCookie] of badCookies) {
    it(`answers a cookie with ${label} with E_PROXY_COOKIE_BADPACKET and never authenticates`, async () => {
      const h = await tunnelIn('awaiting-tunnel-create');
      h.session.receive({ type: 'tunnel-create', capsFlags: 0x0d, paaCookie });
      await settle();
      const outputs = h.take();
      assert.deepStrictEqual(
        outputs[0],
        send({ type: 'tunnel-response', serverVersion: 0, statusCode: HResult.E_PROXY_COOKIE_BADPACKET }),
      );
      const outcome = onlyOutcome(outputs);
      assert.equal(outcome.reason, 'protocol-error');
      assert.equal(outcome.hresult, HResult.E_PROXY_COOKIE_BADPACKET);
      assert.deepStrictEqual(h.checks.authenticateCalls, []);
      await assertEndedOnceAndSilent(h);
    });
  }

  it('passes a non-ASCII token through to authenticate exactly', async () => {
    const h = await tunnelIn('awaiting-tunnel-create');
    h.session.receive({ type: 'tunnel-create', capsFlags: 0, paaCookie: encodePaaCookie('eyJ.ä😀.sig') });
    await settle();
    assert.deepStrictEqual(h.checks.authenticateCalls, ['eyJ.ä😀.sig']);
  });

  it('answers an authenticate refusal with its code, fieldsPresent none, and never opens a channel', async () => {
    const h = await tunnelIn('awaiting-tunnel-create');
    const auth = deferred<Grant>();
    h.checks.onAuthenticate = () => auth.promise;
    h.session.receive(client(TUNNEL_CREATE));
    // FreeRDP carries on after an error code alone: it pipelines tunnel auth and channel create regardless.
    h.session.receive(client(TUNNEL_AUTH));
    h.session.receive(client(CHANNEL_CREATE));
    auth.reject(new TunnelRefusal(HResult.E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED, 'expired', 'token expired'));
    await settle();
    await settle();
    const outputs = h.take();
    assert.deepStrictEqual(outputs, [
      send({
        type: 'tunnel-response',
        serverVersion: 0,
        statusCode: HResult.E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED,
      }),
      ended({
        reason: 'refused',
        state: 'awaiting-tunnel-create',
        hresult: HResult.E_PROXY_COOKIE_AUTHENTICATION_ACCESS_DENIED,
        failure: 'expired',
        detail: 'expired: token expired',
      }),
    ]);
    const response = outputs[0];
    assert.ok(response?.kind === 'send');
    assert.equal(encodeServerPacket(response.packet).readUInt16LE(14), 0, 'fieldsPresent is 0');
    assert.deepStrictEqual(h.checks.openChannelCalls, []);
    assert.equal(h.session.grant, undefined);
    await assertEndedOnceAndSilent(h);
  });

  it('answers whatever code the refusal carries', async () => {
    const h = await tunnelIn('awaiting-tunnel-create');
    h.checks.onAuthenticate = () =>
      Promise.reject(new TunnelRefusal(HResult.E_PROXY_MAXCONNECTIONSREACHED, 'busy', 'full'));
    h.session.receive(client(TUNNEL_CREATE));
    await settle();
    const outputs = h.take();
    assert.deepStrictEqual(
      outputs[0],
      send({ type: 'tunnel-response', serverVersion: 0, statusCode: HResult.E_PROXY_MAXCONNECTIONSREACHED }),
    );
    assert.equal(onlyOutcome(outputs).hresult, HResult.E_PROXY_MAXCONNECTIONSREACHED);
  });

  it('answers an authenticate that throws something else with E_PROXY_INTERNALERROR', async () => {
    const h = await tunnelIn('awaiting-tunnel-create');
    h.checks.onAuthenticate = () => Promise.reject(new TypeError('boom'));
    h.session.receive(client(TUNNEL_CREATE));
    h.session.receive(client(TUNNEL_AUTH));
    h.session.receive(client(CHANNEL_CREATE));
    await settle();
    const outputs = h.take();
    assert.deepStrictEqual(outputs[0], send({ type: 'tunnel-response', serverVersion: 0, statusCode: INTERNAL }));
    const outcome = onlyOutcome(outputs);
    assert.equal(outputs.length, 2);
    assert.equal(outcome.hresult, INTERNAL);
    assert.equal(outcome.reason, 'refused');
    assert.match(outcome.detail ?? '', /boom/);
    assert.deepStrictEqual(h.checks.openChannelCalls, []);
    await assertEndedOnceAndSilent(h);
  });
});

describe('TunnelSession: channel create refusals', () => {
  const RAP_DENIED: KnownServerPacket = { type: 'channel-response', errorCode: HResult.E_PROXY_RAP_ACCESSDENIED };
  const requests: ReadonlyArray<readonly [string, ClientPacket, RegExp]> = [
    [
      'protocol 4',
      { type: 'channel-create', resources: ['srv1'], altResources: [], port: 3389, protocol: 4 },
      /protocol 4/,
    ],
    [
      'protocol 0',
      { type: 'channel-create', resources: ['srv1'], altResources: [], port: 3389, protocol: 0 },
      /protocol 0/,
    ],
    ['no names', { type: 'channel-create', resources: [], altResources: [], port: 3389, protocol: 3 }, /no target/],
    [
      'only empty names',
      { type: 'channel-create', resources: [''], altResources: [''], port: 3389, protocol: 3 },
      /no target/,
    ],
  ];
  for (const [label, packet, detail] of requests) {
    it(`answers a channel create with ${label} with E_PROXY_RAP_ACCESSDENIED, without openChannel`, async () => {
      const h = await tunnelIn('awaiting-channel-create');
      h.session.receive(packet);
      await settle();
      const outputs = h.take();
      assert.deepStrictEqual(outputs[0], send(RAP_DENIED));
      assert.equal(outputs.length, 2);
      const outcome = onlyOutcome(outputs);
      assert.equal(outcome.reason, 'refused');
      assert.equal(outcome.state, 'awaiting-channel-create');
      assert.equal(outcome.hresult, HResult.E_PROXY_RAP_ACCESSDENIED);
      assert.match(outcome.detail ?? '', detail);
      assert.deepStrictEqual(h.checks.openChannelCalls, []);
      await assertEndedOnceAndSilent(h);
    });
  }

  for (const [label, hresult] of [
    ['policy', HResult.E_PROXY_RAP_ACCESSDENIED],
    ['dial', HResult.E_PROXY_TS_CONNECTFAILED],
  ] as const) {
    it(`answers an openChannel ${label} refusal with its code and never opens`, async () => {
      const h = await tunnelIn('awaiting-channel-create');
      h.checks.onOpenChannel = () => Promise.reject(new TunnelRefusal(hresult, 'no-route', 'not today'));
      h.session.receive(client(CHANNEL_CREATE));
      h.session.receive(client(DATA));
      await settle();
      const outputs = h.take();
      assert.deepStrictEqual(outputs, [
        send({ type: 'channel-response', errorCode: hresult }),
        ended({
          reason: 'refused',
          state: 'awaiting-channel-create',
          hresult,
          failure: 'no-route',
          detail: 'no-route: not today',
        }),
      ]);
      await assertEndedOnceAndSilent(h);
    });
  }

  it('answers an openChannel that throws something else with E_PROXY_INTERNALERROR', async () => {
    const h = await tunnelIn('awaiting-channel-create');
    h.checks.onOpenChannel = () => Promise.reject(new Error('socket exploded'));
    h.session.receive(client(CHANNEL_CREATE));
    await settle();
    const outputs = h.take();
    assert.deepStrictEqual(outputs[0], send({ type: 'channel-response', errorCode: INTERNAL }));
    const outcome = onlyOutcome(outputs);
    assert.equal(outputs.length, 2);
    assert.equal(outcome.hresult, INTERNAL);
    assert.match(outcome.detail ?? '', /socket exploded/);
    assert.ok(!outputs.some((o) => o.kind === 'channel-opened'));
    await assertEndedOnceAndSilent(h);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Pending checks
// ---------------------------------------------------------------------------------------------------------------

describe('TunnelSession: packets while a check is pending', () => {
  it('queues pipelined packets and processes them in order once each check answers', async () => {
    const h = createHarness();
    const auth = deferred<Grant>();
    const open = deferred<undefined>();
    h.checks.onAuthenticate = () => auth.promise;
    h.checks.onOpenChannel = () => open.promise;

    for (const fixture of [HANDSHAKE_REQUEST, TUNNEL_CREATE, TUNNEL_AUTH, CHANNEL_CREATE, DATA, KEEPALIVE]) {
      h.session.receive(client(fixture));
    }
    await settle();
    assert.deepStrictEqual(h.take(), [send(server(HANDSHAKE_RESPONSE))], 'nothing is answered before the check');
    assert.equal(h.session.state, 'awaiting-tunnel-create');
    assert.equal(h.checks.openChannelCalls.length, 0);

    auth.resolve({ tokenId: 'jti-1' });
    await settle();
    assert.deepStrictEqual(h.take(), [send(server(TUNNEL_RESPONSE)), send(server(TUNNEL_AUTH_RESPONSE))]);
    assert.equal(h.checks.openChannelCalls.length, 1, 'the queued channel create started the next check');
    assert.deepStrictEqual(h.checks.openChannelCalls[0]?.grant, { tokenId: 'jti-1' });
    assert.equal(h.session.state, 'awaiting-channel-create');

    open.resolve(undefined);
    await settle();
    assert.deepStrictEqual(h.take(), [
      send(server(CHANNEL_RESPONSE)),
      { kind: 'channel-opened', state: 'channel-open' },
      { kind: 'channel-data', data: fromHex('03 00 00') },
      send({ type: 'keepalive' }),
    ]);
    assert.equal(h.session.state, 'channel-open');
  });

  it('replays a queued out-of-order packet after the check and refuses it then', async () => {
    const h = await tunnelIn('awaiting-tunnel-create');
    const auth = deferred<Grant>();
    h.checks.onAuthenticate = () => auth.promise;
    h.session.receive(client(TUNNEL_CREATE));
    h.session.receive(client(CHANNEL_CREATE)); // skips tunnel auth
    assert.deepStrictEqual(h.take(), []);
    auth.resolve({ tokenId: 't' });
    await settle();
    assert.deepStrictEqual(h.take(), [
      send(server(TUNNEL_RESPONSE)),
      send({ type: 'channel-response', errorCode: INTERNAL }),
      ended({
        reason: 'protocol-error',
        state: 'awaiting-tunnel-auth',
        hresult: INTERNAL,
        detail: 'channel-create is not expected in state awaiting-tunnel-auth',
      }),
    ]);
    assert.deepStrictEqual(h.checks.openChannelCalls, []);
    await assertEndedOnceAndSilent(h);
  });

  it('ends the tunnel when a client sends more packets than the queue holds', async () => {
    const h = await tunnelIn('awaiting-tunnel-create');
    const auth = deferred<Grant>();
    h.checks.onAuthenticate = () => auth.promise;
    h.session.receive(client(TUNNEL_CREATE));
    let sent = 0;
    while (h.session.state !== 'closed' && sent < 10_000) {
      h.session.receive(client(KEEPALIVE));
      sent++;
    }
    // A real client pipelines at most tunnel auth, channel create and a few keepalives; the bound sits above
    // that and far below anything that would let a peer make the gateway buffer without limit.
    assert.ok(sent > 3 && sent <= 64, `ended after ${sent} queued packets`);
    const outputs = h.take();
    const outcome = onlyOutcome(outputs);
    assert.equal(outputs.length, 1, 'nothing is answered: the client is not waiting for answers');
    assert.equal(outcome.reason, 'protocol-error');
    assert.equal(outcome.state, 'awaiting-tunnel-create');

    auth.resolve({ tokenId: 't' });
    await settle();
    await assertEndedOnceAndSilent(h);
  });

  it('keeps a small pipelined burst (below the bound) working', async () => {
    const h = await tunnelIn('awaiting-tunnel-create');
    const auth = deferred<Grant>();
    h.checks.onAuthenticate = () => auth.promise;
    h.session.receive(client(TUNNEL_CREATE));
    h.session.receive(client(KEEPALIVE));
    h.session.receive(client(TUNNEL_AUTH));
    h.session.receive(client(KEEPALIVE));
    auth.resolve({ tokenId: 't' });
    await settle();
    assert.deepStrictEqual(h.take(), [send(server(TUNNEL_RESPONSE)), send(server(TUNNEL_AUTH_RESPONSE))]);
    assert.equal(h.session.state, 'awaiting-channel-create');
  });

  it('ignores an authenticate result that arrives after the transport closed', async () => {
    for (const settleWith of ['resolve', 'refuse', 'throw'] as const) {
      const h = await tunnelIn('awaiting-tunnel-create');
      const auth = deferred<Grant>();
      h.checks.onAuthenticate = () => auth.promise;
      h.session.receive(client(TUNNEL_CREATE));
      h.session.receive(client(TUNNEL_AUTH));
      h.session.transportClosed();
      assert.deepStrictEqual(h.take(), [ended({ reason: 'client-closed', state: 'awaiting-tunnel-create' })]);
      if (settleWith === 'resolve') auth.resolve({ tokenId: 't' });
      else if (settleWith === 'refuse') auth.reject(new TunnelRefusal(INTERNAL, 'x', 'y'));
      else auth.reject(new Error('late failure'));
      await settle();
      assert.deepStrictEqual(h.take(), [], `nothing after ended (${settleWith})`);
      assert.equal(h.session.grant, undefined);
      await assertEndedOnceAndSilent(h);
    }
  });

  it('ignores an openChannel result that arrives after the gateway terminated the tunnel', async () => {
    const h = await tunnelIn('awaiting-channel-create');
    const open = deferred<undefined>();
    h.checks.onOpenChannel = () => open.promise;
    h.session.receive(client(CHANNEL_CREATE));
    h.session.terminate('shutdown', HResult.S_OK, 'gateway stopping');
    assert.deepStrictEqual(h.take(), [
      ended({ reason: 'shutdown', state: 'awaiting-channel-create', detail: 'gateway stopping' }),
    ]);
    open.resolve(undefined);
    await settle();
    assert.deepStrictEqual(h.take(), [], 'no channel response, no channelOpened after ended');
    await assertEndedOnceAndSilent(h);
  });

  it('answers a malformed packet at once while a check is pending, and ignores the check afterwards', async () => {
    const h = await tunnelIn('awaiting-tunnel-create');
    const auth = deferred<Grant>();
    h.checks.onAuthenticate = () => auth.promise;
    h.session.receive(client(TUNNEL_CREATE));
    h.session.malformed(new TsguFramingError('packetLength 4 is below the header', 0x06, 4));
    assert.deepStrictEqual(h.take(), [
      ended({
        reason: 'protocol-error',
        state: 'awaiting-tunnel-create',
        hresult: INTERNAL,
        detail: 'packetLength 4 is below the header',
      }),
    ]);
    auth.resolve({ tokenId: 't' });
    await settle();
    await assertEndedOnceAndSilent(h);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Keepalives
// ---------------------------------------------------------------------------------------------------------------

describe('TunnelSession: keepalives', () => {
  for (const [state] of SETUP.slice(1)) {
    it(`ignores a client keepalive in ${state} (nothing may precede the channel response)`, async () => {
      const h = await tunnelIn(state);
      h.session.receive(client(KEEPALIVE));
      h.session.sendKeepalive();
      assert.deepStrictEqual(h.take(), []);
      assert.equal(h.session.state, state);
    });
  }

  it('does not send a keepalive of its own before the handshake', () => {
    const h = createHarness();
    h.session.sendKeepalive();
    assert.deepStrictEqual(h.take(), []);
  });

  it('echoes client keepalives once the channel is open', async () => {
    const h = await openTunnel();
    h.session.receive(client(KEEPALIVE));
    h.session.receive(client(KEEPALIVE));
    assert.deepStrictEqual(h.take(), [send({ type: 'keepalive' }), send({ type: 'keepalive' })]);
  });

  it('does not echo the answer to its own keepalive, but echoes the next one', async () => {
    const h = await openTunnel();
    h.session.sendKeepalive();
    assert.deepStrictEqual(h.take(), [send({ type: 'keepalive' })]);
    h.session.receive(client(KEEPALIVE)); // FreeRDP's echo of ours
    assert.deepStrictEqual(h.take(), [], 'an echo of an echo would ping-pong forever');
    h.session.receive(client(KEEPALIVE)); // the client's own
    assert.deepStrictEqual(h.take(), [send({ type: 'keepalive' })]);
  });

  it('does not echo the answers to several keepalives of its own (no ping-pong with an echoing client)', async () => {
    const h = await openTunnel();
    // A slow client has not answered the first keepalive when the timer sends the second.
    h.session.sendKeepalive();
    h.session.sendKeepalive();
    assert.deepStrictEqual(h.take(), [send({ type: 'keepalive' }), send({ type: 'keepalive' })]);
    h.session.receive(client(KEEPALIVE));
    h.session.receive(client(KEEPALIVE));
    // Echoing either answer would start an endless exchange with FreeRDP, which echoes every keepalive.
    assert.deepStrictEqual(h.take(), []);
    h.session.receive(client(KEEPALIVE));
    assert.deepStrictEqual(h.take(), [send({ type: 'keepalive' })]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Closing
// ---------------------------------------------------------------------------------------------------------------

describe('TunnelSession: closing', () => {
  it('answers a client CLOSE_CHANNEL with CLOSE_CHANNEL_RESPONSE(0) and ends client-closed', async () => {
    const h = await openTunnel();
    h.session.receive({ type: 'close-channel', statusCode: HResult.ERROR_GRACEFUL_DISCONNECT });
    assert.deepStrictEqual(h.take(), [
      send({ type: 'close-channel-response', statusCode: 0 }),
      ended({ reason: 'client-closed', state: 'channel-open' }),
    ]);
    assert.equal(
      encodeServerPacket({ type: 'close-channel-response', statusCode: 0 }).toString('hex'),
      fromHex(CLOSE_CHANNEL_RESPONSE.hex).toString('hex'),
    );
    await assertEndedOnceAndSilent(h);
  });

  it('terminate() on an open channel sends CLOSE_CHANNEL and ends only on the client answer', async () => {
    const h = await openTunnel();
    h.session.terminate('admin-disconnect', HResult.E_PROXY_SESSIONTIMEOUT, 'by the user');
    assert.deepStrictEqual(h.take(), [send({ type: 'close-channel', statusCode: HResult.E_PROXY_SESSIONTIMEOUT })]);
    assert.equal(h.session.state, 'closing');

    // While closing: DATA is dropped, keepalives are not answered, a second terminate changes nothing.
    h.session.receive(client(DATA));
    h.session.receive(client(KEEPALIVE));
    h.session.receive(SAMPLE_PACKETS.unknown);
    h.session.terminate('shutdown', INTERNAL);
    h.session.targetEnded();
    h.session.sendKeepalive();
    assert.deepStrictEqual(h.take(), []);
    assert.equal(h.session.state, 'closing');

    h.session.receive(client(CLOSE_CHANNEL_RESPONSE));
    assert.deepStrictEqual(h.take(), [
      ended({
        reason: 'admin-disconnect',
        state: 'channel-open',
        hresult: HResult.E_PROXY_SESSIONTIMEOUT,
        detail: 'by the user',
      }),
    ]);
    await assertEndedOnceAndSilent(h);
  });

  it('terminate() defaults the CLOSE_CHANNEL status to 0', async () => {
    const h = await openTunnel();
    h.session.terminate('shutdown');
    assert.deepStrictEqual(h.take(), [send(server(CLOSE_CHANNEL))]);
  });

  it('ends with the original reason when the transport closes instead of answering', async () => {
    const h = await openTunnel();
    h.session.terminate('shutdown', HResult.S_OK);
    h.take();
    h.session.transportClosed(new Error('reset'));
    assert.deepStrictEqual(h.take(), [
      ended({ reason: 'shutdown', state: 'channel-open', hresult: 0, detail: undefined }),
    ]);
    await assertEndedOnceAndSilent(h);
  });

  it('answers a crossing client CLOSE_CHANNEL while closing, keeping the original reason', async () => {
    const h = await openTunnel();
    h.session.terminate('admin-disconnect');
    h.take();
    h.session.receive(client(CLOSE_CHANNEL));
    assert.deepStrictEqual(h.take(), [
      send({ type: 'close-channel-response', statusCode: 0 }),
      ended({ reason: 'admin-disconnect', state: 'channel-open', hresult: 0, detail: undefined }),
    ]);
    await assertEndedOnceAndSilent(h);
  });

  it('targetEnded() sends CLOSE_CHANNEL(0) and ends target-closed on the answer', async () => {
    const h = await openTunnel();
    h.session.targetEnded();
    h.session.targetEnded(); // 'end' and then 'close' from the same socket
    assert.deepStrictEqual(h.take(), [send({ type: 'close-channel', statusCode: HResult.S_OK })]);
    h.session.receive(client(CLOSE_CHANNEL_RESPONSE));
    assert.deepStrictEqual(h.take(), [
      ended({ reason: 'target-closed', state: 'channel-open', hresult: 0, detail: undefined }),
    ]);
    await assertEndedOnceAndSilent(h);
  });

  it('targetEnded(error) sends CLOSE_CHANNEL(E_PROXY_CONNECTIONABORTED) and ends target-error', async () => {
    const h = await openTunnel();
    h.session.targetEnded(new Error('ECONNRESET'));
    assert.deepStrictEqual(h.take(), [send({ type: 'close-channel', statusCode: HResult.E_PROXY_CONNECTIONABORTED })]);
    h.session.transportClosed();
    assert.deepStrictEqual(h.take(), [
      ended({
        reason: 'target-error',
        state: 'channel-open',
        hresult: HResult.E_PROXY_CONNECTIONABORTED,
        detail: 'ECONNRESET',
      }),
    ]);
    await assertEndedOnceAndSilent(h);
  });

  for (const [state] of SETUP) {
    it(`terminate() in ${state} ends at once without sending anything`, async () => {
      const h = await tunnelIn(state);
      h.session.terminate('timeout', HResult.S_OK, 'too slow');
      assert.deepStrictEqual(h.take(), [ended({ reason: 'timeout', state, detail: 'too slow' })]);
      await assertEndedOnceAndSilent(h);
    });
  }

  it('transportClosed() before the channel is open ends client-closed, or transport-error with an error', async () => {
    const a = await tunnelIn('awaiting-tunnel-auth');
    a.session.transportClosed();
    assert.deepStrictEqual(a.take(), [
      ended({ reason: 'client-closed', state: 'awaiting-tunnel-auth', detail: undefined }),
    ]);
    await assertEndedOnceAndSilent(a);

    const b = await openTunnel();
    b.session.transportClosed(new Error('EPIPE'));
    assert.deepStrictEqual(b.take(), [ended({ reason: 'transport-error', state: 'channel-open', detail: 'EPIPE' })]);
    await assertEndedOnceAndSilent(b);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Malformed packets
// ---------------------------------------------------------------------------------------------------------------

describe('TunnelSession: malformed packets', () => {
  /** The decode error a real truncated packet produces. */
  function decodeError(hex: string, cut: number): TsguError {
    const bytes = fromHex(hex);
    const truncated = Buffer.from(bytes.subarray(0, bytes.length - cut));
    truncated.writeUInt32LE(truncated.length, 4);
    try {
      decodeClientPacket(truncated);
    } catch (error) {
      assert.ok(error instanceof TsguDecodeError);
      return error;
    }
    assert.fail('expected a decode error');
  }

  const cases: ReadonlyArray<readonly [TunnelState, string, () => TsguError, KnownServerPacket | undefined]> = [
    [
      'awaiting-handshake',
      'a truncated handshake request',
      () => decodeError(HANDSHAKE_REQUEST.hex, 2),
      ERROR_RESPONSE['handshake-request'],
    ],
    [
      'awaiting-tunnel-create',
      'a bad cookie',
      () => new TsguBadCookieError('TUNNEL_CREATE: paaCookie is empty'),
      { type: 'tunnel-response', serverVersion: 0, statusCode: HResult.E_PROXY_COOKIE_BADPACKET },
    ],
    [
      'awaiting-tunnel-auth',
      'a truncated tunnel auth',
      () => decodeError(TUNNEL_AUTH.hex, 3),
      ERROR_RESPONSE['tunnel-auth'],
    ],
    [
      'awaiting-channel-create',
      'a truncated channel create',
      () => decodeError(CHANNEL_CREATE.hex, 2),
      ERROR_RESPONSE['channel-create'],
    ],
    [
      'awaiting-channel-create',
      'a tunnel auth decode error (answered by its own type)',
      () => new TsguDecodeError('TUNNEL_AUTH: bad', { packetType: PacketType.TUNNEL_AUTH }),
      ERROR_RESPONSE['tunnel-auth'],
    ],
    [
      'awaiting-tunnel-auth',
      'a header too short to name a type',
      () => new TsguDecodeError('header', { packetType: undefined }),
      undefined,
    ],
    [
      'awaiting-tunnel-auth',
      'a framing error',
      () => new TsguFramingError('packetLength 1 is below 8', 0x06, 1),
      undefined,
    ],
    [
      'channel-open',
      'a truncated DATA packet',
      () => decodeError(DATA.hex, 1),
      { type: 'close-channel', statusCode: INTERNAL },
    ],
    [
      'channel-open',
      'a framing error',
      () => new TsguFramingError('packetLength 99999999 is above the limit', 0x0a, 99_999_999),
      { type: 'close-channel', statusCode: INTERNAL },
    ],
  ];
  for (const [state, label, makeError, response] of cases) {
    it(`${state}: ${label} → ${response?.type ?? 'no answer'}, then ended protocol-error`, async () => {
      const h = await tunnelIn(state);
      const error = makeError();
      h.session.malformed(error);
      assert.deepStrictEqual(h.take(), [
        ...(response ? [send(response)] : []),
        ended({ reason: 'protocol-error', state, hresult: error.hresult, detail: error.message }),
      ]);
      await assertEndedOnceAndSilent(h);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Lifecycle: announcements, messages, keepalives, idle timeout, lifetime, token expiry (a fake clock; the owner's
// periodic `tick()` is called by hand)
// ---------------------------------------------------------------------------------------------------------------

const SECOND_MS = 1_000;
const MINUTE_MS = 60 * SECOND_MS;
const FREERDP_CAPS = Capability.QUAR_SOH | Capability.MESSAGING_CONSENT_SIGN | Capability.MESSAGING_SERVICE_MSG;
const SESSION_TIMEOUT = HResult.E_PROXY_SESSIONTIMEOUT;

describe('TunnelSession: what the client is told at connect', () => {
  for (const [idleTimeoutMs, minutes] of [
    [undefined, 0],
    [0, 0],
    [15 * MINUTE_MS, 15],
    [90 * SECOND_MS, 2],
    [1, 1],
  ] as const) {
    it(`announces an idle timeout of ${String(idleTimeoutMs)} ms as ${minutes} minute(s) in TUNNEL_AUTH_RESPONSE`, async () => {
      const h = await tunnelIn('awaiting-tunnel-auth', { idleTimeoutMs });
      h.session.receive(client(TUNNEL_AUTH));
      assert.deepStrictEqual(h.take(), [
        send({
          type: 'tunnel-auth-response',
          errorCode: 0,
          redirFlags: 0x80000000,
          idleTimeoutMinutes: minutes,
        }),
      ]);
    });
  }

  it('adds the consent message (and its capability) to TUNNEL_RESPONSE for a client that advertises consent', async () => {
    const h = createHarness({ consentMessage: 'Only for the family. Sessions are logged.' });
    h.session.receive(client(HANDSHAKE_REQUEST));
    h.session.receive({ type: 'tunnel-create', capsFlags: FREERDP_CAPS, paaCookie: encodePaaCookie('abc') });
    await settle();
    const response = h.take().at(-1);
    assert.deepStrictEqual(
      response,
      send({
        type: 'tunnel-response',
        serverVersion: 0,
        statusCode: 0,
        tunnelId: 1,
        capsFlags: Capability.IDLE_TIMEOUT | Capability.MESSAGING_CONSENT_SIGN,
        consentMessage: 'Only for the family. Sessions are logged.',
      }),
    );
    // The wire form FreeRDP parses: fieldsPresent TUNNEL_ID|CAPS|CONSENT_MSG, then cbLen + UTF-16LE with a NUL.
    const bytes = encodeServerPacket((response as { packet: KnownServerPacket }).packet);
    assert.equal(bytes.readUInt16LE(14), 0x13);
    assert.equal(bytes.readUInt16LE(26), 2 * ('Only for the family. Sessions are logged.'.length + 1));
  });

  it('leaves the consent message out for a client that does not advertise consent, and when none is set', async () => {
    const a = createHarness({ consentMessage: 'Consent?' });
    a.session.receive(client(HANDSHAKE_REQUEST));
    a.session.receive({
      type: 'tunnel-create',
      capsFlags: Capability.MESSAGING_SERVICE_MSG,
      paaCookie: encodePaaCookie('abc'),
    });
    await settle();
    assert.deepStrictEqual(
      a.take().at(-1),
      send(server(TUNNEL_RESPONSE)),
      'plain fixture response (caps IDLE_TIMEOUT)',
    );

    const b = createHarness({ consentMessage: '' });
    b.session.receive(client(HANDSHAKE_REQUEST));
    b.session.receive(client(TUNNEL_CREATE));
    await settle();
    assert.deepStrictEqual(b.take().at(-1), send(server(TUNNEL_RESPONSE)));
  });

  it('sends the service message once, after CHANNEL_RESPONSE and before any target byte can flow', async () => {
    const h = await tunnelIn('awaiting-tunnel-create', { serviceMessage: 'Maintenance tonight at 22:00.' });
    h.session.receive(client(TUNNEL_CREATE));
    await settle();
    assert.equal(
      (h.take()[0] as { packet: { capsFlags: number } }).packet.capsFlags,
      Capability.IDLE_TIMEOUT | Capability.MESSAGING_SERVICE_MSG,
      'the service-message capability is announced with the message',
    );
    h.session.receive(client(TUNNEL_AUTH));
    h.session.receive(client(CHANNEL_CREATE));
    await settle();
    assert.deepStrictEqual(h.take().slice(1), [
      send(server(CHANNEL_RESPONSE)),
      send({ type: 'service-message', message: 'Maintenance tonight at 22:00.' }),
      { kind: 'channel-opened', state: 'channel-open' },
    ]);
    h.session.receive(client(DATA));
    h.advance(10 * MINUTE_MS);
    h.session.tick();
    assert.ok(!h.take().some((o) => o.kind === 'send' && o.packet.type === 'service-message'), 'sent once only');
  });

  it('never sends a service message to a client that does not advertise service messages', async () => {
    const h = await tunnelIn('channel-open', { serviceMessage: 'Hello' }, Capability.QUAR_SOH);
    assert.ok(!h.outputs.some((o) => o.kind === 'send' && o.packet.type === 'service-message'));
    const response = h.outputs.find((o) => o.kind === 'send' && o.packet.type === 'tunnel-response');
    assert.deepStrictEqual(response, send(server(TUNNEL_RESPONSE)), 'caps stay IDLE_TIMEOUT');
  });
});

describe('TunnelSession: keepalives from the gateway', () => {
  const lifecycle = { keepaliveIntervalMs: 30 * SECOND_MS };

  it('sends a keepalive on the tick after 30 s in which nothing went to the client', async () => {
    const h = await openTunnel();
    const k = await tunnelIn('channel-open', lifecycle);
    h.session.tick();
    k.advance(29 * SECOND_MS);
    k.session.tick();
    assert.deepStrictEqual(k.take(), [], 'not before the interval');
    k.advance(SECOND_MS);
    k.session.tick();
    assert.deepStrictEqual(k.take(), [send({ type: 'keepalive' })]);
    k.advance(SECOND_MS);
    k.session.tick();
    assert.deepStrictEqual(k.take(), [], 'the keepalive itself resets the interval');
    k.advance(29 * SECOND_MS);
    k.session.tick();
    assert.deepStrictEqual(k.take(), [send({ type: 'keepalive' })]);
    assert.deepStrictEqual(h.take(), [], 'no interval, no keepalives');
  });

  it('sends none while target bytes flow to the client, but does while only the client sends', async () => {
    const h = await tunnelIn('channel-open', lifecycle);
    for (let i = 0; i < 5; i++) {
      h.advance(20 * SECOND_MS);
      h.session.dataToClient();
      h.session.tick();
    }
    assert.deepStrictEqual(h.take(), [], 'the tunnel was not silent toward the client');
    for (let i = 0; i < 2; i++) {
      h.advance(20 * SECOND_MS);
      h.session.receive(client(DATA));
      h.session.tick();
    }
    assert.deepStrictEqual(h.take(), [
      { kind: 'channel-data', data: fromHex('03 00 00') },
      { kind: 'channel-data', data: fromHex('03 00 00') },
      send({ type: 'keepalive' }),
    ]);
  });

  it('counts answers to client keepalives as traffic toward the client, and does not echo the echo of its own', async () => {
    const h = await tunnelIn('channel-open', lifecycle);
    h.advance(25 * SECOND_MS);
    h.session.receive(client(KEEPALIVE));
    h.session.tick();
    h.advance(25 * SECOND_MS);
    h.session.tick();
    assert.deepStrictEqual(h.take(), [send({ type: 'keepalive' })], 'only the echo, no keepalive of its own yet');
    h.advance(5 * SECOND_MS);
    h.session.tick();
    assert.deepStrictEqual(h.take(), [send({ type: 'keepalive' })]);
    h.session.receive(client(KEEPALIVE)); // FreeRDP echoes ours
    assert.deepStrictEqual(h.take(), []);
  });

  it('ticks before the channel opens, and while closing, do nothing', async () => {
    for (const [state] of SETUP) {
      const h = await tunnelIn(state, { ...lifecycle, idleTimeoutMs: MINUTE_MS, maxSessionMs: MINUTE_MS });
      h.advance(MINUTE_MS * 10);
      h.session.tick();
      assert.deepStrictEqual(h.take(), [], state);
    }
    const c = await tunnelIn('channel-open', { ...lifecycle, idleTimeoutMs: MINUTE_MS });
    c.session.terminate('admin-disconnect');
    c.take();
    c.advance(MINUTE_MS * 10);
    c.session.tick();
    assert.deepStrictEqual(c.take(), []);
  });
});

describe('TunnelSession: idle timeout', () => {
  const lifecycle = { idleTimeoutMs: 15 * MINUTE_MS };

  it('closes a channel with no DATA either way for 15 minutes: CLOSE_CHANNEL(E_PROXY_SESSIONTIMEOUT), idle-timeout', async () => {
    const h = await tunnelIn('channel-open', lifecycle);
    h.advance(15 * MINUTE_MS - 1);
    h.session.tick();
    assert.deepStrictEqual(h.take(), []);
    h.advance(1);
    h.session.tick();
    assert.deepStrictEqual(h.take(), [send({ type: 'close-channel', statusCode: SESSION_TIMEOUT })]);
    assert.equal(h.session.state, 'closing');
    assert.equal(h.closingCalls, 1);
    h.session.receive(client(CLOSE_CHANNEL_RESPONSE));
    assert.deepStrictEqual(h.take(), [
      ended({
        reason: 'idle-timeout',
        state: 'channel-open',
        hresult: SESSION_TIMEOUT,
        detail: `no data either way for ${15 * MINUTE_MS} ms`,
      }),
    ]);
    await assertEndedOnceAndSilent(h);
  });

  it('E_PROXY_SESSIONTIMEOUT is 0x000059F6 on the wire (FreeRDP records any non-zero close status)', () => {
    assert.equal(
      encodeServerPacket({ type: 'close-channel', statusCode: SESSION_TIMEOUT }).toString('hex'),
      '100000000c000000f6590000',
    );
  });

  for (const [label, activity] of [
    ['DATA from the client', (h: Harness) => h.session.receive(client(DATA))],
    ['DATA to the client', (h: Harness) => h.session.dataToClient()],
  ] as const) {
    it(`restarts the idle period on ${label}, measured from the tick that saw it`, async () => {
      const h = await tunnelIn('channel-open', lifecycle);
      h.advance(10 * MINUTE_MS);
      activity(h);
      h.advance(SECOND_MS);
      h.session.tick(); // sees the activity at 10 min 1 s
      h.advance(15 * MINUTE_MS - 1);
      h.session.tick();
      assert.ok(!h.take().some((o) => o.kind === 'send'), 'still within the idle period');
      h.advance(1);
      h.session.tick();
      assert.deepStrictEqual(h.take().at(-1), send({ type: 'close-channel', statusCode: SESSION_TIMEOUT }));
    });
  }

  it('is not kept alive by keepalives either way', async () => {
    const h = await tunnelIn('channel-open', { ...lifecycle, keepaliveIntervalMs: 30 * SECOND_MS });
    for (let elapsed = 0; elapsed < 15 * MINUTE_MS; elapsed += 30 * SECOND_MS) {
      h.advance(30 * SECOND_MS);
      h.session.receive(client(KEEPALIVE));
      h.session.tick();
    }
    assert.equal(h.session.state, 'closing');
    assert.deepStrictEqual(h.take().at(-1), send({ type: 'close-channel', statusCode: SESSION_TIMEOUT }));
  });
});

describe('TunnelSession: lifetime and token expiry', () => {
  it('closes a busy channel when it reaches its maximum lifetime: lifetime, E_PROXY_SESSIONTIMEOUT', async () => {
    const h = await tunnelIn('channel-open', { maxSessionMs: 60 * MINUTE_MS, idleTimeoutMs: 5 * MINUTE_MS });
    for (let elapsed = 0; elapsed < 60 * MINUTE_MS - MINUTE_MS; elapsed += MINUTE_MS) {
      h.advance(MINUTE_MS);
      h.session.receive(client(DATA));
      h.session.tick();
    }
    assert.equal(h.session.state, 'channel-open', 'busy, not yet an hour');
    h.advance(MINUTE_MS);
    h.session.tick();
    assert.equal(h.take().at(-1)?.kind, 'send');
    assert.equal(h.session.state, 'closing');
    h.session.transportClosed();
    assert.deepStrictEqual(h.take(), [
      ended({
        reason: 'lifetime',
        state: 'channel-open',
        hresult: SESSION_TIMEOUT,
        detail: `the session reached its ${60 * MINUTE_MS} ms limit`,
      }),
    ]);
  });

  it('closes the channel when the grant expires, if told when that is: token-expired', async () => {
    const expiresAt = CLOCK_START_MS + 10 * MINUTE_MS;
    const h = await tunnelIn('channel-open', { grantExpiresAt: (grant) => (grant.tokenId ? expiresAt : undefined) });
    h.advance(10 * MINUTE_MS - 1);
    h.session.receive(client(DATA));
    h.session.tick();
    assert.equal(h.session.state, 'channel-open');
    h.advance(1);
    h.session.tick();
    assert.deepStrictEqual(h.take().at(-1), send({ type: 'close-channel', statusCode: SESSION_TIMEOUT }));
    h.session.receive(client(CLOSE_CHANNEL_RESPONSE));
    assert.deepStrictEqual(h.take(), [
      ended({
        reason: 'token-expired',
        state: 'channel-open',
        hresult: SESSION_TIMEOUT,
        detail: 'the access token expired',
      }),
    ]);
  });

  it('lets a channel outlive its grant when no expiry is given (the default policy)', async () => {
    const h = await tunnelIn('channel-open', { grantExpiresAt: () => undefined });
    h.advance(365 * 24 * 60 * MINUTE_MS);
    h.session.tick();
    assert.equal(h.session.state, 'channel-open');
  });

  it('ends with the limit that passed first when several are due at one tick', async () => {
    const h = await tunnelIn('channel-open', {
      idleTimeoutMs: 20 * MINUTE_MS,
      maxSessionMs: 30 * MINUTE_MS,
      grantExpiresAt: () => CLOCK_START_MS + 25 * MINUTE_MS,
    });
    h.advance(60 * MINUTE_MS); // e.g. the process was suspended
    h.session.tick();
    h.session.transportClosed();
    const outcome = h.outputs.find((o) => o.kind === 'ended');
    assert.equal((outcome as { outcome: TunnelOutcome }).outcome.reason, 'idle-timeout');
  });

  it('a token expiry already past when the channel opens ends it on the first tick', async () => {
    const h = await tunnelIn('channel-open', { grantExpiresAt: () => CLOCK_START_MS - 1 });
    h.session.tick();
    assert.equal(h.session.state, 'closing');
  });
});

describe('TunnelSession: gateway-side ends tell the client why', () => {
  it('terminate() with a notice sends SERVICE_MESSAGE, then CLOSE_CHANNEL with the status, then waits', async () => {
    const h = await openTunnel();
    h.session.terminate('admin-disconnect', HResult.E_PROXY_CONNECTIONABORTED, 'by the admin', 'Ended by the admin.');
    assert.deepStrictEqual(h.take(), [
      send({ type: 'service-message', message: 'Ended by the admin.' }),
      send({ type: 'close-channel', statusCode: HResult.E_PROXY_CONNECTIONABORTED }),
    ]);
    assert.equal(h.closingCalls, 1);
    h.session.receive(client(CLOSE_CHANNEL_RESPONSE));
    assert.deepStrictEqual(h.take(), [
      ended({
        reason: 'admin-disconnect',
        state: 'channel-open',
        hresult: HResult.E_PROXY_CONNECTIONABORTED,
        detail: 'by the admin',
      }),
    ]);
    await assertEndedOnceAndSilent(h);
  });

  it('leaves the notice out for a client without the service-message capability', async () => {
    const h = await tunnelIn('channel-open', {}, Capability.QUAR_SOH);
    h.session.terminate('shutdown', HResult.E_PROXY_CONNECTIONABORTED, undefined, 'Shutting down.');
    assert.deepStrictEqual(h.take(), [send({ type: 'close-channel', statusCode: HResult.E_PROXY_CONNECTIONABORTED })]);
  });

  for (const [state] of SETUP) {
    it(`terminate() with a notice in ${state} sends nothing and never calls closing()`, async () => {
      const h = await tunnelIn(state);
      h.session.terminate('shutdown', HResult.E_PROXY_CONNECTIONABORTED, undefined, 'Shutting down.');
      assert.deepStrictEqual(h.take(), [ended({ reason: 'shutdown', state })]);
      assert.equal(h.closingCalls, 0);
    });
  }

  it('calls closing() once however many ends pile up (target gone, admin, timeout)', async () => {
    const h = await tunnelIn('channel-open', { idleTimeoutMs: MINUTE_MS });
    h.session.targetEnded();
    h.session.terminate('admin-disconnect');
    h.advance(MINUTE_MS);
    h.session.tick();
    assert.equal(h.closingCalls, 1);
    assert.deepStrictEqual(h.take(), [send({ type: 'close-channel', statusCode: 0 })]);
  });
});

describe('TunnelSession: a quiet channel lets its owner sleep until the next keepalive or limit', () => {
  it('answers the time to the next keepalive on a quiet tick, and no sleep on a tick that saw activity', async () => {
    const h = await tunnelIn('channel-open', { keepaliveIntervalMs: 30 * SECOND_MS });
    h.advance(SECOND_MS);
    h.session.dataToClient();
    assert.equal(h.session.tick(), undefined, 'activity since the last tick: tick again after the period');
    h.advance(SECOND_MS);
    assert.equal(h.session.tick(), 29 * SECOND_MS, 'quiet: the keepalive is due 30 s after the tick that saw the data');
    h.advance(29 * SECOND_MS);
    assert.equal(h.session.tick(), 30 * SECOND_MS, 'the keepalive went out; the next one is an interval away');
    assert.deepStrictEqual(h.take(), [send({ type: 'keepalive' })]);
    h.session.receive(client(KEEPALIVE)); // the client's echo of ours is not activity
    assert.equal(h.wakes, 0);
  });

  it('answers the earliest of keepalive, idle timeout, lifetime and token expiry; Infinity with none', async () => {
    const limits = {
      keepaliveIntervalMs: 30 * SECOND_MS,
      idleTimeoutMs: 20 * SECOND_MS,
      maxSessionMs: 15 * SECOND_MS,
      grantExpiresAt: () => CLOCK_START_MS + 10 * SECOND_MS,
    };
    const all = await tunnelIn('channel-open', limits);
    all.advance(SECOND_MS);
    assert.equal(all.session.tick(), 9 * SECOND_MS, 'the token expiry');
    const noExpiry = await tunnelIn('channel-open', { ...limits, grantExpiresAt: () => undefined });
    noExpiry.advance(SECOND_MS);
    assert.equal(noExpiry.session.tick(), 14 * SECOND_MS, 'the lifetime');
    const none = await tunnelIn('channel-open', {});
    none.advance(SECOND_MS);
    assert.equal(none.session.tick(), Infinity);
  });

  // The channel opens at 0; the activity comes at 0 s and at 12 s, the owner ticks at 1, 2 (asleep), 13 and 14 s.
  // DATA from the client moves only the idle timeout (the keepalive stays due at 30 s: 16 s from 14 s); anything
  // sent to the client moves the keepalive to 30 s after the tick that saw it (43 s: 29 s from 14 s).
  for (const [label, activity, sleepAt14s] of [
    ['DATA from the client', (h: Harness) => h.session.receive(client(DATA)), 16 * SECOND_MS],
    ['DATA to the client', (h: Harness) => h.session.dataToClient(), 29 * SECOND_MS],
    ['a keepalive answered', (h: Harness) => h.session.receive(client(KEEPALIVE)), 29 * SECOND_MS],
  ] as const) {
    it(`wakes its owner once on ${label} while asleep, and the limits move as with a tick each period`, async () => {
      const h = await tunnelIn('channel-open', { keepaliveIntervalMs: 30 * SECOND_MS, idleTimeoutMs: MINUTE_MS });
      activity(h);
      assert.equal(h.wakes, 0, 'not asleep yet: nothing to wake');
      h.advance(SECOND_MS);
      h.session.tick();
      h.advance(SECOND_MS);
      assert.ok((h.session.tick() ?? 0) > SECOND_MS, 'quiet: asleep');
      h.advance(10 * SECOND_MS);
      activity(h);
      activity(h);
      assert.equal(h.wakes, 1);
      h.advance(SECOND_MS); // the owner ticks one period after the wake
      assert.equal(h.session.tick(), undefined);
      h.advance(SECOND_MS);
      assert.equal(h.session.tick(), sleepAt14s);
      assert.ok(!h.take().some((o) => o.kind === 'send' && o.packet.type !== 'keepalive'), 'nothing else was sent');
    });
  }

  it('does not wake its owner once the channel is closing', async () => {
    const h = await tunnelIn('channel-open', { keepaliveIntervalMs: 30 * SECOND_MS });
    h.advance(SECOND_MS);
    assert.ok(h.session.tick() !== undefined);
    h.session.terminate('admin-disconnect', HResult.E_PROXY_CONNECTIONABORTED, undefined, 'Ended by the admin.');
    h.session.receive(client(DATA));
    assert.equal(h.wakes, 0);
  });
});

describe('TunnelSession: the DATA path stays cheap', () => {
  it('reads no clock and starts nothing per DATA packet, either way', async () => {
    const h = await tunnelIn('channel-open', {
      keepaliveIntervalMs: 30 * SECOND_MS,
      idleTimeoutMs: MINUTE_MS,
      maxSessionMs: MINUTE_MS,
      grantExpiresAt: () => CLOCK_START_MS + MINUTE_MS,
    });
    const reads = h.clockReads;
    const packet = client(DATA);
    for (let i = 0; i < 10_000; i++) {
      h.session.receive(packet);
      h.session.dataToClient();
    }
    assert.equal(h.clockReads, reads, 'the clock is read by tick() only');
    h.session.tick();
    assert.equal(h.clockReads, reads + 1);
  });
});
