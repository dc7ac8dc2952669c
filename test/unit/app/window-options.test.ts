/**
 * The Electron shell's security settings, checked without Electron: these modules import only Electron's types, so
 * plain Node loads them (a value import of 'electron' would throw here).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  APP_CSP_HEADER,
  APP_ENTRY_URL,
  APP_SCHEME_PRIVILEGES,
  RENDERER_CSP,
  isAppUrl,
  isExternalLinkAllowed,
  isPermissionAllowed,
  mainWindowOptions,
} from '../../../main/app/window-options.ts';

const source = (path: string): Promise<string> => readFile(fileURLToPath(new URL(path, import.meta.url)), 'utf8');

/** A CSP as directive → sorted sources, so that order and spacing do not matter. */
function directives(policy: string): Map<string, string> {
  return new Map(
    policy
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name = '', ...values]) => [name.toLowerCase(), values.sort().join(' ')]),
  );
}

describe('the main window', () => {
  test('keeps every option of Electron’s security checklist', () => {
    const options = mainWindowOptions('/app/out/preload/index.cjs');
    const web = options.webPreferences ?? {};
    assert.equal(web.preload, '/app/out/preload/index.cjs');
    assert.equal(web.contextIsolation, true);
    assert.equal(web.sandbox, true);
    assert.equal(web.nodeIntegration, false);
    assert.equal(web.nodeIntegrationInWorker, false);
    assert.equal(web.nodeIntegrationInSubFrames, false);
    assert.equal(web.webSecurity, true);
    assert.equal(web.allowRunningInsecureContent, false);
    assert.equal(web.experimentalFeatures, false);
    assert.equal(web.enableBlinkFeatures, '');
    assert.equal(web.webviewTag, false);
    assert.equal(web.navigateOnDragDrop, false);
    assert.equal(options.show, false, 'shown on ready-to-show, not blank');
  });

  test('devtools only when asked for', () => {
    const saved = process.env.HOMEGATE_DEVTOOLS;
    try {
      delete process.env.HOMEGATE_DEVTOOLS;
      assert.equal(mainWindowOptions('p').webPreferences?.devTools, false);
      process.env.HOMEGATE_DEVTOOLS = '1';
      assert.equal(mainWindowOptions('p').webPreferences?.devTools, true);
    } finally {
      if (saved === undefined) delete process.env.HOMEGATE_DEVTOOLS;
      else process.env.HOMEGATE_DEVTOOLS = saved;
    }
  });

  test('the CSP allows our own files only: no inline script, no eval, no remote source', () => {
    const policy = directives(APP_CSP_HEADER);
    assert.equal(policy.get('default-src'), "'none'");
    assert.equal(policy.get('script-src'), "'self'");
    assert.equal(policy.get('object-src') ?? policy.get('default-src'), "'none'");
    assert.equal(policy.get('base-uri'), "'none'");
    assert.equal(policy.get('frame-ancestors'), "'none'");
    for (const [name, value] of policy) {
      assert.doesNotMatch(value, /unsafe-inline|unsafe-eval|\*|https?:|blob:/, name);
    }
  });

  test('renderer/index.html states the same CSP as the shell', async () => {
    const html = await source('../../../renderer/index.html');
    const meta = /<meta\s[^>]*http-equiv="Content-Security-Policy"[^>]*content="([^"]*)"/i.exec(html);
    assert.ok(meta?.[1], 'index.html has a CSP meta tag');
    assert.deepEqual(directives(meta[1]), directives(RENDERER_CSP));
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline script');
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no inline event handlers');
  });

  test('the page loads from our own scheme (standard, secure, nothing more), never file://', () => {
    assert.equal(APP_ENTRY_URL, 'homegate://app/index.html');
    assert.deepEqual(APP_SCHEME_PRIVILEGES, { scheme: 'homegate', privileges: { standard: true, secure: true } });
    assert.equal(isAppUrl(APP_ENTRY_URL), true);
    assert.equal(isAppUrl('homegate://app/assets/x.js'), true);
    for (const url of [
      'file:///app/out/renderer/index.html',
      'homegate://evil/index.html',
      'homegate://user@app/',
      'https://app/index.html',
      'about:blank',
      'not a url',
      undefined,
    ]) {
      assert.equal(isAppUrl(url), false, String(url));
    }
  });

  test('the page gets no permission but the clipboard write, and opens only https links outside', () => {
    assert.equal(isPermissionAllowed('clipboard-sanitized-write', 'homegate://app'), true);
    assert.equal(isPermissionAllowed('clipboard-sanitized-write', 'https://evil.example'), false);
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'hid']) {
      assert.equal(isPermissionAllowed(permission, 'homegate://app'), false, permission);
    }
    assert.equal(isExternalLinkAllowed('https://github.com/homegate'), true);
    for (const url of ['http://example.com', 'file:///etc/passwd', 'smb://host/share', 'ms-msdt:x', 'javascript:1']) {
      assert.equal(isExternalLinkAllowed(url), false, url);
    }
  });

  test('the modules tests load import Electron’s types only', async () => {
    for (const path of [
      '../../../main/app/window-options.ts',
      '../../../main/app/tray-menu.ts',
      '../../../main/app/app-protocol.ts',
    ]) {
      const text = await source(path);
      for (const statement of text.match(/^import[^;]*from 'electron';/gm) ?? []) {
        assert.match(statement, /^import type /, `${path}: ${statement}`);
      }
    }
  });
});
