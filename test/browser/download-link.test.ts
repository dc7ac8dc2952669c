/**
 * "Download on a phone" in Chromium against `homegate serve`: the Export page's button shows a QR code; jsQR reads
 * the one-time link back from the rendered pixels; fetching that link (as the phone would, over HTTPS trusting the
 * gateway's CA) gives desk.rdp once, and the second fetch is 410 Gone.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import jsQRModule from 'jsqr';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { SETTINGS_FILE_NAME } from '../../main/config/settings-store.ts';
import {
  homegate,
  makeTempDir,
  skipUnlessTools,
  startHomegateServe,
  type HomegateServe,
  type TempDir,
} from '../e2e/harness/index.ts';
import { httpsRequest, type HttpsReply } from '../helpers/https-request.ts';
import { rdpLines } from '../helpers/rdp-signature.ts';
import { SCREENSHOTS, launchChromium, seriousAxeViolations, setAdminPassword } from './support.ts';

const skip = skipUnlessTools(['chromium']);
/** jsqr is CommonJS whose typings say `export default`: the function is the module and its `default` alike. */
const jsQR = jsQRModule.default;
const PASSWORD = 'a download link test password';

describe('a one-time download link as a QR code, in the web admin', { skip, timeout: 120_000 }, () => {
  let data: TempDir;
  let serve: HomegateServe;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    data = await makeTempDir('download-link');
    await setAdminPassword(data.path, PASSWORD);
    const added = await homegate(data.path, ['hosts', 'add', '--name', 'desk', '--address', '127.0.0.1']);
    assert.equal(added.code, 0, added.stderr);
    // The public name the link carries: `localhost`, which this test reaches on loopback.
    const settingsPath = join(data.path, SETTINGS_FILE_NAME);
    const settings = JSON.parse(await readFile(settingsPath, 'utf8')) as Record<string, unknown>;
    await writeFile(settingsPath, JSON.stringify({ ...settings, publicNames: ['localhost'] }, null, 2));
    serve = await startHomegateServe(data.path);
    browser = await launchChromium();
    context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 401/.test(message.text())) problems.push(message.text());
    });
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await serve?.stop();
    await data?.remove();
  });

  async function fetchLink(link: string): Promise<HttpsReply> {
    const url = new URL(link);
    const ca = await readFile(join(data.path, 'tls', 'ca.pem'), 'utf8');
    return httpsRequest({
      port: Number(url.port),
      ca,
      servername: url.hostname,
      path: url.pathname,
      headers: { host: url.host },
    });
  }

  test('the button shows a QR code of the link; the link gives desk.rdp once', async () => {
    await page.goto(`https://127.0.0.1:${serve.port}/admin/#export`);
    await page.getByLabel('Admin password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Export' }).waitFor();
    const card = page.getByRole('region', { name: 'On a phone or tablet' });
    await card.getByLabel('Device').fill('Test phone');
    await card.getByRole('button', { name: 'Download on a phone' }).click();
    const qr = card.getByRole('img', { name: 'QR code of a one-time download link for desk.rdp' });
    await qr.scrollIntoViewIfNeeded();
    await card
      .getByRole('status')
      .getByText(/downloads desk\.rdp for “Test phone” once, until/)
      .waitFor();
    await page.waitForTimeout(250);
    await page.screenshot({ path: join(SCREENSHOTS, 'export-phone-download.png'), fullPage: true });
    assert.deepEqual(await seriousAxeViolations(page), [], 'axe: export with a QR code');

    const png = PNG.sync.read(await qr.screenshot());
    const link = jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? '';
    assert.match(link, new RegExp(`^https://localhost:${serve.port}/download/[A-Za-z0-9_-]{43}$`));

    const first = await fetchLink(link);
    assert.equal(first.status, 200, first.body.toString());
    assert.equal(first.headers['content-type'], 'application/x-rdp');
    const lines = rdpLines(first.body);
    assert.ok(lines.includes('full address:s:desk'));
    assert.ok(lines.includes(`gatewayhostname:s:localhost:${serve.port}`));
    assert.ok(lines.some((line) => /^gatewayaccesstoken:s:\S+$/.test(line)));
    const second = await fetchLink(link);
    assert.equal(second.status, 410);
    assert.match(second.body.toString(), /already been used/);
    assert.deepEqual(problems, []);
  });
});
