/**
 * How tunnels end on the gateway's own initiative, against the real gateway (`startGateway`) on loopback: the setup
 * timeout for half-open clients, keepalives, the idle timeout, the session lifetime, token expiry, an admin
 * disconnect and a graceful shutdown, with the messages clients are shown. Limits are set through the settings,
 * as a user would, with sub-second values (minutes may be fractional).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LifecycleSettings } from '../../main/config/schema.ts';
import { encodePaaCookie } from '../helpers/tsgu-codec.ts';
import { Capability, HResult } from '../../main/gateway/tsgu/constants.ts';
import { SHUTDOWN_DRAIN_TIMEOUT_MS } from '../../main/service.ts';
import type { SessionEndReason, SessionInfo } from '../../shared/model/sessions.ts';
import { withGateway, type TestGateway } from '../helpers/gateway.ts';
import { TargetServer } from '../helpers/targets.ts';
import { FREERDP_CLIENT_CAPS, TsguClient, openTunnel, type TsguClientOptions } from '../helpers/tsgu-client.ts';
import { within } from '../helpers/wait.ts';

const SESSION_TIMEOUT = HResult.E_PROXY_SESSIONTIMEOUT;
const CONNECTION_ABORTED = HResult.E_PROXY_CONNECTIONABORTED;
/** 0.01 minutes: the idle and lifetime limits used below. */
const SHORT_MINUTES = 0.01;
const SHORT_MS = SHORT_MINUTES * 60_000;

async function setLifecycle(gateway: TestGateway, change: Partial<LifecycleSettings>): Promise<void> {
  await gateway.service.context.settings.update((settings) => ({
    ...settings,
    lifecycle: { ...settings.lifecycle, ...change },
  }));
}

/** A gateway with an echo host `echo`, the given lifecycle settings, and a token for `echo`. */
async function setUp(
  t: { after(fn: () => Promise<void> | void): void },
  lifecycle: Partial<LifecycleSettings> = {},
): Promise<{ gateway: TestGateway; echo: TargetServer; token: string }> {
  const gateway = await withGateway(t);
  const echo = await TargetServer.start({ mode: 'echo' });
  t.after(() => echo.close());
  await gateway.addHost({ name: 'echo', port: echo.port });
  await setLifecycle(gateway, lifecycle);
  const { token } = await gateway.token(['echo']);
  return { gateway, echo, token };
}

function sessionEnd(gateway: TestGateway, timeoutMs = 10_000): Promise<SessionInfo> {
  return within(
    new Promise<SessionInfo>((resolve) => {
      const off = gateway.service.sessions.on('end', (info) => {
        off();
        resolve(info);
      });
    }),
    timeoutMs,
    'the session end event',
  );
}

/** Walks the FreeRDP sequence by hand with the given client caps; returns the client and what it was told. */
async function connectWithCaps(options: TsguClientOptions, token: string, capsFlags: number, port: number) {
  const client = await TsguClient.connect(options);
  await client.handshake();
  client.sendPacket({ type: 'tunnel-create', capsFlags, paaCookie: encodePaaCookie(token) });
  const tunnel = await client.expectPacket('tunnel-response');
  const auth = await client.authorizeTunnel('LIFECYCLE');
  const channel = await client.createChannel(['echo'], port);
  assert.equal(channel.errorCode, HResult.S_OK);
  return { client, tunnel, auth };
}

async function echoes(client: TsguClient, text: string): Promise<void> {
  client.sendData(Buffer.from(text));
  assert.equal((await client.readData(text.length)).toString(), text);
}

/** Resolves once the gateway closed the connection, with how long that took from `since`. */
async function closedAfter(client: TsguClient, since: number, timeoutMs = 5_000): Promise<number> {
  await client.waitClosed(timeoutMs);
  return Date.now() - since;
}

