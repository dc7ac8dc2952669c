/** `homegate health` reaches the gateway where the settings say it listens, not only on 127.0.0.1. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { main } from '../../main/cli.ts';
import { withGateway } from '../helpers/gateway.ts';

async function health(dataDir: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['health', '--data-dir', dataDir], {
    out: (chunk) => (out += chunk),
    err: (chunk) => (err += chunk),
  });
  return { code, out, err };
}

describe('homegate health probes the configured listen address', () => {
  for (const host of ['::1', '127.0.0.2']) {
    test(`a gateway listening on ${host} only`, async (t) => {
      const gateway = await withGateway(t, { listen: { host, port: 0 } });
      // As `serve` started with these settings would (the running gateway listens where it started).
      await gateway.service.context.settings.update((settings) => ({
        ...settings,
        listen: { host, port: gateway.port },
      }));
      const result = await health(gateway.dataDir);
      assert.equal(result.code, 0, result.err);
      assert.match(result.out, /^healthy: /);
    });
  }

  test('nothing there: the error names the address it tried', async (t) => {
    const gateway = await withGateway(t, { listen: { host: '::1', port: 0 } });
    const port = gateway.port;
    await gateway.service.context.settings.update((settings) => ({ ...settings, listen: { host: '::1', port } }));
    await gateway.service.stop();
    const result = await health(gateway.dataDir);
    assert.equal(result.code, 1);
    assert.match(result.err, new RegExp(`gateway unreachable at \\[::1\\]:${port}: `));
  });
});
