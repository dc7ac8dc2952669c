import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadStaticFiles, lookupStaticFile } from '../../../main/web/static-files.ts';
import { crossOriginRefusal } from '../../../main/web/same-origin.ts';
import { stripMetaCsp } from '../../../main/web/web-admin.ts';
import type { IncomingMessage } from 'node:http';

describe('static files allowlist', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'homegate-static-'));
    const page = join(root, 'page');
    await mkdir(join(page, 'assets'), { recursive: true });
    await writeFile(join(root, 'secret.txt'), 'secret');
    await writeFile(join(page, 'index.html'), '<html></html>');
    await writeFile(join(page, 'main.js'), 'x');
    await writeFile(join(page, 'main.js.map'), '{}');
    await writeFile(join(page, 'assets', 'font.woff2'), 'w');
    await writeFile(join(page, '.hidden.js'), 'h');
    await writeFile(join(page, 'notes.md'), 'm');
    await symlink(join(root, 'secret.txt'), join(page, 'linked.js'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('holds only known file types, no dotfiles, no symlinks; lookups never leave it', async () => {
    const files = await loadStaticFiles(join(root, 'page'));
    assert.ok(files);
    assert.deepEqual([...files.keys()].sort(), ['assets/font.woff2', 'index.html', 'main.js']);
    assert.equal(lookupStaticFile(files, '')?.contentType, 'text/html; charset=utf-8');
    assert.equal(lookupStaticFile(files, 'assets/font.woff2')?.contentType, 'font/woff2');
    assert.equal(lookupStaticFile(files, 'assets%2Ffont.woff2')?.contentType, 'font/woff2', 'decoded, then looked up');
    for (const path of [
      '../secret.txt',
      '%2e%2e/secret.txt',
      'linked.js',
      'main.js.map',
      '.hidden.js',
      '%',
      '/main.js',
    ]) {
      assert.equal(lookupStaticFile(files, path), undefined, path);
    }
  });

  test('a folder without index.html is no page', async () => {
    assert.equal(await loadStaticFiles(join(root, 'page', 'assets')), undefined);
    assert.equal(await loadStaticFiles(join(root, 'missing')), undefined);
  });

  test('the meta CSP is dropped from HTML served over HTTP (the header carries the policy)', () => {
    const html =
      '<head>\n<meta charset="utf-8" />\n<meta\n  http-equiv="Content-Security-Policy"\n  content="default-src \'none\'"\n/>\n<title>x</title>';
    assert.equal(stripMetaCsp(html), '<head>\n<meta charset="utf-8" />\n<title>x</title>');
  });
});

describe('crossOriginRefusal', () => {
  const request = (headers: Record<string, string>, encrypted = true): IncomingMessage =>
    ({ headers, socket: { encrypted } }) as unknown as IncomingMessage;

  test('accepts the page’s own origin only', () => {
    assert.equal(
      crossOriginRefusal(request({ origin: 'https://gw.example:8443', host: 'gw.example:8443' })),
      undefined,
    );
    assert.equal(crossOriginRefusal(request({ origin: 'https://gw.example', host: 'gw.example:443' })), undefined);
    assert.equal(
      crossOriginRefusal(
        request({ origin: 'https://GW.example:8443', host: 'gw.EXAMPLE:8443', 'sec-fetch-site': 'same-origin' }),
      ),
      undefined,
    );
    assert.equal(
      crossOriginRefusal(request({ origin: 'http://gw.example:8080', host: 'gw.example:8080' }, false)),
      undefined,
    );
    for (const headers of [
      { host: 'gw.example' },
      { origin: 'null', host: 'gw.example' },
      { origin: 'https://evil.example', host: 'gw.example' },
      { origin: 'https://gw.example.evil.example', host: 'gw.example' },
      { origin: 'https://gw.example:8444', host: 'gw.example:8443' },
      { origin: 'http://gw.example:8443', host: 'gw.example:8443' },
      { origin: 'https://gw.example', host: 'gw.example', 'sec-fetch-site': 'same-site' },
      { origin: 'https://gw.example' },
      { origin: 'not a url', host: 'gw.example' },
    ] as Record<string, string>[]) {
      assert.ok(crossOriginRefusal(request(headers)), JSON.stringify(headers));
    }
  });
});