describe('half-open clients: the setup timeout', { timeout: 30_000 }, () => {
  it('closes a WebSocket that never sends HANDSHAKE_REQUEST, and records it', async (t) => {
    const { gateway } = await setUp(t, { setupTimeoutSeconds: 1 });
    const audit = await gateway.auditFromNow();
    const started = Date.now();
    const client = await TsguClient.connect(gateway.clientOptions());
    t.after(() => client.destroy());
    const elapsed = await closedAfter(client, started);
    assert.ok(elapsed >= 900 && elapsed < 3_000, `closed after ${elapsed} ms (setup timeout 1 s)`);
    assert.deepEqual(client.violations, []);
    const record = await audit((line) => line.event === 'tunnel.refused');
    assert.equal(record.reason, 'timeout');
    assert.equal(record.stage, 'awaiting-handshake');
    assert.equal(gateway.service.sessions.size, 0);
  });

  it('closes a client that stops half-way (after TUNNEL_CREATE) without answering it further', async (t) => {
    const { gateway, echo, token } = await setUp(t, { setupTimeoutSeconds: 1 });
    const audit = await gateway.auditFromNow();
    const client = await TsguClient.connect(gateway.clientOptions());
    t.after(() => client.destroy());
    const started = Date.now();
    await client.handshake();
    assert.equal((await client.createTunnel(token)).statusCode, HResult.S_OK);
    const elapsed = await closedAfter(client, started);
    assert.ok(elapsed < 3_000, `closed after ${elapsed} ms`);
    // Nothing may precede the channel response for FreeRDP, so the close is silent at the MS-TSGU level.
    assert.equal(client.packetsReceived.get('close-channel'), undefined);
    const record = await audit((line) => line.event === 'tunnel.refused');
    assert.equal(record.stage, 'awaiting-tunnel-auth');
    assert.equal(record.reason, 'timeout');
    assert.equal(echo.acceptCount, 0, 'nothing was dialled');
  });

  it('does not touch a tunnel whose channel opened in time', async (t) => {
    const { gateway, echo, token } = await setUp(t, { setupTimeoutSeconds: 1 });
    const client = await openTunnel(gateway.clientOptions(), token, { name: 'echo', port: echo.port });
    t.after(() => client.destroy());
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await echoes(client, 'still open after the setup timeout');
    assert.equal(await client.closeChannel(), HResult.S_OK);
  });
});

