/**
 * The web admin page in a real browser (Debian's Chromium through playwright-core) against a real
 * `homegate serve`, with a real RDP client (xfreerdp) connected through the gateway to a real RDP server
 * (freerdp-shadow-cli): log in, add a host, issue and revoke a token, export an .rdp file and open it, watch the
 * session appear live, disconnect it from the page and see the client end. A screenshot of every view goes to
 * test-artifacts/screenshots/ (git-ignored) for a person to look at.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  SHADOW_SERVER_TOOLS,
  XFREERDP_AUTH_ONLY,
  XFREERDP_BASE_ARGS,
  XFREERDP_EXIT,
  XFREERDP_TOOLS,
  describeXfreerdpResult,
  makeTempDir,
  readAuditLog,
  runXfreerdp,
  skipUnlessTools,
  startShadowServer,
  startXfreerdp,
  type HomegateServe,
  type ShadowServerHandle,
  type TempDir,
  type XfreerdpClient,
} from '../e2e/harness/index.ts';
import { SCREENSHOTS, startAdminBrowser, type AdminBrowser } from './support.ts';

const skip = skipUnlessTools([...new Set(['chromium', ...SHADOW_SERVER_TOOLS, ...XFREERDP_TOOLS])]);

const PASSWORD = 'a browser test password';
const STEP_TIMEOUT_MS = 90_000;
const UI_TIMEOUT_MS = 15_000;
const CLIENT_TIMEOUT_MS = 30_000;

/** The claims of a JWT, unverified: the test only reads what the gateway put in. */
function jwtClaims(token: string): Record<string, unknown> {
  const parts = token.split('.');
  assert.equal(parts.length, 3, `not a JWT: ${token}`);
  return JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** An .rdp file's `name:type:value` lines as a map. */
function rdpSettings(text: string): Map<string, string> {
  const settings = new Map<string, string>();
  for (const line of text.split(/\r\n/)) {
    const match = /^([^:]+):([sib]):(.*)$/.exec(line);
    if (match) settings.set(match[1] ?? '', match[3] ?? '');
  }
  return settings;
}

describe('the web admin page in Chromium, against homegate serve', { skip, timeout: 8 * STEP_TIMEOUT_MS }, () => {
  let data: TempDir;
  let downloads: TempDir;
  let shadow: ShadowServerHandle;
  let serve: HomegateServe;
  let admin: AdminBrowser;
  let page: Page;
  let adminUrl: string;
  let rdpFile: string;
  const problems: string[] = [];
  const clients: XfreerdpClient[] = [];

  /** Dismisses the notices of earlier steps, as a person would, so each picture shows its own step. */
  const clearNotices = async (): Promise<void> => {
    const dismiss = page.getByRole('button', { name: 'Dismiss' });
    while ((await dismiss.count()) > 0) await dismiss.first().click();
  };

  const shot = async (name: string): Promise<void> => {
    // Let transitions and the notice animation settle so the picture shows the resting state.
    await page.waitForTimeout(250);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  };

  const nav = async (name: string): Promise<void> => {
    await clearNotices();
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name }).click();
  };

  const heading = (name: string) => page.getByRole('heading', { level: 1, name });

  before(async () => {
    downloads = await makeTempDir('browser-downloads');
    shadow = await startShadowServer();
    admin = await startAdminBrowser({
      name: 'browser',
      password: PASSWORD,
      viewport: { width: 1280, height: 800 },
      actionTimeoutMs: UI_TIMEOUT_MS,
      problems,
    });
    ({ data, serve, adminUrl, page } = admin);
  });

  after(async () => {
    for (const client of clients) await client.stop();
    await admin?.close();
    await shadow?.stop();
    await downloads?.remove();
  });

  test('signs in: a wrong password is refused, the right one opens the app', { timeout: STEP_TIMEOUT_MS }, async () => {
    await page.goto(adminUrl);
    await page.getByRole('heading', { name: 'Sign in to Homegate' }).waitFor();
    await shot('01-login');
    const password = page.getByLabel('Admin password');
    await password.fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That password is not right.').waitFor();
    await password.fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Sessions').waitFor();
    await page.getByText('No one is connected').waitFor();
    await page.getByText(`Listening on 127.0.0.1:${serve.port}`).waitFor();
    await shot('02-sessions-empty');
  });

  test(
    'adds a host, with inline validation, and tests that it is reachable',
    { timeout: STEP_TIMEOUT_MS },
    async () => {
      await nav('Hosts');
      await heading('Hosts').waitFor();
      await page.getByText('No hosts yet').waitFor();
      await page.getByRole('button', { name: 'Add host' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add a host' });
      await dialog.getByLabel('Name', { exact: true }).fill('shadow box');
      await dialog.getByLabel('Address', { exact: true }).fill(`127.0.0.1:${shadow.port}`);
      await dialog.getByLabel(/MAC address/).fill('not-a-mac');
      await dialog.getByLabel('Port', { exact: true }).focus();
      // The address typed with a port is split into address and port as the field is left.
      assert.equal(await dialog.getByLabel('Address', { exact: true }).inputValue(), '127.0.0.1');
      assert.equal(await dialog.getByLabel('Port', { exact: true }).inputValue(), String(shadow.port));
      await dialog.getByRole('button', { name: 'Add host' }).click();
      await dialog.getByText(/use 1 to 63 letters/).waitFor();
      await dialog.getByText('use six hex pairs such as 00:11:22:33:44:55').waitFor();
      await shot('03-hosts-validation');
      await dialog.getByLabel('Name', { exact: true }).fill('shadow');
      await dialog.getByLabel(/MAC address/).fill('');
      await dialog.getByRole('button', { name: 'Add host' }).click();
      await dialog.waitFor({ state: 'detached' });
      const row = page.locator('tr[data-host="shadow"]');
      await row.getByText(`127.0.0.1:${shadow.port}`).waitFor();
      await page.getByRole('button', { name: 'Test shadow' }).click();
      await row.getByText(/^Reachable/).waitFor();
      await shot('04-hosts');

      const settings = JSON.parse(await readFile(join(data.path, 'settings.json'), 'utf8')) as {
        hosts: { name: string; address: string; port: number }[];
      };
      assert.deepEqual(
        settings.hosts.map((h) => [h.name, h.address, h.port]),
        [['shadow', '127.0.0.1', shadow.port]],
      );
    },
  );

  test(
    'issues a token, shows it once, revokes it, and the gateway refuses it',
    { timeout: STEP_TIMEOUT_MS },
    async () => {
      await nav('Access');
      await heading('Access').waitFor();
      await page.getByText('No tokens issued yet').waitFor();
      await page.getByRole('button', { name: 'Issue token' }).click();
      const form = page.getByRole('dialog', { name: 'Issue a token' });
      await form.getByLabel('Per-device token').check();
      await form.getByRole('button', { name: 'Issue token' }).click();
      await form.getByText('name the device, in 64 characters at most').waitFor();
      await form.getByLabel('Short-lived token').check();
      await form.getByLabel('Host').selectOption('shadow');
      await form.getByLabel(/^Label/).fill('browser test');
      await shot('05-access-issue');
      await form.getByRole('button', { name: 'Issue token' }).click();
      const issued = page.getByRole('dialog', { name: 'Token issued' });
      const tokenBox = issued.getByLabel('Token', { exact: true });
      await tokenBox.waitFor();
      const token = await tokenBox.inputValue();
      const claims = jwtClaims(token);
      assert.equal(typeof claims.jti, 'string');
      await shot('06-access-new-token');
      // Not copied: closing asks first, since the token is shown only once.
      await issued.getByRole('button', { name: 'Done' }).click();
      await issued.getByRole('button', { name: 'Close without copying' }).click();
      await issued.waitFor({ state: 'detached' });
      const row = page.locator(`tr[data-jti="${String(claims.jti)}"]`);
      await row.getByText('active').waitFor();
      await row.getByText('browser test').waitFor();

      await row.getByRole('button', { name: /^Revoke/ }).click();
      const confirm = page.getByRole('dialog', { name: 'Revoke this token?' });
      await confirm.getByRole('button', { name: 'Revoke token' }).click();
      await confirm.waitFor({ state: 'detached' });
      await row.getByText('revoked', { exact: true }).waitFor();
      await shot('07-access');

      // Revoked means refused: the client is turned away at the gateway.
      const result = await runXfreerdp(
        [
          '/v:shadow:' + String(shadow.port),
          ...XFREERDP_BASE_ARGS,
          `/g:127.0.0.1:${serve.port}`,
          '/gt:http',
          `/gat:${token}`,
          XFREERDP_AUTH_ONLY,
        ],
        { timeoutMs: CLIENT_TIMEOUT_MS },
      );
      assert.notEqual(result.exitCode, XFREERDP_EXIT.SUCCESS, describeXfreerdpResult(result));
    },
  );

  test('saves settings: a public name for .rdp files', { timeout: STEP_TIMEOUT_MS }, async () => {
    await nav('Settings');
    await heading('Settings').waitFor();
    const names = page.getByLabel('Public names', { exact: true }).first();
    await names.fill('https://bad name');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByText(/not a host name or IP address/).waitFor();
    await names.fill('127.0.0.1');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByLabel('Idle timeout').fill('abc');
    await page.getByText('use 0 (never) to 10,080 minutes (a week)').waitFor();
    await page.getByLabel('Idle timeout').fill('120');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Settings saved.').waitFor();
    await page.getByText(`Clients use 127.0.0.1:${serve.port}`).waitFor();
    await shot('08-settings');
    const settings = JSON.parse(await readFile(join(data.path, 'settings.json'), 'utf8')) as {
      publicNames: string[];
      lifecycle: { idleTimeoutMinutes: number };
    };
    assert.deepEqual(settings.publicNames, ['127.0.0.1']);
    assert.equal(settings.lifecycle.idleTimeoutMinutes, 120);
  });

  test(
    'exports an .rdp file as a download: UTF-16LE, the gateway, the token',
    { timeout: STEP_TIMEOUT_MS },
    async () => {
      await nav('Export');
      await heading('Export').waitFor();
      const form = page.getByRole('form', { name: 'Export an .rdp file' });
      await form.getByLabel('Host').selectOption('shadow');
      await form.getByLabel('Window', { exact: true }).check();
      await form.getByLabel(/^User name/).fill('test');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        form.getByRole('button', { name: 'Download .rdp file' }).click(),
      ]);
      assert.equal(download.suggestedFilename(), 'shadow.rdp');
      rdpFile = join(downloads.path, 'shadow.rdp');
      await download.saveAs(rdpFile);
      await page.getByText(/Saved shadow\.rdp/).waitFor();
      await shot('09-export');

      const bytes = await readFile(rdpFile);
      assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xfe], 'a UTF-16LE byte order mark, as MSTSC writes');
      const settings = rdpSettings(bytes.subarray(2).toString('utf16le'));
      assert.equal(settings.get('full address'), 'shadow');
      assert.equal(settings.get('gatewayhostname'), `127.0.0.1:${serve.port}`);
      assert.equal(settings.get('gatewayusagemethod'), '1');
      assert.equal(settings.get('gatewaycredentialssource'), '5');
      assert.equal(settings.get('username'), 'test');
      const claims = jwtClaims(settings.get('gatewayaccesstoken') ?? '');
      assert.ok(JSON.stringify(claims).includes('shadow'), `the token names the host: ${JSON.stringify(claims)}`);
    },
  );

  test(
    'a client opens the file; its session appears live; Disconnect ends it and the client exits',
    { timeout: 2 * STEP_TIMEOUT_MS },
    async () => {
      await nav('Sessions');
      await heading('Sessions').waitFor();
      const client = await startXfreerdp([rdpFile, ...XFREERDP_BASE_ARGS]);
      clients.push(client);
      await client.waitForActive(CLIENT_TIMEOUT_MS);

      // No reload: the row arrives over the events WebSocket.
      const row = page.locator('tr[data-session-id]').filter({ hasText: 'shadow' });
      await row.waitFor();
      await row.getByText('WebSocket').waitFor();
      await row.getByText(`127.0.0.1:${shadow.port}`).waitFor();
      // Bytes flowed both ways and the counters are human-readable.
      await row
        .getByText(/\d+(\.\d+)? KB/)
        .first()
        .waitFor();
      const firstDuration = await row.getByLabel('Duration').textContent();
      await page.waitForTimeout(1500);
      assert.notEqual(await row.getByLabel('Duration').textContent(), firstDuration, 'the duration ticks');
      await page.getByText('1 live session').waitFor();
      await shot('10-sessions-live');

      await row.getByRole('button', { name: /^Disconnect/ }).click();
      const confirm = page.getByRole('dialog', { name: 'Disconnect this session?' });
      await shot('11-sessions-confirm');
      await confirm.getByRole('button', { name: 'Disconnect', exact: true }).click();
      const exit = await client.waitForExit(15_000);
      assert.equal(exit.exitCode, XFREERDP_EXIT.CONN_FAILED, describeXfreerdpResult(exit));
      await page.getByText('No one is connected').waitFor();
      await page.getByText('0 live sessions').waitFor();

      const audit = await readAuditLog(data.path);
      const end = audit.find((record) => record.event === 'tunnel.end' && record.host === 'shadow');
      assert.equal(end?.reason, 'admin-disconnect', JSON.stringify(end));
    },
  );

  test('pauses and resumes from the status bar', { timeout: STEP_TIMEOUT_MS }, async () => {
    const toggle = page.getByRole('switch', { name: 'Pause new connections' });
    await toggle.click();
    await page.getByText('Paused', { exact: true }).waitFor();
    assert.equal(await toggle.getAttribute('aria-checked'), 'true');
    await shot('12-paused');
    await toggle.click();
    await page.getByText('Accepting connections').waitFor();
  });

  test('shows the certificate and downloads the CA', { timeout: STEP_TIMEOUT_MS }, async () => {
    await nav('Certificates');
    await page.getByRole('heading', { name: 'Certificate in use' }).waitFor();
    await page.getByText(serve.fingerprint.slice(0, 11)).first().waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'CA certificate (.pem)' }).click(),
    ]);
    const pem = await readFile(await download.path(), 'utf8');
    assert.match(pem, /^-----BEGIN CERTIFICATE-----/);
    await shot('13-certificates');
  });

  test('lists what happened in the audit log, filtered by type', { timeout: STEP_TIMEOUT_MS }, async () => {
    await nav('Audit log');
    await heading('Audit log').waitFor();
    await page.locator('.table-audit tbody tr').first().waitFor();
    await shot('14-audit');
    await page.getByLabel('Event type').selectOption('host.added');
    const rows = page.locator('.table-audit tbody tr');
    await rows.first().getByText('Host added').waitFor();
    for (const text of await rows.allTextContents()) assert.match(text, /Host added/);
  });

  test('every view is labelled and reachable from the keyboard', { timeout: STEP_TIMEOUT_MS }, async () => {
    await nav('Sessions');
    await page
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('link', { name: /^Sessions/ })
      .focus();
    const expected = ['Hosts', 'Access', 'Export', 'Certificates', 'Settings', 'Audit log'];
    for (const name of expected) {
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      await heading(name).waitFor();
    }
    assert.equal(new URL(page.url()).hash, '#audit');
  });

  test('dark mode renders from the same stylesheet', { timeout: STEP_TIMEOUT_MS }, async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await nav('Hosts');
    await heading('Hosts').waitFor();
    await shot('15-hosts-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('signs out back to the login screen; the session is gone', { timeout: STEP_TIMEOUT_MS }, async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Homegate' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to Homegate' }).waitFor();
    const audit = await readAuditLog(data.path);
    assert.ok(audit.some((record) => record.event === 'admin.logout'));
    assert.deepEqual(problems, [], 'no page errors and no CSP violations');
  });
});
