/**
 * A single-use ASSOCIATION token used once stays used across a gateway restart (issue 13 F7): the relay's replay
 * cache is saved in the data directory, so the restarted gateway refuses the replay and dials nothing.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { encodePreconnectionPdu } from '../../main/relay/pcb.ts';
import { issueAssociationToken } from '../../main/security/tokens.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { TargetServer } from '../helpers/targets.ts';
import { within } from '../helpers/wait.ts';

const X224 = Buffer.from('030000130ee000000000000100080003000000', 'hex');

/** Opens a relay connection that sends the token's PDU and an X.224 request; resolves when the relay closes it. */
async function sendPdu(port: number, token: string): Promise<{ closed: Promise<void>; destroy: () => void }> {
  const socket = connect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(Buffer.concat([encodePreconnectionPdu(token, { trailingNuls: 2 }), X224]));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { closed, destroy: () => socket.destroy() };
}

describe('single-use tokens across a restart', { timeout: 60_000 }, () => {
  let first: TestGateway | undefined;
  let second: TestGateway | undefined;
  let echo: TargetServer | undefined;
  after(async () => {
    await echo?.close();
    await (second ?? first)?.dispose();
  });

  it('a relay token used before the restart is refused after it, and nothing is dialled', async () => {
    echo = await TargetServer.start({ mode: 'echo' });
    const target = echo;
    first = await startTestGateway({ relay: true });
    const allow = { name: 'echo', address: '127.0.0.1', port: target.port };
    // No reconnection window: any second use is a replay (the setting is saved, so the restart keeps it too).
    await first.service.context.settings.update((settings) => ({
      ...settings,
      hosts: [allow],
      relay: { ...settings.relay, reuseWindowSeconds: 0 },
    }));
    const { token } = await issueAssociationToken(first.service.context.signingKey, {
      gatewayId: first.gatewayId,
      targets: [`tcp://echo:${target.port}`],
      ttlSeconds: 300,
    });
    const used = await sendPdu(first.relayPort, token);
    await (await target.connection(0)).waitForBytes(X224.length);
    used.destroy();
    await first.service.stop();

    second = await startTestGateway({ relay: true, dataDir: first.dataDir });
    const audit = await second.auditFromNow();
    const replayed = await sendPdu(second.relayPort, token);
    await within(replayed.closed, 5_000, 'the restarted relay closing the replay');
    const record = await audit((r) => r.event === 'tunnel.refused' && r.transport === 'relay');
    assert.equal(record.failure, 'replayed', JSON.stringify(record));
    assert.equal(target.acceptCount, 1, 'only the first use was dialled');
  });
});
