/**
 * The desktop shell's real entry (main/index.ts → boot.ts, ipc.ts, the built preload, the renderer in IPC mode)
 * on the electron stand-in (README.md here), end to end with real programs: the tray exports an .rdp file, real
 * xfreerdp (FreeRDP 2.11) opens it through the app's gateway to a real RDP server (freerdp-shadow-cli under Xvfb),
 * the window (real Chromium) shows the live session and disconnects it; notifications, IPC sender checks,
 * navigation, window bounds across a restart, and Quit. Every test keeps a screenshot in test-artifacts/desktop/.
 */
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../main/logging/logger.ts';
import { openContext } from '../../main/service.ts';
import {
  SHADOW_SERVER_TOOLS,
  XFREERDP_AUTH_ONLY,
  XFREERDP_BASE_ARGS,
  XFREERDP_TOOLS,
  allowHost,
  describeXfreerdpResult,
  makeTempDir,
  pollUntil,
  readAuditLog,
  runXfreerdp,
  skipUnlessTools,
  startShadowServer,
  startXfreerdp,
  waitForAudit,
  xfreerdpTarget,
  type ShadowServerHandle,
  type TempDir,
} from '../e2e/harness/index.ts';
import { standIn } from './electron-stand-in/main-process.ts';
import { UI_TIMEOUT_MS, bootShell, screenshot, type ShellRun } from './shell.ts';

const skip = skipUnlessTools([...new Set(['chromium', ...SHADOW_SERVER_TOOLS, ...XFREERDP_TOOLS])]);
const CLIENT_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 90_000;

