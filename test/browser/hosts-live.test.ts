/**
 * Hosts follows the gateway live: with the page open in Chromium, a real MS-TSGU tunnel through `homegate serve`
 * dials the host, and its row turns from "Not tested" to "Reachable" with no reload (the `doctor.reachability` event
 * over the page's WebSocket); once the host stops listening, the next tunnel's failed dial turns it "Unreachable".
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { homegate, skipUnlessTools, type HomegateServe, type TempDir } from '../e2e/harness/index.ts';
import { openTunnel, type TsguClientOptions } from '../helpers/tsgu-client.ts';
import { startAdminBrowser, type AdminBrowser } from './support.ts';

const skip = skipUnlessTools(['chromium']);
const PASSWORD = 'a live hosts test password';

describe('Hosts shows reachability as the gateway notes it, without a reload', { skip, timeout: 120_000 }, () => {
  let admin: AdminBrowser;
  let data: TempDir;
  let serve: HomegateServe;
  let page: Page;
  let pc: Server;
  let pcPort: number;
  const problems: string[] = [];

  before(async () => {
    pc = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => pc.listen(0, '127.0.0.1', resolve));
    pcPort = (pc.address() as AddressInfo).port;
    admin = await startAdminBrowser({
      name: 'hosts-live',
      password: PASSWORD,
      viewport: { width: 1280, height: 800 },
      actionTimeoutMs: 15_000,
      problems,
    });
    ({ data, serve, page } = admin);
    const added = await homegate(data.path, ['hosts', 'add', '--name', 'desk', '--address', `127.0.0.1:${pcPort}`]);
    assert.equal(added.code, 0, added.stderr);
    // The running serve follows the settings file; its first reload is this host.
    await serve.process.waitForLine(/settings reloaded/, 10_000);
  });

  after(async () => {
    await admin?.close();
    if (pc?.listening) pc.close();
  });

  async function tunnelToDesk(): Promise<void> {
    const minted = await homegate(data.path, ['token', 'paa', '--host', 'desk']);
    assert.equal(minted.code, 0, minted.stderr);
    const options: TsguClientOptions = {
      host: '127.0.0.1',
      port: serve.port,
      ca: await readFile(join(data.path, 'tls', 'ca.pem'), 'utf8'),
      servername: 'localhost',
    };
    const client = await openTunnel(options, minted.stdout.trim(), { name: 'desk', port: pcPort });
    client.destroy();
  }

  test('a tunnel’s dial turns the row Reachable, a failed one Unreachable, on the open page', async () => {
    await page.goto(`${admin.adminUrl}#hosts`);
    await page.getByLabel('Admin password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Hosts' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'desk' });
    await row.getByText('Not tested').waitFor();
    // Anything that reloads the page would drop this mark.
    await page.evaluate('window.__stillThisPage = true');

    await tunnelToDesk();
    await row.getByText('Reachable', { exact: true }).waitFor();
    await row.getByText(/^Last seen/).waitFor();

    await new Promise<void>((resolve) => pc.close(() => resolve()));
    await assert.rejects(tunnelToDesk(), /channel-create refused/);
    await row.getByText('Unreachable', { exact: true }).waitFor();
    assert.equal(await page.evaluate('window.__stillThisPage === true'), true, 'the page was not reloaded');
    assert.deepEqual(problems, []);
  });
});
