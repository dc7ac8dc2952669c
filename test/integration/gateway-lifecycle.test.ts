/**
 * The gateway's life around its tunnels: allowlist changes picked up while running, and a graceful stop that
 * tells open tunnels, refuses new connections and finishes within its bound.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { SettingsStore } from '../../main/config/settings-store.ts';
import { HResult } from '../../main/gateway/tsgu/constants.ts';
import { createLogger } from '../../main/logging/logger.ts';
import { SHUTDOWN_DRAIN_TIMEOUT_MS } from '../../main/service.ts';
import type { Settings } from '../../main/config/schema.ts';
import { startTestGateway, withGateway, type TestGateway } from '../helpers/gateway.ts';
import { TargetServer } from '../helpers/targets.ts';
import { TsguClient, TsguStepRefusedError, openTunnel } from '../helpers/tsgu-client.ts';
import { within } from '../helpers/wait.ts';

const quietLogger = createLogger({ write: () => undefined });

/** Resolves with the gateway's settings once `predicate` holds (now or after a change), bounded in time. */
function settingsWhere(gateway: TestGateway, predicate: (settings: Settings) => boolean): Promise<Settings> {
  const store = gateway.service.context.settings;
  if (predicate(store.get())) return Promise.resolve(store.get());
  return new Promise((resolve, reject) => {
    const off = store.onChange((settings) => {
      if (!predicate(settings)) return;
      clearTimeout(timer);
      off();
      resolve(settings);
    });
    const timer = setTimeout(() => {
      off();
      reject(new Error('the running gateway did not pick up the settings change'));
    }, 5_000);
  });
}

describe('allowlist changes while running', { timeout: 30_000 }, () => {
  let gateway: TestGateway;
  let echo: TargetServer;

  before(async () => {
    gateway = await startTestGateway();
    echo = await TargetServer.start({ mode: 'echo' });
  });

  after(async () => {
    await gateway.dispose();
    await echo.close();
  });

  const channelRefusal = async (token: string): Promise<number> => {
    const error = await openTunnel(gateway.clientOptions(), token, { name: 'late', port: echo.port }).then(
      (client) => {
        client.destroy();
        return undefined;
      },
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof TsguStepRefusedError, `expected a refusal, got ${String(error)}`);
    assert.equal(error.step, 'channel-create');
    return error.code;
  };

  it('a host added through the settings store is reachable at once; a removed one is refused', async () => {
    const { token } = await gateway.token(['late']);
    assert.equal(await channelRefusal(token), HResult.E_PROXY_RAP_ACCESSDENIED, 'not allowed yet');
    assert.equal(echo.acceptCount, 0);

    await gateway.addHost({ name: 'late', port: echo.port });
    const client = await openTunnel(gateway.clientOptions(), token, { name: 'late', port: echo.port });
    client.sendData(Buffer.from('added'));
    assert.equal((await client.readData(5)).toString(), 'added');
    assert.equal(await client.closeChannel(), HResult.S_OK);
    assert.equal(echo.acceptCount, 1);

    await gateway.removeHost('late');
    const audit = await gateway.auditFromNow();
    assert.equal(await channelRefusal(token), HResult.E_PROXY_RAP_ACCESSDENIED, 'removed again');
    const record = await audit((line) => line.event === 'tunnel.refused');
    assert.match(String(record.detail), /^not-allowed-host:/);
    assert.equal(echo.acceptCount, 1, 'the removed host was not dialled');
  });

  it('a host added by another process (as `homegate hosts add` does) is picked up from the file', async () => {
    const { token } = await gateway.token(['from-cli']);
    // A second store on the same data directory stands in for the CLI process.
    const cli = await SettingsStore.open(gateway.dataDir, quietLogger);
    try {
      await cli.update((settings) => ({
        ...settings,
        hosts: [...settings.hosts, { name: 'from-cli', address: '127.0.0.1', port: echo.port }],
      }));
    } finally {
      cli.close();
    }
    await settingsWhere(gateway, (settings) => settings.hosts.some((host) => host.name === 'from-cli'));
    const client = await openTunnel(gateway.clientOptions(), token, { name: 'from-cli', port: echo.port });
    client.sendData(Buffer.from('via file'));
    assert.equal((await client.readData(8)).toString(), 'via file');
    assert.equal(await client.closeChannel(), HResult.S_OK);
  });
});

