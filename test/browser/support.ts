/**
 * What the browser tests share: Debian's Chromium with the flags that work here, the admin password set the way a
 * person sets it, the one setup of a signed-out admin page in Chromium against `homegate serve` (`startAdminBrowser`),
 * an axe-core run inside the page, and the layout checks for narrow windows.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import {
  findTool,
  makeTempDir,
  runCleanupSteps,
  startHomegateServe,
  type HomegateServe,
  type TempDir,
} from '../e2e/harness/index.ts';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SCREENSHOTS = join(PROJECT_ROOT, 'test-artifacts/screenshots');

/** Flags that work for Debian's Chromium here: headless, as root, with no GPU and a small /dev/shm. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? findTool('chromium') ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/**
 * Collects what goes wrong in `page` into `problems`: page errors, and console errors except those `expected`
 * (a 401 before login, a refusal the test provokes).
 */
export function watchPage(page: Page, problems: string[], expected: (text: string) => boolean): void {
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error' || expected(message.text())) return;
    problems.push(`console error: ${message.text()}`);
  });
}

export interface AdminBrowserOptions {
  /** Part of the data directory's name. */
  readonly name: string;
  /** The admin password, set with `homegate admin set-password` before serve starts. */
  readonly password: string;
  readonly viewport: { readonly width: number; readonly height: number };
  /** Playwright's timeout for each action in the page. */
  readonly actionTimeoutMs: number;
  /** Where the page's errors and unexpected console errors go (see `watchPage`). */
  readonly problems: string[];
  /** Console errors the test expects (default: a 401, as the page asks for its session before login). */
  readonly expectedConsoleError?: (text: string) => boolean;
}

/** `homegate serve` on a fresh data directory with an admin password, and Chromium on a page ready for /admin/. */
export interface AdminBrowser {
  readonly data: TempDir;
  readonly serve: HomegateServe;
  /** `https://127.0.0.1:PORT/admin/`. */
  readonly adminUrl: string;
  readonly browser: Browser;
  /** Light colours, downloads accepted, the gateway's own CA not trusted (certificate errors ignored). */
  readonly context: BrowserContext;
  readonly page: Page;
  /** Closes the browser, stops serve and removes the data directory (each step runs even if one fails). */
  close(): Promise<void>;
}

export async function startAdminBrowser(options: AdminBrowserOptions): Promise<AdminBrowser> {
  let data: TempDir | undefined;
  let serve: HomegateServe | undefined;
  let browser: Browser | undefined;
  const close = (): Promise<void> =>
    runCleanupSteps([async () => browser?.close(), async () => serve?.stop(), async () => data?.remove()]);
  try {
    await mkdir(SCREENSHOTS, { recursive: true });
    data = await makeTempDir(options.name);
    await setAdminPassword(data.path, options.password);
    serve = await startHomegateServe(data.path);
    browser = await launchChromium();
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      acceptDownloads: true,
      viewport: options.viewport,
      colorScheme: 'light',
    });
    context.setDefaultTimeout(options.actionTimeoutMs);
    const page = await context.newPage();
    watchPage(page, options.problems, options.expectedConsoleError ?? ((text) => /status of 401/.test(text)));
    return { data, serve, adminUrl: `https://127.0.0.1:${serve.port}/admin/`, browser, context, page, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** `homegate admin set-password`, with the password on standard input as a person would pipe it. */
export async function setAdminPassword(dataDir: string, password: string): Promise<void> {
  const child = spawn(
    process.execPath,
    [join(PROJECT_ROOT, 'bin/homegate.js'), 'admin', 'set-password', '--data-dir', dataDir],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stdin.end(`${password}\n`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`admin set-password did not finish: ${output}`));
    }, 20_000);
    child.on('exit', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  assert.equal(code, 0, `admin set-password failed: ${output}`);
}

let axeSource: string | undefined;

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: readonly string[];
}

/**
 * Runs axe-core (the installed 4.14) in the page against WCAG 2.x A and AA, and answers the serious and critical
 * violations. The script is evaluated through the DevTools protocol, which the page's CSP does not govern, so the
 * page runs under its real policy.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate<boolean>("'axe' in window"))) await page.evaluate(axeSource);
  // In-page code as text: this project's Node typings have no DOM.
  const violations = await page.evaluate<AxeViolation[]>(`(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations'],
    });
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.slice(0, 5).map((node) => JSON.stringify(node.target)),
    }));
  })()`);
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

export interface OverflowReport {
  readonly document: { scrollWidth: number; clientWidth: number };
  readonly main: { scrollWidth: number; clientWidth: number } | undefined;
  /** Elements that stick out to the right of the window, as `tag.class` with their right edge. */
  readonly sticking: readonly string[];
}

/** How wide the page is compared with the window, and what sticks out. */
export function measureOverflow(page: Page): Promise<OverflowReport> {
  return page.evaluate<OverflowReport>(`(() => {
    const root = document.documentElement;
    const main = document.querySelector('main');
    const width = root.clientWidth;
    const sticking = [];
    for (const element of document.querySelectorAll('body *')) {
      const box = element.getBoundingClientRect();
      if (box.width > 0 && box.right > width + 0.5 && !element.closest('.sr-only, [hidden]')) {
        // Visually hidden (clipped) content, such as a table head kept for screen readers, takes no room.
        let clipped = false;
        for (let node = element; node && node !== document.body; node = node.parentElement) {
          if (getComputedStyle(node).clip !== 'auto') clipped = true;
        }
        if (clipped) continue;
        sticking.push(element.tagName.toLowerCase() + '.' + element.className + ' right=' + Math.round(box.right));
      }
    }
    return {
      document: { scrollWidth: root.scrollWidth, clientWidth: width },
      main: main ? { scrollWidth: main.scrollWidth, clientWidth: main.clientWidth } : undefined,
      sticking: sticking.slice(0, 10),
    };
  })()`);
}

/** Asserts nothing is wider than the window: the document, the scrolling main area and every element in it. */
export async function assertNoHorizontalOverflow(page: Page, where: string): Promise<void> {
  const report = await measureOverflow(page);
  const detail = `${where}: ${JSON.stringify(report)}`;
  assert.ok(report.document.scrollWidth <= report.document.clientWidth, detail);
  if (report.main) assert.ok(report.main.scrollWidth <= report.main.clientWidth, detail);
  assert.deepEqual(report.sticking, [], detail);
}