describe('keepalives from the gateway', { timeout: 30_000 }, () => {
  it('reach a client that heard nothing for the interval, and none while data flows to it', async (t) => {
    const { gateway, echo, token } = await setUp(t, { keepaliveSeconds: 1 });
    const client = await openTunnel(gateway.clientOptions({ echoKeepalives: false }), token, {
      name: 'echo',
      port: echo.port,
    });
    t.after(() => client.destroy());
    // Echoed data every 300 ms: the client hears from the gateway all the time.
    for (let i = 0; i < 6; i++) {
      await echoes(client, `tick ${i}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    assert.equal(client.packetsReceived.get('keepalive'), undefined, 'no keepalive while data flowed');
    const silentSince = Date.now();
    assert.equal((await client.nextPacket(3_000)).type, 'keepalive');
    const elapsed = Date.now() - silentSince;
    assert.ok(elapsed >= 600 && elapsed < 2_500, `first keepalive after ${elapsed} ms of silence (interval 1 s)`);
    client.sendPacket({ type: 'keepalive' }); // the echo FreeRDP sends: not answered
    assert.equal((await client.nextPacket(3_000)).type, 'keepalive', 'the next one, a second later');
    assert.equal(client.packetsReceived.get('keepalive'), 2, 'the echo of ours was not echoed back');
    await echoes(client, 'the tunnel still works');
    assert.equal(await client.closeChannel(), HResult.S_OK);
  });
});

describe('the idle timeout', { timeout: 30_000 }, () => {
  it('is announced, and ends an idle channel with CLOSE_CHANNEL(E_PROXY_SESSIONTIMEOUT) as idle-timeout', async (t) => {
    const { gateway, echo, token } = await setUp(t, { idleTimeoutMinutes: SHORT_MINUTES, keepaliveSeconds: 1 });
    const audit = await gateway.auditFromNow();
    const { client, auth } = await connectWithCaps(gateway.clientOptions(), token, FREERDP_CLIENT_CAPS, echo.port);
    t.after(() => client.destroy());
    assert.equal(auth.idleTimeoutMinutes, 1, '0.6 s is announced as the minute it falls in');
    const ended = sessionEnd(gateway);

    // Busy for three idle periods: not closed.
    const busyUntil = Date.now() + 3 * SHORT_MS;
    while (Date.now() < busyUntil) {
      await echoes(client, 'busy');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(client.packetsReceived.get('close-channel'), undefined, 'a busy channel is not idle');

    const idleSince = Date.now();
    assert.equal(await client.answerCloseChannel(), SESSION_TIMEOUT);
    const elapsed = Date.now() - idleSince;
    assert.ok(elapsed >= SHORT_MS - 50 && elapsed < SHORT_MS + 1_000, `closed after ${elapsed} ms idle`);
    assert.equal((await ended).endReason, 'idle-timeout');
    assert.equal((await client.waitClosed()).code, 1000);
    const record = await audit((line) => line.event === 'tunnel.end');
    assert.equal(record.reason, 'idle-timeout');
    assert.match(String(record.detail), /no data either way/);
  });

  it('is not held off by keepalives (the gateway sends them to an idle client)', async (t) => {
    const { gateway, echo, token } = await setUp(t, { idleTimeoutMinutes: 0.03, keepaliveSeconds: 1 });
    const client = await openTunnel(gateway.clientOptions({ echoKeepalives: true }), token, {
      name: 'echo',
      port: echo.port,
    });
    t.after(() => client.destroy());
    assert.equal(await client.answerCloseChannel(5_000), SESSION_TIMEOUT);
    assert.ok((client.packetsReceived.get('keepalive') ?? 0) >= 1, 'keepalives went out meanwhile');
  });
});

describe('the maximum session lifetime', { timeout: 30_000 }, () => {
  it('ends a busy channel when it reaches its lifetime, as lifetime', async (t) => {
    const { gateway, echo, token } = await setUp(t, { maxSessionMinutes: SHORT_MINUTES });
    const ended = sessionEnd(gateway);
    const client = await openTunnel(gateway.clientOptions(), token, { name: 'echo', port: echo.port });
    t.after(() => client.destroy());
    const opened = Date.now();
    const status = client.answerCloseChannel(5_000);
    // Keep data flowing the whole time; the close still comes.
    let sent = 0;
    while (client.packetsReceived.get('close-channel') === undefined && Date.now() - opened < 5_000) {
      client.sendData(Buffer.from('x'));
      sent++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(await status, SESSION_TIMEOUT);
    const elapsed = Date.now() - opened;
    assert.ok(elapsed >= SHORT_MS - 50 && elapsed < SHORT_MS + 1_000, `closed ${elapsed} ms after opening`);
    assert.ok(sent > 5);
    const end = await ended;
    assert.equal(end.endReason, 'lifetime');
    assert.ok(end.bytesToTarget > 0);
  });
});

describe('token expiry during a session', { timeout: 30_000 }, () => {
  /** A token that expires `inSeconds` from now: issued in the past with a one-minute life. */
  const expiringToken = async (gateway: TestGateway, inSeconds: number) =>
    gateway.token(['echo'], { ttlSeconds: 60, now: new Date(Date.now() - (60 - inSeconds) * 1000) });

  it('with endSessionsAtTokenExpiry, ends the channel at the token exp: token-expired', async (t) => {
    const { gateway, echo } = await setUp(t, { endSessionsAtTokenExpiry: true });
    const { token, claims } = await expiringToken(gateway, 2);
    const ended = sessionEnd(gateway);
    const client = await openTunnel(gateway.clientOptions(), token, { name: 'echo', port: echo.port });
    t.after(() => client.destroy());
    await echoes(client, 'before exp');
    assert.equal(await client.answerCloseChannel(5_000), SESSION_TIMEOUT);
    const late = Date.now() - claims.exp * 1000;
    assert.ok(late >= -50 && late < 1_100, `closed ${late} ms after exp`);
    const end = await ended;
    assert.equal(end.endReason, 'token-expired');
    const record = await gateway.waitForAudit((line) => line.event === 'tunnel.end' && line.session === end.id);
    assert.equal(record.reason, 'token-expired');
  });

  it('by default, lets the session outlive its token (the token is checked at connect)', async (t) => {
    const { gateway, echo } = await setUp(t);
    assert.equal(gateway.service.context.settings.get().lifecycle.endSessionsAtTokenExpiry, false);
    const { token, claims } = await expiringToken(gateway, 1);
    const client = await openTunnel(gateway.clientOptions(), token, { name: 'echo', port: echo.port });
    t.after(() => client.destroy());
    await new Promise((resolve) => setTimeout(resolve, claims.exp * 1000 - Date.now() + 1_200));
    await echoes(client, 'after exp');
    assert.equal(client.packetsReceived.get('close-channel'), undefined);
    assert.equal(await client.closeChannel(), HResult.S_OK);
  });
});

describe('an admin disconnect', { timeout: 30_000 }, () => {
  it('tells a client that takes service messages why, then closes with E_PROXY_CONNECTIONABORTED', async (t) => {
    const { gateway, echo, token } = await setUp(t);
    const started = new Promise<SessionInfo>((resolve) => gateway.service.sessions.on('start', resolve));
    const { client } = await connectWithCaps(gateway.clientOptions(), token, FREERDP_CLIENT_CAPS, echo.port);
    t.after(() => client.destroy());
    const { id } = await started;
    const ended = sessionEnd(gateway);
    assert.equal(gateway.service.sessions.disconnect(id), true);
    assert.deepEqual(await client.nextPacket(), {
      type: 'service-message',
      message: 'The gateway administrator ended this session.',
    });
    assert.equal(await client.answerCloseChannel(), CONNECTION_ABORTED);
    assert.equal((await ended).endReason, 'admin-disconnect');
    assert.equal((await client.waitClosed()).code, 1000);
  });

  it('only closes (no service message) for a client without the capability', async (t) => {
    const { gateway, echo, token } = await setUp(t);
    const started = new Promise<SessionInfo>((resolve) => gateway.service.sessions.on('start', resolve));
    const { client } = await connectWithCaps(gateway.clientOptions(), token, Capability.QUAR_SOH, echo.port);
    t.after(() => client.destroy());
    const { id } = await started;
    gateway.service.sessions.disconnect(id);
    assert.equal(await client.answerCloseChannel(), CONNECTION_ABORTED);
    await client.waitClosed();
    assert.equal(client.packetsReceived.get('service-message'), undefined);
  });
});

describe('consent and service messages at connect', { timeout: 30_000 }, () => {
  it('shows the consent message in TUNNEL_RESPONSE and the service message after the channel opens', async (t) => {
    const consentMessage = 'By connecting you agree that sessions are logged.';
    const serviceMessage = 'Maintenance on Sunday, 22:00–23:00. ✓';
    const { gateway, echo, token } = await setUp(t, { consentMessage, serviceMessage });
    const { client, tunnel } = await connectWithCaps(gateway.clientOptions(), token, FREERDP_CLIENT_CAPS, echo.port);
    t.after(() => client.destroy());
    assert.equal(tunnel.consentMessage, consentMessage);
    assert.equal(
      tunnel.capsFlags,
      Capability.IDLE_TIMEOUT | Capability.MESSAGING_CONSENT_SIGN | Capability.MESSAGING_SERVICE_MSG,
    );
    assert.deepEqual(await client.nextPacket(), { type: 'service-message', message: serviceMessage });
    await echoes(client, 'after the message');
    assert.equal(client.packetsReceived.get('service-message'), 1);
    assert.deepEqual(client.violations, []);
    assert.equal(await client.closeChannel(), HResult.S_OK);
  });

  it('shows neither to a client that advertises neither capability', async (t) => {
    const { gateway, echo, token } = await setUp(t, { consentMessage: 'Consent?', serviceMessage: 'Hello' });
    const { client, tunnel } = await connectWithCaps(gateway.clientOptions(), token, Capability.QUAR_SOH, echo.port);
    t.after(() => client.destroy());
    assert.equal(tunnel.consentMessage, undefined);
    assert.equal(tunnel.capsFlags, Capability.IDLE_TIMEOUT);
    await echoes(client, 'no messages');
    assert.equal(client.packetsReceived.get('service-message'), undefined);
    assert.equal(await client.closeChannel(), HResult.S_OK);
  });

  it('refuses settings with an overlong or malformed message (the running settings are kept)', async (t) => {
    const gateway = await withGateway(t);
    await assert.rejects(setLifecycle(gateway, { serviceMessage: 'x'.repeat(5_000) }), /serviceMessage/);
    await assert.rejects(setLifecycle(gateway, { consentMessage: 'a\0b' }), /consentMessage/);
    assert.equal(gateway.service.context.settings.get().lifecycle.serviceMessage, '');
  });
});

describe('graceful shutdown', { timeout: 30_000 }, () => {
  it('stops accepting, tells every client why, closes every tunnel and resolves within its bound', async (t) => {
    const { gateway, echo, token } = await setUp(t);
    const ends: SessionEndReason[] = [];
    gateway.service.sessions.on('end', (info) => ends.push(info.endReason as SessionEndReason));
    const withMessages = await connectWithCaps(gateway.clientOptions(), token, FREERDP_CLIENT_CAPS, echo.port);
    const without = await connectWithCaps(gateway.clientOptions(), token, Capability.QUAR_SOH, echo.port);
    // A third client is still setting up (handshake done, no tunnel yet): it is closed without a word.
    const settingUp = await TsguClient.connect(gateway.clientOptions());
    await settingUp.handshake();
    for (const client of [withMessages.client, without.client, settingUp]) t.after(() => client.destroy());
    await echoes(withMessages.client, 'before');
    await echoes(without.client, 'before');

    const started = Date.now();
    const stopping = gateway.service.stop();
    assert.deepEqual(await withMessages.client.nextPacket(), {
      type: 'service-message',
      message: 'The gateway is shutting down.',
    });
    assert.equal(await withMessages.client.answerCloseChannel(), CONNECTION_ABORTED);
    assert.equal(await without.client.answerCloseChannel(), CONNECTION_ABORTED);
    await assert.rejects(
      TsguClient.connect(gateway.clientOptions({ timeoutMs: 2_000 })),
      (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED',
      'no new tunnels',
    );
    for (const client of [withMessages.client, without.client, settingUp]) await client.waitClosed();
    await within(stopping, SHUTDOWN_DRAIN_TIMEOUT_MS, 'stop()');
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 2_000, `stop() took ${elapsed} ms with cooperative clients`);
    assert.deepEqual(ends, ['shutdown', 'shutdown']);
    assert.equal(gateway.service.sessions.size, 0);
    const records = (await gateway.auditRecords()).filter((line) => line.event === 'tunnel.end');
    assert.deepEqual(
      records.map((line) => line.reason),
      ['shutdown', 'shutdown'],
      'flushed before stop() resolved',
    );
  });

  it('drops clients that never answer, so stop() still resolves within its bound', async (t) => {
    const { gateway, echo, token } = await setUp(t);
    const clients = await Promise.all(
      [1, 2, 3].map(() => openTunnel(gateway.clientOptions(), token, { name: 'echo', port: echo.port })),
    );
    for (const client of clients) t.after(() => client.destroy());
    const started = Date.now();
    await within(gateway.service.stop(), SHUTDOWN_DRAIN_TIMEOUT_MS + 500, 'stop()');
    const elapsed = Date.now() - started;
    assert.ok(elapsed < SHUTDOWN_DRAIN_TIMEOUT_MS, `stop() took ${elapsed} ms`);
    for (const client of clients) {
      const info = await client.waitClosed();
      assert.equal(info.closeFrameReceived, false, 'dropped after the close-handshake timeout');
    }
  });
});
