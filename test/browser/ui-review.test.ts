/**
 * The web admin page as a person uses it, in Debian's Chromium against one real `homegate serve` (issue 16): hosts
 * validated by the shared rules, a phone-width layout, no work lost silently, keyboard focus, certificate import
 * errors in plain words, sessions that name their token, an audit log for people, the small ones, and an error
 * boundary. Real tunnels (the test's own MS-TSGU client to a loopback echo server) make sessions and audit records.
 * axe-core checks every view at both sizes. Screenshots at 1280x800 and 390x844 go to test-artifacts/screenshots/.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  allowHost,
  homegate,
  homegateOk,
  readAuditLog,
  skipUnlessTools,
  type HomegateServe,
  type TempDir,
} from '../e2e/harness/index.ts';
import { TargetServer } from '../helpers/targets.ts';
import { openTunnel, type TsguClient } from '../helpers/tsgu-client.ts';
import {
  SCREENSHOTS,
  assertNoHorizontalOverflow,
  seriousAxeViolations,
  startAdminBrowser,
  watchPage,
  type AdminBrowser,
} from './support.ts';

const skip = skipUnlessTools(['chromium']);

const PASSWORD = 'the review password';
const STEP_TIMEOUT_MS = 90_000;
const UI_TIMEOUT_MS = 15_000;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const VIEWS = ['Sessions', 'Hosts', 'Access', 'Export', 'Certificates', 'Settings', 'Audit log'] as const;
const DEVICE = 'Sam’s iPad';
const CLI_LABEL = 'cli laptop';

describe('the web admin page, reviewed as a user would use it', { skip, timeout: 20 * STEP_TIMEOUT_MS }, () => {
  let admin: AdminBrowser;
  let data: TempDir;
  let target: TargetServer;
  let serve: HomegateServe | undefined;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let adminUrl: string;
  let deviceToken = '';
  let cliToken = '';
  const tunnels: TsguClient[] = [];
  const problems: string[] = [];
  /** Console errors a step provokes on purpose (the error boundary's), not counted as problems. */
  let expectedErrors: RegExp | undefined;

  // Before login the page asks for its session (401); wrong passwords are refused (401, then 429); the broken
  // certificates are refused (400); the last step stops the gateway (connection refused).
  const expectedConsoleError = (text: string): boolean =>
    /status of 40[013]|status of 429|ERR_CONNECTION_REFUSED/.test(text) || (expectedErrors?.test(text) ?? false);
  const watch = (watched: Page): void => watchPage(watched, problems, expectedConsoleError);

  /** Polls (bounded) until `check` holds; the page's CSP forbids the string predicates of waitForFunction. */
  const until = async (check: () => Promise<boolean>, what: string, tries = 100): Promise<void> => {
    for (let i = 0; i < tries; i += 1) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail(`timed out waiting for ${what}`);
  };

  const shot = async (on: Page, name: string): Promise<void> => {
    await on.waitForTimeout(200);
    await on.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  };

  const heading = (on: Page, name: string) => on.getByRole('heading', { level: 1, name, exact: true });

  const clearNotices = async (on: Page): Promise<void> => {
    const dismiss = on.getByRole('button', { name: 'Dismiss' });
    for (let i = 0; i < 10 && (await dismiss.count()) > 0; i += 1) await dismiss.first().click();
  };

  /** Goes to a section the way a person does: the sidebar, or on a phone the Menu first. */
  const nav = async (on: Page, name: string): Promise<void> => {
    await clearNotices(on);
    const menu = on.getByRole('button', { name: 'Menu' });
    if (await menu.isVisible()) {
      if ((await menu.getAttribute('aria-expanded')) !== 'true') await menu.click();
    }
    // The Sessions link also carries its live count ("Sessions 1 live").
    const link = on.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: new RegExp(`^${name}`) });
    await link.click();
  };

  const signIn = async (on: Page): Promise<void> => {
    await on.getByRole('heading', { name: 'Sign in to Homegate' }).waitFor();
    await on.getByLabel('Admin password').fill(PASSWORD);
    await on.getByRole('button', { name: 'Sign in' }).click();
  };

  const focusedName = (on: Page): Promise<string> =>
    on.evaluate<string>(`(() => {
      const element = document.activeElement;
      if (!element || element === document.body) return 'body';
      return element.getAttribute('aria-label') ?? (element.id || element.textContent?.trim() || element.tagName);
    })()`);

  /** The text of the elements an element's aria-describedby names (in-page code as text: no DOM typings here). */
  const describedText = (on: Page, elementId: string): Promise<string> =>
    on.evaluate<string>(`(() => {
      const element = document.getElementById(${JSON.stringify(elementId)});
      const ids = (element?.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
      return ids.map((ref) => document.getElementById(ref)?.textContent ?? '<missing #' + ref + '>').join(' | ');
    })()`);

  const tunnel = async (token: string): Promise<TsguClient> => {
    if (!serve) throw new Error('the gateway is not running');
    const client = await openTunnel({ host: '127.0.0.1', port: serve.port, timeoutMs: 10_000 }, token, {
      name: 'echo',
      port: target.port,
    });
    tunnels.push(client);
    return client;
  };

  const settingsFile = async (): Promise<Record<string, unknown>> =>
    JSON.parse(await readFile(join(data.path, 'settings.json'), 'utf8')) as Record<string, unknown>;

  before(async () => {
    target = await TargetServer.start({ mode: 'echo' });
    admin = await startAdminBrowser({
      name: 'ui-review',
      password: PASSWORD,
      viewport: DESKTOP,
      actionTimeoutMs: UI_TIMEOUT_MS,
      problems,
      expectedConsoleError,
    });
    ({ data, serve, adminUrl, browser, context, page } = admin);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(adminUrl).origin });
  });

  after(async () => {
    for (const client of tunnels) client.destroy();
    await admin?.close();
    await target?.close();
  });

  test('"Go to Hosts" opens Add a host; HOST:PORT saved with Enter splits into address and port', async () => {
    await page.goto(adminUrl);
    await signIn(page);
    await heading(page, 'Sessions').waitFor();
    await nav(page, 'Export');
    await page.getByText('Add a host first').waitFor();
    await page.getByRole('button', { name: 'Go to Hosts' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a host' });
    await dialog.waitFor();
    await heading(page, 'Hosts').waitFor();
    await dialog.getByLabel('Name', { exact: true }).fill('office');
    await dialog.getByLabel('Address', { exact: true }).fill('192.168.1.30:3390');
    await dialog.getByLabel('Address', { exact: true }).press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await page.locator('tr[data-host="office"]').getByText('192.168.1.30:3390').waitFor();
    const hosts = (await settingsFile()).hosts as { name: string; address: string; port: number }[];
    assert.deepEqual(
      hosts.map((host) => [host.name, host.address, host.port]),
      [['office', '192.168.1.30', 3390]],
    );
  });

  test('refuses bad addresses and ports with the reason, on the field, focused and described', async () => {
    const addButton = page.getByRole('button', { name: 'Add host' });
    await addButton.click();
    const dialog = page.getByRole('dialog', { name: 'Add a host' });
    const name = dialog.getByLabel('Name', { exact: true });
    const address = dialog.getByLabel('Address', { exact: true });
    const addressId = (await address.getAttribute('id')) ?? '';
    const described = (): Promise<string> => describedText(page, addressId);
    assert.match(await described(), /host name or IP address, as the gateway machine sees it/);
    await name.fill('bad');
    const cases: [string, RegExp][] = [
      ['192.168.1.20:99999', /after the colon: use a port from 1 to 65535/],
      ['300.1.1.1', /not a valid IPv4 address/],
      ['[fe80::1%eth0]:3389', /zone/],
      ['[192.168.1.30:3390]', /no port here/],
      ['[192.168.1.30]', /brackets are only for IPv6/],
    ];
    for (const [text, reason] of cases) {
      await address.fill(text);
      await name.focus();
      await dialog.getByRole('button', { name: 'Add host' }).click();
      await dialog.getByText(reason).waitFor();
      assert.equal(await focusedName(page), await address.getAttribute('id'), `focus on Address after ${text}`);
      assert.equal(await address.getAttribute('aria-invalid'), 'true');
      assert.match(await described(), reason, 'the error, not the hidden hint, describes the field');
    }
    await shot(page, 'desktop-hosts-invalid-address');
    await name.fill('loopback6');
    await address.fill('[::1]:3391');
    await dialog.getByRole('button', { name: 'Add host' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('tr[data-host="loopback6"]').getByText('[::1]:3391').waitFor();
    assert.equal(await focusedName(page), 'Add host', 'focus back on the button that opened the dialog');

    // The command line takes the same rules.
    for (const bad of ['300.1.1.1', '192.168.1.20:99999', '[192.168.1.30:3390]:3389']) {
      const result = await homegate(data.path, ['hosts', 'add', '--name', 'cli-bad', '--address', bad]);
      assert.equal(result.code, 2, `${bad}: ${result.stderr}`);
    }
    await allowHost(data.path, 'echo', target.port);
    // The running gateway took the host at once; the list shows it the next time the view opens.
    await nav(page, 'Sessions');
    await nav(page, 'Hosts');
    await page.locator('tr[data-host="echo"]').waitFor();
  });

  test('focus returns to the opener after every dialog, or to the view when its row is gone', async () => {
    await nav(page, 'Hosts');
    const add = page.getByRole('button', { name: 'Add host' });
    await add.click();
    await page.getByRole('dialog', { name: 'Add a host' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    assert.equal(await focusedName(page), 'Add host', 'after Escape');
    await add.click();
    await page.getByRole('dialog', { name: 'Add a host' }).getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await focusedName(page), 'Add host', 'after Cancel');

    await page.getByRole('button', { name: 'Edit office' }).click();
    await page.getByRole('dialog', { name: 'Edit office' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    assert.equal(await focusedName(page), 'Edit office');

    await page.getByRole('button', { name: 'Remove loopback6' }).click();
    await page.getByRole('dialog', { name: 'Remove loopback6?' }).getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await focusedName(page), 'Remove loopback6');
    await page.getByRole('button', { name: 'Remove loopback6' }).click();
    await page.getByRole('dialog', { name: 'Remove loopback6?' }).getByRole('button', { name: 'Remove host' }).click();
    await page.locator('tr[data-host="loopback6"]').waitFor({ state: 'detached' });
    assert.equal(await focusedName(page), 'main', 'the removed row’s button is gone: focus goes to the view');

    await nav(page, 'Access');
    await page.getByRole('button', { name: 'Issue token' }).click();
    await page.getByRole('dialog', { name: 'Issue a token' }).getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await focusedName(page), 'Issue token');

    await nav(page, 'Certificates');
    await page.getByRole('button', { name: 'Regenerate' }).click();
    await page.getByRole('dialog', { name: 'Issue a new certificate?' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    assert.equal(await focusedName(page), 'Regenerate');
  });

  test('the one-time token is not closed away by Escape: the dialog asks first', async () => {
    await nav(page, 'Access');
    await page.getByRole('button', { name: 'Issue token' }).click();
    const form = page.getByRole('dialog', { name: 'Issue a token' });
    await form.getByLabel('Host').selectOption('echo');
    await form.getByLabel(/^Label/).fill('escape test');
    await form.getByRole('button', { name: 'Issue token' }).click();
    const issued = page.getByRole('dialog', { name: 'Token issued' });
    await issued.getByLabel('Token', { exact: true }).waitFor();
    await page.keyboard.press('Escape');
    await issued.getByText('The token has not been copied.').waitFor();
    assert.ok(await issued.isVisible(), 'still open after Escape');
    await shot(page, 'desktop-access-token-close-warning');
    await issued.getByRole('button', { name: 'Back to the token' }).click();
    await issued.getByText('The token has not been copied.').waitFor({ state: 'detached' });
    assert.equal(await focusedName(page), 'new-token-copy');
    await page.keyboard.press('Escape');
    await issued.getByRole('button', { name: 'Close without copying' }).click();
    await issued.waitFor({ state: 'detached' });
    assert.equal(await focusedName(page), 'Issue token');

    // A device token, copied first: then Done closes at once.
    await page.getByRole('button', { name: 'Issue token' }).click();
    await form.getByLabel('Per-device token').check();
    await form.getByLabel('Host').selectOption('echo');
    await form.getByLabel('Device', { exact: true }).fill(DEVICE);
    await form.getByRole('button', { name: 'Issue token' }).click();
    deviceToken = await issued.getByLabel('Token', { exact: true }).inputValue();
    await issued.getByRole('button', { name: 'Copy token' }).click();
    await issued.getByRole('button', { name: 'Copied' }).waitFor();
    await issued.getByRole('button', { name: 'Done' }).click();
    await issued.waitFor({ state: 'detached' });
    assert.equal(await focusedName(page), 'Issue token');
  });

  test('Settings: plain digits only; leaving with unsaved edits asks; an expired session keeps edit and view', async () => {
    await nav(page, 'Settings');
    await heading(page, 'Settings').waitFor();
    const idle = page.getByLabel('Idle timeout');
    const longest = page.getByLabel('Longest session');
    for (const text of ['1e3', '0x10', '+5', '2.5']) {
      await idle.fill(text);
      await page.getByText(/use 0 \(never\) to 10,080 minutes \(a week\), in whole minutes/).waitFor();
    }
    await longest.fill('0x10');
    await longest.focus();
    await page.getByRole('button', { name: 'Save changes' }).click();
    assert.equal(await focusedName(page), await idle.getAttribute('id'), 'the first invalid field gets focus');
    await idle.fill('45');
    await longest.fill('600');
    await page.getByText('Unsaved changes').waitFor();

    const hostsLink = page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Hosts' });
    await hostsLink.click();
    const leave = page.getByRole('dialog', { name: 'Leave without saving?' });
    await leave.waitFor();
    await shot(page, 'desktop-settings-leave-guard');
    await leave.getByRole('button', { name: 'Stay and keep editing' }).click();
    await leave.waitFor({ state: 'detached' });
    await heading(page, 'Settings').waitFor();
    assert.equal(new URL(page.url()).hash, '#settings');
    assert.equal(await idle.inputValue(), '45');
    assert.equal(await focusedName(page), 'Hosts');

    // The session ends behind the page's back; Save finds out, the user signs in again and carries on.
    await context.clearCookies();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('You are signed out. Sign in again to continue.').waitFor();
    await signIn(page);
    await heading(page, 'Settings').waitFor();
    assert.equal(new URL(page.url()).hash, '#settings');
    await page.getByText('Your unsaved changes were kept').waitFor();
    assert.equal(await page.getByLabel('Idle timeout').inputValue(), '45');
    assert.equal(await page.getByLabel('Longest session').inputValue(), '600');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Settings saved.').waitFor();
    const saved = (await settingsFile()).lifecycle as { idleTimeoutMinutes: number; maxSessionMinutes: number };
    assert.equal(saved.idleTimeoutMinutes, 45);
    assert.equal(saved.maxSessionMinutes, 600);

    await page.getByLabel('Idle timeout').fill('46');
    await nav(page, 'Hosts');
    await leave.getByRole('button', { name: 'Discard changes' }).click();
    await heading(page, 'Hosts').waitFor();
    await nav(page, 'Settings');
    assert.equal(await page.getByLabel('Idle timeout').inputValue(), '45', 'discarded means gone');
  });

  test('certificate import errors sit next to their field, in plain words, and go when the format changes', async () => {
    await nav(page, 'Certificates');
    const form = page.getByRole('form', { name: 'Import a certificate' });
    const chain = form.getByLabel('Certificate chain');
    await chain.fill('-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----');
    await form.getByLabel('Private key').fill('-----BEGIN PRIVATE KEY-----\nnot really\n-----END PRIVATE KEY-----');
    await form.getByRole('button', { name: 'Import certificate' }).click();
    const chainField = form.locator('.field').filter({ has: page.getByText('Certificate chain', { exact: true }) });
    await chainField
      .locator('.field-error')
      .getByText(/not a certificate in PEM format/)
      .waitFor();
    const shown = await form.innerText();
    assert.doesNotMatch(shown, /ASN\.1|DER-encoded|cannot be parsed/, 'no jargon');
    assert.equal(await focusedName(page), await chain.getAttribute('id'));
    assert.match(await describedText(page, (await chain.getAttribute('id')) ?? ''), /not a certificate in PEM format/);
    await shot(page, 'desktop-certificates-import-error');

    await form.getByText('PKCS#12 (.pfx)').click();
    assert.equal(await form.locator('.field-error').count(), 0, 'the PEM error went with the PEM fields');
    await form.locator('input[type="file"]').setInputFiles({
      name: 'broken.pfx',
      mimeType: 'application/x-pkcs12',
      buffer: Buffer.from('this is not a PKCS#12 file at all'),
    });
    await form.getByText('broken.pfx').waitFor();
    await form.getByRole('button', { name: 'Import certificate' }).click();
    await form
      .locator('#pfx-error')
      .getByText(/not a PKCS#12 \(\.pfx or \.p12\) file/)
      .waitFor();
    await form.getByText('PEM certificate and key').click();
    assert.equal(await form.locator('.field-error').count(), 0, 'a PFX error does not stay under the PEM form');
  });

  test('sessions name their token; Disconnect and revoke keeps the client out; CLI tokens are listed', async () => {
    assert.ok(deviceToken.length > 0);
    const client = await tunnel(deviceToken);
    await nav(page, 'Sessions');
    const row = page.locator('tr[data-session-id]').filter({ hasText: DEVICE });
    await row.getByText('Device token').waitFor();
    await shot(page, 'desktop-sessions-token');
    await row.getByRole('button', { name: /^Disconnect/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Disconnect this session?' });
    await dialog.getByText(`the token “${DEVICE}”`).first().waitFor();
    await dialog.getByRole('button', { name: 'Disconnect and revoke' }).click();
    await dialog.waitFor({ state: 'detached' });
    await client.waitClosed(10_000);
    await row.waitFor({ state: 'detached' });
    assert.equal(await focusedName(page), 'main');
    await assert.rejects(tunnel(deviceToken), 'a revoked token opens nothing');
    await nav(page, 'Access');
    await page.locator('tr').filter({ hasText: DEVICE }).getByText('revoked', { exact: true }).waitFor();

    // Minted on the command line while the gateway runs: listed with the UI's, and named in Sessions.
    cliToken = (await homegateOk(data.path, ['token', 'paa', '--host', 'echo', '--label', CLI_LABEL])).trim();
    await nav(page, 'Sessions');
    await nav(page, 'Access');
    const cliRow = page.locator('tr[data-jti]').filter({ hasText: CLI_LABEL });
    await cliRow.getByText('active', { exact: true }).waitFor();
    await cliRow.getByText('Short-lived').waitFor();
    const second = await tunnel(cliToken);
    await nav(page, 'Sessions');
    const cliSession = page.locator('tr[data-session-id]').filter({ hasText: CLI_LABEL });
    await cliSession.getByText('Short-lived token').waitFor();
    await cliSession.getByRole('button', { name: /^Disconnect/ }).click();
    await dialog.getByRole('button', { name: 'Disconnect', exact: true }).click();
    await second.waitClosed(10_000);
    const issued = JSON.parse(await readFile(join(data.path, 'issued-tokens.json'), 'utf8')) as {
      tokens: { label?: string; revokedAt?: string }[];
    };
    const cliEntry = issued.tokens.find((token) => token.label === CLI_LABEL);
    assert.ok(cliEntry && cliEntry.revokedAt === undefined, 'plain Disconnect leaves the token valid');
  });

  test('the audit log reads as sentences, searches, filters by type and date, pages past 200, exports', async () => {
    // Enough real events for more than one page: tunnels in, tunnels out.
    for (let batch = 0; batch < 11; batch += 1) {
      const clients = await Promise.all(Array.from({ length: 10 }, () => tunnel(cliToken)));
      await Promise.all(clients.map((client) => client.close()));
    }
    for (let i = 0; i < 100 && (await readAuditLog(data.path)).length < 230; i += 1) await page.waitForTimeout(100);
    const total = (await readAuditLog(data.path)).length;
    assert.ok(total >= 230, `${total} records`);

    await nav(page, 'Audit log');
    const rows = page.locator('.table-audit tbody tr');
    await rows.first().waitFor();
    await page.getByText(`connected to echo with “${CLI_LABEL}”`).first().waitFor();
    await page
      .getByText(/left echo after \d+ s: the client closed the connection\. Sent \d+ B, received \d+ B\./)
      .first()
      .waitFor();
    assert.equal(await rows.count(), 200);
    await shot(page, 'desktop-audit');
    const older = page.getByRole('button', { name: 'Show older events' });
    for (let i = 0; i < 10 && (await older.isVisible()); i += 1) {
      const before = await rows.count();
      await older.click();
      await until(async () => (await rows.count()) > before, 'older rows');
    }
    await page.getByText(/events, back to the start of the log/).waitFor();
    assert.ok((await rows.count()) >= total - 5, `${await rows.count()} of ${total} rows`);

    const raw = rows.first().getByRole('button', { name: /raw line/ });
    await raw.click();
    const line = await rows.first().locator('pre').innerText();
    assert.equal((JSON.parse(line) as { event: string }).event, await rows.first().getAttribute('data-event'));
    assert.equal(await raw.getAttribute('aria-expanded'), 'true');

    await page.getByLabel('Search').fill('sam’s');
    await page.getByText(/^\d+ events?, back to the start of the log/).waitFor();
    await until(async () => (await rows.count()) < 20, 'the search to narrow the rows');
    for (const text of await rows.allInnerTexts()) assert.match(text, /Sam’s iPad/);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('Event type').selectOption({ label: 'Host added' });
    await page.getByText('Added office at 192.168.1.30:3390').waitFor();
    for (const text of await rows.allInnerTexts()) assert.match(text, /Host added/);
    const tomorrow = new Date(Date.now() + 86_400_000);
    const day = `${tomorrow.getFullYear()}-${String(tomorrow.getMonth() + 1).padStart(2, '0')}-${String(tomorrow.getDate()).padStart(2, '0')}`;
    await page.getByLabel('From').fill(day);
    await page.getByText('Nothing matches').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await rows.nth(199).waitFor();

    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    assert.match(csv.suggestedFilename(), /^homegate-audit-\d{4}-\d{2}-\d{2}\.csv$/);
    const csvText = await readFile(await csv.path(), 'utf8');
    const csvLines = csvText.split('\r\n').filter((l) => l !== '');
    assert.equal(csvLines[0], 'time,event,what happened,host,client,token,raw');
    const [json] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export JSON' }).click(),
    ]);
    const records = JSON.parse(await readFile(await json.path(), 'utf8')) as unknown[];
    assert.ok(records.length >= total, `${records.length} exported of ${total}`);
    assert.ok(csvLines.length - 1 >= total);
  });

  test('Export: the Download button is in view at 1280x800, and times are to the minute', async () => {
    await nav(page, 'Export');
    const download = page.getByRole('button', { name: 'Download .rdp file' });
    const box = await download.boundingBox();
    assert.ok(box && box.y + box.height <= DESKTOP.height, `the button is at ${JSON.stringify(box)}`);
    await shot(page, 'desktop-export');
    const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
    assert.equal(file.suggestedFilename(), 'echo.rdp');
    const saved = await page.getByText(/Its token works until about/).innerText();
    assert.match(saved, /until about \d{1,2}:\d{2}( ?[AP]M)?;/, saved);
  });

  test('a render error shows a recoverable message, not a blank window', async () => {
    expectedErrors =
      /a view failed to render|host\.includes is not a function|The above error occurred|Cannot read|not a function/;
    // A gateway answering nonsense: an address that is not text makes the Hosts view throw while rendering.
    await page.route('**/admin/api/call/hosts.list', (route) =>
      route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({ result: [{ name: 'x', address: 5, port: 1 }] }),
      }),
    );
    await nav(page, 'Sessions');
    await nav(page, 'Hosts');
    const boundary = page.getByRole('alert').filter({ hasText: 'This page could not be shown' });
    await boundary.waitFor();
    await page.getByRole('navigation', { name: 'Sections' }).waitFor();
    await shot(page, 'desktop-error-boundary');
    await page.unroute('**/admin/api/call/hosts.list');
    // Try again fetches afresh (the gateway now answers sense) and renders the view again.
    await boundary.getByRole('button', { name: 'Try again' }).click();
    const row = page.locator('tr[data-host="office"]');
    await row.waitFor();
    expectedErrors = undefined;
  });

  test('every view: axe finds nothing serious or critical, light and dark, at 1280x800', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const view of VIEWS) {
        await nav(page, view);
        await heading(page, view).waitFor();
        await page
          .locator('.state [role="status"], .spinner')
          .first()
          .waitFor({ state: 'detached' })
          .catch(() => undefined);
        await page.waitForTimeout(150);
        assert.deepEqual(await seriousAxeViolations(page), [], `${view} (${scheme})`);
        await shot(page, `desktop-${scheme}-${view.toLowerCase().replace(/ /g, '-')}`);
      }
      await nav(page, 'Hosts');
      await page.getByRole('button', { name: 'Add host' }).click();
      await page.getByRole('dialog', { name: 'Add a host' }).waitFor();
      assert.deepEqual(await seriousAxeViolations(page), [], `Add a host (${scheme})`);
      await page.keyboard.press('Escape');
    }
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('at 390x844: no horizontal overflow, every row action in reach, labelled menu, one-line status bar', async () => {
    const phone = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: PHONE,
      colorScheme: 'light',
      hasTouch: true,
    });
    phone.setDefaultTimeout(UI_TIMEOUT_MS);
    try {
      const small = await phone.newPage();
      watch(small);
      await small.goto(adminUrl);
      await assertNoHorizontalOverflow(small, 'login');
      assert.deepEqual(await seriousAxeViolations(small), [], 'login at 390');
      await shot(small, 'phone-login');
      await signIn(small);
      await heading(small, 'Sessions').waitFor();
      const live = await tunnel(cliToken);

      const bar = small.getByRole('contentinfo', { name: 'Gateway status' });
      const barBox = await bar.boundingBox();
      assert.ok(barBox && barBox.height <= 52, `status bar ${JSON.stringify(barBox)}`);
      const tops = await small.evaluate<
        number[]
      >(`[...document.querySelectorAll('.statusbar .status-item, .statusbar .switch')]
        .filter((item) => item.getBoundingClientRect().width > 0)
        .map((item) => Math.round(item.getBoundingClientRect().top + item.getBoundingClientRect().height / 2))`);
      assert.ok(Math.max(...tops) - Math.min(...tops) <= 4, `one line: ${JSON.stringify(tops)}`);

      const menu = small.getByRole('button', { name: 'Menu' });
      await menu.click();
      assert.equal(await menu.getAttribute('aria-expanded'), 'true');
      for (const view of VIEWS) {
        const link = small
          .getByRole('navigation', { name: 'Sections' })
          .getByRole('link', { name: new RegExp(`^${view}`) });
        assert.ok(await link.isVisible(), `${view} in the menu`);
        assert.equal(
          (await link.innerText()).replace(/\s*\d+$/, '').trim(),
          view,
          'the label is shown, not only an icon',
        );
      }
      await shot(small, 'phone-menu');
      await small.keyboard.press('Escape');
      assert.equal(await menu.getAttribute('aria-expanded'), 'false');

      for (const view of VIEWS) {
        await nav(small, view);
        await heading(small, view).waitFor();
        await small
          .locator('.spinner')
          .first()
          .waitFor({ state: 'detached' })
          .catch(() => undefined);
        if (view === 'Sessions') await small.locator('tr[data-session-id]').first().waitFor();
        if (view === 'Hosts') await small.locator('tr[data-host]').first().waitFor();
        if (view === 'Access') await small.locator('tr[data-jti]').first().waitFor();
        if (view === 'Audit log') await small.locator('.table-audit tbody tr').first().waitFor();
        await assertNoHorizontalOverflow(small, view);
        const actions = small.locator('tbody tr .actions button');
        const count = Math.min(await actions.count(), 12);
        for (let i = 0; i < count; i += 1) {
          const action = actions.nth(i);
          await action.scrollIntoViewIfNeeded();
          assert.ok(await action.isVisible(), `${view}: action ${i} visible`);
          const box = await action.boundingBox();
          assert.ok(
            box && box.x >= 0 && box.x + box.width <= PHONE.width,
            `${view}: action ${i} at ${JSON.stringify(box)}`,
          );
        }
        if (view === 'Sessions' || view === 'Hosts' || view === 'Access')
          assert.ok(count > 0, `${view} has row actions`);
        await small.evaluate("document.querySelector('.main').scrollTo(0, 0)");
        assert.deepEqual(await seriousAxeViolations(small), [], `${view} at 390`);
        await shot(small, `phone-${view.toLowerCase().replace(/ /g, '-')}`);
      }
      await nav(small, 'Hosts');
      await small.getByRole('button', { name: 'Add host' }).click();
      await small.getByRole('dialog', { name: 'Add a host' }).waitFor();
      await assertNoHorizontalOverflow(small, 'Add a host');
      await shot(small, 'phone-hosts-add');
      await small.keyboard.press('Escape');
      live.destroy();
    } finally {
      await phone.close();
    }
  });

  test('too many wrong passwords: each wait is longer than the last and counts down, Sign in waits too', async () => {
    const fresh = await browser.newContext({ ignoreHTTPSErrors: true, viewport: DESKTOP });
    fresh.setDefaultTimeout(UI_TIMEOUT_MS);
    try {
      const door = await fresh.newPage();
      watch(door);
      await door.goto(adminUrl);
      await door.getByRole('heading', { name: 'Sign in to Homegate' }).waitFor();
      const password = door.getByLabel('Admin password');
      const signInButton = door.getByRole('button', { name: 'Sign in' });
      const notice = door.getByText(/Too many wrong passwords\. You can try again in \d+ s/);
      const waits: number[] = [];
      // The login is slowed progressively (1 s, 2 s, 4 s…): wrong passwords until a wait long enough to watch.
      for (let i = 0; i < 12 && (waits.at(-1) ?? 0) < 4; i += 1) {
        await until(() => signInButton.isEnabled(), 'the wait to end', 100);
        await password.fill(`wrong ${i}`);
        await signInButton.click();
        await until(async () => !(await door.getByRole('button', { name: 'Signing in…' }).isVisible()), 'the answer');
        if (await notice.isVisible()) waits.push(Number(/(\d+) s/.exec(await notice.innerText())?.[1]));
      }
      assert.ok(waits.length >= 2, `waits seen: ${waits.join(', ')}`);
      assert.ok(
        waits.every((wait, i) => i === 0 || wait === 2 * (waits[i - 1] ?? 0)),
        `each wait twice the one before: ${waits.join(', ')}`,
      );
      const first = await notice.innerText();
      assert.ok(await signInButton.isDisabled(), 'Sign in waits for the lockout to end');
      await until(async () => (await notice.innerText()) !== first, 'the countdown', 50);
      assert.notEqual(await notice.innerText(), first, 'the wait counts down');
      await shot(door, 'desktop-login-lockout');
    } finally {
      await fresh.close();
    }
  });

  test('while the gateway does not answer, views are marked stale and the status bar keeps its height', async () => {
    await nav(page, 'Hosts');
    await page.locator('tr[data-host="office"]').waitFor();
    const bar = page.getByRole('contentinfo', { name: 'Gateway status' });
    const before = await bar.boundingBox();
    await serve?.stop();
    serve = undefined;
    await page.getByText('Live updates lost — reconnecting…').waitFor();
    await page.getByText('Not up to date.').waitFor();
    const during = await bar.boundingBox();
    assert.equal(during?.height, before?.height, 'no reflow when the link indicator appears');
    assert.ok(await page.locator('tr[data-host="office"]').isVisible(), 'what was shown stays, marked');
    await shot(page, 'desktop-stale');
    assert.deepEqual(problems, [], 'no page errors and no CSP violations');
  });
});
