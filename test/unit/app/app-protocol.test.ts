import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createAppProtocolHandler } from '../../../main/app/app-protocol.ts';
import { APP_CSP_HEADER } from '../../../main/app/window-options.ts';
import { loadStaticFiles } from '../../../main/web/static-files.ts';

describe('homegate://app/ protocol handler', () => {
  let dir: string;
  let handle: (request: Request) => Response;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-proto-'));
    await writeFile(join(dir, 'index.html'), '<html></html>');
    await writeFile(join(dir, 'main.js'), 'console.log(1)');
    const files = await loadStaticFiles(dir);
    assert.ok(files);
    handle = createAppProtocolHandler(files);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('serves the built files with their type and the CSP header', async () => {
    const page = handle(new Request('homegate://app/index.html'));
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(page.headers.get('content-security-policy'), APP_CSP_HEADER);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(await page.text(), '<html></html>');
    const script = handle(new Request('homegate://app/main.js?v=1'));
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(handle(new Request('homegate://app/')).status, 200);
  });

  test('answers nothing else: other hosts, traversal, unknown files, other methods', () => {
    for (const url of [
      'homegate://other/index.html',
      'homegate://app/../../etc/passwd',
      'homegate://app/%2e%2e/%2e%2e/etc/passwd',
      'homegate://app/missing.js',
      'homegate://app//index.html',
    ]) {
      assert.equal(handle(new Request(url)).status, 404, url);
    }
    assert.equal(handle(new Request('homegate://app/index.html', { method: 'POST', body: 'x' })).status, 405);
  });
});