describe('the desktop shell on the electron stand-in', { skip, timeout: 6 * TEST_TIMEOUT_MS }, () => {
  let shadow: ShadowServerHandle;
  let data: TempDir;
  let run: ShellRun;
  const dirs = () => ({ dataDir: join(data.path, 'data'), userData: join(data.path, 'user'), saveDir: data.path });

  before(async () => {
    shadow = await startShadowServer();
    data = await makeTempDir('desktop');
    await allowHost(dirs().dataDir, 'shadow', shadow.port);
    // The name the exported file gives clients for the gateway.
    const context = await openContext(dirs().dataDir, silentLogger);
    try {
      await context.settings.update((settings) => ({ ...settings, publicNames: ['localhost'] }));
    } finally {
      context.settings.close();
    }
    run = await bootShell(dirs());
  });

  after(async () => {
    if (standIn.exitCode === undefined && standIn.tray) await quit();
    await standIn.close();
    await shadow?.stop();
    await data?.remove();
    assert.deepEqual(standIn.unmodelled, [], 'the shell called members the stand-in does not model');
  });

  async function quit(): Promise<number> {
    standIn.clickTray('Quit Homegate');
    return standIn.exited();
  }

  test(
    'boot: the tray lists the hosts; "Export RDP file for shadow…" writes a file',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      await run.page.getByRole('heading', { name: 'Sessions' }).waitFor({ timeout: UI_TIMEOUT_MS });
      const tray = standIn.tray;
      assert.ok(tray);
      assert.ok(tray.menu.some((item) => item.label === 'Export RDP file for shadow…'));
      assert.match(tray.toolTip, /^Homegate ready — Listening on 127\.0\.0\.1:\d+ · 0 live sessions$/);
      assert.match(tray.image, /out\/icons\/tray\/accepting\.png$/);
      assert.equal(standIn.sandboxEnabled, true);

      standIn.clickTray('Export RDP file for shadow…');
      const file = join(data.path, 'shadow.rdp');
      const info = await pollUntil(() => stat(file).catch(() => undefined), {
        timeoutMs: 10_000,
        intervalMs: 50,
        what: 'the exported file',
      });
      assert.equal(info.mode & 0o777, 0o600);
      const text = (await readFile(file)).toString('utf16le');
      assert.match(text, /gatewayhostname:s:localhost:\d+/);
      await screenshot(run.page, 'desktop-boot');
    },
  );

  test(
    'xfreerdp opens the exported file through the gateway; the window shows the session, disconnects it, the client ends',
    { timeout: TEST_TIMEOUT_MS },
    async (t) => {
      const client = await startXfreerdp([join(data.path, 'shadow.rdp'), ...XFREERDP_BASE_ARGS]);
      t.after(() => client.stop());
      await client.waitForActive(CLIENT_TIMEOUT_MS);
      const connect = await waitForAudit(dirs().dataDir, (r) => r.event === 'tunnel.connect' && r.host === 'shadow');
      const startedAt = performance.now();
      const row = run.page.getByRole('button', { name: /^Disconnect .* from shadow$/ });
      await row.waitFor({ timeout: UI_TIMEOUT_MS });
      console.log(
        `the window showed the live session ${Math.round(performance.now() - startedAt)} ms after its audit line`,
      );
      assert.match(standIn.tray?.image ?? '', /tray\/live\.png$/);
      assert.match(standIn.tray?.toolTip ?? '', /1 live session$/);

      const notice = standIn.notifications.find((n) => n.title.endsWith('connected to shadow'));
      assert.ok(notice, JSON.stringify(standIn.notifications));
      await screenshot(run.page, 'desktop-live-session');

      await row.click();
      await run.page.getByRole('dialog').getByRole('button', { name: 'Disconnect', exact: true }).click();
      const result = await client.waitForExit(CLIENT_TIMEOUT_MS);
      assert.notEqual(result.exitCode, 0, describeXfreerdpResult(result));
      const end = await waitForAudit(dirs().dataDir, (r) => r.event === 'tunnel.end' && r.session === connect.session);
      assert.equal(end.reason, 'admin-disconnect');
      await row.waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
      await screenshot(run.page, 'desktop-disconnected');

      // The connection's notification, clicked from another view, opens the window on the sessions.
      await run.page.getByRole('link', { name: 'Hosts' }).click();
      await run.page.getByRole('heading', { name: 'Hosts', level: 1 }).waitFor({ timeout: UI_TIMEOUT_MS });
      notice.click();
      await run.page.getByRole('heading', { name: 'Sessions', level: 1 }).waitFor({ timeout: UI_TIMEOUT_MS });
      assert.ok(run.page.url().endsWith('/index.html#sessions'), run.page.url());
      assert.deepEqual(run.window.pageErrors, []);
    },
  );

  test(
    'a refused token raises a notification with the reason; clicking it opens the audit log',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const result = await runXfreerdp(
        [
          xfreerdpTarget('127.0.0.1', shadow.port),
          ...XFREERDP_BASE_ARGS,
          `/g:127.0.0.1:${run.gatewayPort}`,
          '/gt:http',
          '/gat:not-a-token',
          XFREERDP_AUTH_ONLY,
        ],
        { timeoutMs: CLIENT_TIMEOUT_MS },
      );
      assert.notEqual(result.exitCode, 0, describeXfreerdpResult(result));
      const notice = await pollUntil(
        () => Promise.resolve(standIn.notifications.find((n) => n.title.startsWith('Connection refused'))),
        { timeoutMs: 10_000, intervalMs: 50, what: 'the refusal notification' },
      );
      assert.equal(notice.body, '127.0.0.1: The access token is not a token this gateway can read.');
      notice.click();
      await run.page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor({ timeout: UI_TIMEOUT_MS });
      await screenshot(run.page, 'desktop-refusal-audit');
    },
  );

  test(
    'IPC from another origin or a subframe is refused; navigating away and new windows are blocked',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const { page, window } = run;
      const call = "window.homegate['hosts.list'](undefined)";
      // A subframe of our own page (about:blank, so the page's CSP lets it exist) calling ipcRenderer directly, as a
      // compromised renderer could.
      await page.evaluate("document.body.append(document.createElement('iframe'))");
      const sub = page.frames().find((frame) => frame !== page.mainFrame());
      assert.ok(sub);
      const fromSub = await sub.evaluate(
        "__electronStandInBridge({ op: 'ipc-invoke', channel: 'homegate:call:hosts.list', args: [undefined] })",
      );
      assert.deepEqual(fromSub, { ok: true, value: { ok: false, error: { code: 'forbidden', message: 'forbidden' } } });
      // Our own main frame is answered.
      const own = await page.evaluate<{ ok: boolean }>(call);
      assert.equal(own.ok, true);

      // Navigation away from our page is blocked, and so is a new window (an https link goes to the OS browser).
      await page.evaluate("window.location.href = 'https://evil.example/'");
      await pollUntil(
        () => Promise.resolve(standIn.blockedNavigations.includes('https://evil.example/') || undefined),
        {
          timeoutMs: 10_000,
          intervalMs: 50,
          what: 'the blocked navigation',
        },
      );
      assert.ok(page.url().startsWith(standIn.chromiumUrl('homegate://app/')), page.url());
      await page.evaluate("void window.open('https://example.org/help')");
      await pollUntil(() => Promise.resolve(standIn.refusedPopups.includes('https://example.org/help') || undefined), {
        timeoutMs: 10_000,
        intervalMs: 50,
        what: 'the refused window',
      });
      await screenshot(page, 'desktop-navigation-blocked');

      // A foreign page in our window (loaded by main, so nothing blocked it) gets preload too, as in Electron, and is
      // refused by main for its URL.
      standIn.serveForeignPage('https://evil.example/', '<!doctype html><title>elsewhere</title><p>elsewhere</p>');
      await window.loadURL('https://evil.example/');
      const foreign = await page.evaluate<{ ok: boolean; error?: { code: string } }>(call);
      assert.deepEqual(foreign, { ok: false, error: { code: 'forbidden', message: 'forbidden' } });
      await screenshot(page, 'desktop-foreign-origin');
      await window.loadURL('homegate://app/index.html');
      await page.getByRole('heading', { name: 'Sessions', level: 1 }).waitFor({ timeout: UI_TIMEOUT_MS });
    },
  );

  test(
    'Quit tells the live session and exits; the window opens again where it was, through electron-store',
    { timeout: TEST_TIMEOUT_MS },
    async (t) => {
      await run.window.setBoundsByUser({ x: 140, y: 90, width: 980, height: 660 });
      const seen = (await readAuditLog(dirs().dataDir)).length;
      const client = await startXfreerdp([join(data.path, 'shadow.rdp'), ...XFREERDP_BASE_ARGS]);
      t.after(() => client.stop());
      await client.waitForActive(CLIENT_TIMEOUT_MS);
      await waitForAudit(dirs().dataDir, (r) => r.event === 'tunnel.connect', seen);

      assert.equal(await quit(), 0);
      const result = await client.waitForExit(CLIENT_TIMEOUT_MS);
      const output = `${result.stdout}\n${result.stderr}`;
      assert.match(output, /Service message:\nThe gateway is shutting down\.\n/, describeXfreerdpResult(result));
      assert.match(output, /rdg_process_close_packet\b.*\[0x000004D4\]/, describeXfreerdpResult(result));
      const end = await waitForAudit(dirs().dataDir, (r) => r.event === 'tunnel.end', seen);
      assert.equal(end.reason, 'shutdown');
      assert.equal(standIn.tray?.destroyed, true);

      standIn.reset();
      run = await bootShell(dirs(), run);
      assert.deepEqual(
        {
          x: run.window.options.x,
          y: run.window.options.y,
          width: run.window.options.width,
          height: run.window.options.height,
        },
        { x: 140, y: 90, width: 980, height: 660 },
      );
      assert.deepEqual(run.page.viewportSize(), { width: 980, height: 660 });
      await run.page.getByRole('heading', { name: 'Sessions', level: 1 }).waitFor({ timeout: UI_TIMEOUT_MS });
      await screenshot(run.page, 'desktop-restarted');
    },
  );
});