describe('graceful stop', { timeout: 30_000 }, () => {
  it('tells the open tunnel with CLOSE_CHANNEL, refuses new connections and resolves promptly', async (t) => {
    const gateway = await withGateway(t);
    const echo = await TargetServer.start({ mode: 'echo' });
    t.after(() => echo.close());
    await gateway.addHost({ name: 'echo', port: echo.port });
    const { token } = await gateway.token(['echo']);
    const client = await openTunnel(gateway.clientOptions(), token, { name: 'echo', port: echo.port });
    t.after(() => client.destroy());
    client.sendData(Buffer.from('before stop'));
    await client.readData(11);
    const ended = new Promise<string | undefined>((resolve) => {
      gateway.service.sessions.on('end', (info) => resolve(info.endReason));
    });
    // A connection that never sent its request head is dropped by the stop.
    const idle = tlsConnect({ host: '127.0.0.1', port: gateway.port, rejectUnauthorized: false });
    idle.on('error', () => undefined);
    await once(idle, 'secureConnect');
    const idleClosed = once(idle, 'close');

    const started = Date.now();
    const stopping = gateway.service.stop();
    assert.deepEqual(
      await client.expectPacket('service-message'),
      { type: 'service-message', message: 'The gateway is shutting down.' },
      'a client that takes service messages is told why first',
    );
    assert.equal(await client.answerCloseChannel(), HResult.E_PROXY_CONNECTIONABORTED, 'the open tunnel is told');
    await assert.rejects(
      TsguClient.connect(gateway.clientOptions({ timeoutMs: 2_000 })),
      (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED',
      'the listener refuses new connections',
    );
    assert.equal(await ended, 'shutdown');
    assert.equal((await client.waitClosed()).code, 1000);
    await within(idleClosed, 2_000, 'dropping the idle connection');
    await stopping;
    const elapsed = Date.now() - started;
    assert.ok(elapsed < SHUTDOWN_DRAIN_TIMEOUT_MS, `stop() took ${elapsed} ms with a cooperative client`);

    const record = (await gateway.auditRecords()).find((line) => line.event === 'tunnel.end');
    assert.equal(record?.reason, 'shutdown', 'the audit log is flushed by stop()');
  });

  it('drops a client that never answers CLOSE_CHANNEL, within the drain bound', async (t) => {
    const gateway = await withGateway(t);
    const echo = await TargetServer.start({ mode: 'echo' });
    t.after(() => echo.close());
    await gateway.addHost({ name: 'echo', port: echo.port });
    const { token } = await gateway.token(['echo']);
    const client = await openTunnel(gateway.clientOptions(), token, { name: 'echo', port: echo.port });
    t.after(() => client.destroy());

    const started = Date.now();
    const stopping = gateway.service.stop();
    await client.expectPacket('service-message');
    assert.equal((await client.expectPacket('close-channel')).statusCode, HResult.E_PROXY_CONNECTIONABORTED);
    // No answer: the gateway gives up on this tunnel by itself.
    const info = await client.waitClosed(SHUTDOWN_DRAIN_TIMEOUT_MS + 1_000);
    assert.equal(info.closeFrameReceived, false, 'dropped, not closed politely');
    await stopping;
    const elapsed = Date.now() - started;
    assert.ok(elapsed <= SHUTDOWN_DRAIN_TIMEOUT_MS + 500, `stop() took ${elapsed} ms`);
    const record = (await gateway.auditRecords()).find((line) => line.event === 'tunnel.end');
    assert.equal(record?.reason, 'shutdown');
  });
});
