/**
 * First run in Chromium against `homegate serve` on an empty data directory: the Sessions page shows the setup
 * checklist; each step is followed as a person would (a host added and tested, "only at home", the Android CA file,
 * the first .rdp file) until all four say Done; the progress survives a reload and lives in settings.json; hiding
 * the checklist leaves the plain Sessions page. The /connect QR code is decoded by jsQR from the rendered pixels. Screenshots at 1280x800 and 390x844, axe at both.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { hostname } from 'node:os';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import jsQRModule from 'jsqr';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { SETTINGS_FILE_NAME } from '../../main/config/settings-store.ts';
import { makeTempDir, skipUnlessTools, type HomegateServe, type TempDir } from '../e2e/harness/index.ts';
import {
  SCREENSHOTS,
  assertNoHorizontalOverflow,
  seriousAxeViolations,
  startAdminBrowser,
  type AdminBrowser,
} from './support.ts';

const skip = skipUnlessTools(['chromium']);
/** jsqr is CommonJS whose typings say `export default`: the function is the module and its `default` alike. */
const jsQR = jsQRModule.default;
const PASSWORD = 'an onboarding test password';
const TIMEOUT_MS = 120_000;

describe('first-run onboarding in the web admin', { skip, timeout: TIMEOUT_MS }, () => {
  let data: TempDir;
  let downloads: TempDir;
  let serve: HomegateServe;
  let pc: Server;
  let admin: AdminBrowser;
  let page: Page;
  const problems: string[] = [];

  const shot = async (name: string): Promise<void> => {
    await page.waitForTimeout(250);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  };
  const step = (title: string) =>
    page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: title }) });
  const axe = async (where: string): Promise<void> =>
    assert.deepEqual(await seriousAxeViolations(page), [], `axe: ${where}`);

  before(async () => {
    downloads = await makeTempDir('onboarding-downloads');
    // The PC to allow: something that accepts TCP on loopback, as a host test dials it.
    pc = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => pc.listen(0, '127.0.0.1', resolve));
    admin = await startAdminBrowser({
      name: 'onboarding',
      password: PASSWORD,
      viewport: { width: 1280, height: 800 },
      actionTimeoutMs: 15_000,
      problems,
    });
    ({ data, serve, page } = admin);
  });

  after(async () => {
    await admin?.close();
    pc?.close();
    await downloads?.remove();
  });

  test('from an empty data directory to an exported .rdp file, every step saying Done', async () => {
    await page.goto(`https://127.0.0.1:${serve.port}/admin/`);
    await page.getByLabel('Admin password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sessions' }).waitFor();
    await page.getByRole('heading', { name: 'Get connected from anywhere' }).waitFor();
    await page.getByText('0 of 4 steps done').waitFor();
    await shot('onboarding-01-first-run');
    await axe('first run');

    // 1. Allow a PC: through the Hosts view's dialog, then back to the checklist, and Test it.
    await step('Allow a PC').getByRole('button', { name: 'Add another host' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a host' });
    await dialog.getByLabel('Name', { exact: true }).fill('desk');
    await dialog.getByLabel('Address', { exact: true }).fill('127.0.0.1');
    await dialog.getByLabel('Port', { exact: true }).fill(String((pc.address() as AddressInfo).port));
    await dialog.getByRole('button', { name: 'Add host' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.evaluate("window.location.hash = '#setup'");
    await page.getByRole('heading', { level: 1, name: 'Get started' }).waitFor();
    await step('Allow a PC').getByText('Done', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Test desk' }).click();
    await page.getByText(/^Answers \(/).waitFor();

    // 2. How clients reach you: no public name yet, so the file will work at home only, and the page says so.
    await step('Connect').getByText('will work only inside your home network').waitFor();
    await step('How clients reach you').getByRole('button', { name: 'Only at home for now' }).click();
    await step('How clients reach you').getByText('Done', { exact: true }).waitFor();

    // 3. Trust the certificate: Android's file is the CA in DER.
    const trust = step('Trust the certificate');
    await trust.getByLabel('Android').check();
    const [caDownload] = await Promise.all([
      page.waitForEvent('download'),
      trust.getByRole('button', { name: 'Download homegate-ca-android.crt' }).click(),
    ]);
    assert.equal(caDownload.suggestedFilename(), 'homegate-ca-android.crt');
    const caFile = join(downloads.path, 'ca.crt');
    await caDownload.saveAs(caFile);
    const servedCa = await readFile(join(data.path, 'tls', 'ca.pem'), 'utf8');
    assert.deepEqual(await readFile(caFile), Buffer.from(new X509Certificate(servedCa).raw));
    await trust.getByRole('button', { name: 'My devices trust it' }).click();
    await trust.getByText('Done', { exact: true }).waitFor();

    // 4. Connect: the first file.
    const [rdpDownload] = await Promise.all([
      page.waitForEvent('download'),
      step('Connect').getByRole('button', { name: 'Download desk.rdp' }).click(),
    ]);
    assert.equal(rdpDownload.suggestedFilename(), 'desk.rdp');
    const rdpFile = join(downloads.path, 'desk.rdp');
    await rdpDownload.saveAs(rdpFile);
    const rdp = (await readFile(rdpFile)).subarray(2).toString('utf16le');
    assert.match(rdp, /^full address:s:desk\r$/m);
    assert.match(rdp, /^gatewayaccesstoken:s:\S+\r$/m);
    await page.getByText('4 of 4 steps done').waitFor();
    await shot('onboarding-02-all-done');

    // Phones: the QR code, read back from the rendered pixels by an independent decoder, is the /connect link.
    const expectedLink = `https://${hostname()}:${serve.port}/connect?host=desk`;
    const qr = page.getByRole('img', { name: `QR code of ${expectedLink}` });
    await qr.scrollIntoViewIfNeeded();
    const png = PNG.sync.read(await qr.screenshot());
    const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    assert.equal(decoded?.data, expectedLink);

    // FreeRDP: a command line with a fresh token, in the syntax the end-to-end tests run.
    await step('Connect').getByLabel('Connect from').selectOption({ label: 'FreeRDP' });
    await page.getByRole('button', { name: 'Make a FreeRDP command line for desk' }).click();
    const v2 = await page.getByLabel('FreeRDP 2 command', { exact: true }).innerText();
    const gateway = `${hostname()}:${serve.port}`;
    assert.match(v2, new RegExp(`^xfreerdp /v:desk /g:${gateway} /gt:http /gat:[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
    const v3 = await page.getByLabel('FreeRDP 3 command', { exact: true }).innerText();
    assert.match(v3, new RegExp(`^xfreerdp3 /v:desk /gateway:g:${gateway},type:http,access-token:\\S+$`));
    await shot('onboarding-04-connect-from');
    await axe('all done');

    await page.setViewportSize({ width: 390, height: 844 });
    await assertNoHorizontalOverflow(page, 'setup at 390');
    await axe('setup at 390');
    await shot('onboarding-03-phone');
    await page.setViewportSize({ width: 1280, height: 800 });

    // Saved: a reload shows the same, and settings.json holds it.
    await page.reload();
    await page.getByText('4 of 4 steps done').waitFor();
    const settings = JSON.parse(await readFile(join(data.path, SETTINGS_FILE_NAME), 'utf8')) as {
      onboarding: { completedSteps: string[]; finished: boolean };
    };
    assert.deepEqual(settings.onboarding, { completedSteps: ['reach', 'trust', 'connect'], finished: false });

    // Hidden, the Sessions page is the plain one again, and stays so after a reload.
    await page.getByRole('button', { name: 'Done: hide the checklist' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sessions' }).waitFor();
    await page.getByRole('heading', { name: 'Get connected from anywhere' }).waitFor({ state: 'detached' });
    await page.reload();
    await page.getByText('No one is connected').waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Get connected from anywhere' }).count(), 0);

    // Settings opens it again.
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Open the setup checklist' }).click();
    await page.getByRole('heading', { level: 1, name: 'Get started' }).waitFor();
    await page.getByText('4 of 4 steps done').waitFor();
    assert.deepEqual(problems, []);
  });
});
