/**
 * What the image holds, without Docker: the runtime stage's `COPY --from=build` lines are replayed into an empty
 * folder standing in for the image's /app (from the built checkout, which is what the build stage produces), and
 * the gateway is run from there. Outside the checkout nothing falls back to its out/renderer: a file the
 * Dockerfile does not copy is missing here as it would be in the image.
 */
import assert from 'node:assert/strict';
import { cp, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ManagedProcess, freePort, makeTempDir } from '../e2e/harness/index.ts';
import { httpsRequest } from '../helpers/https-request.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The runtime stage's WORKDIR and its `COPY --from=build /src/FROM TO` pairs, TO relative to the WORKDIR. */
async function runtimeCopies(): Promise<{ workdir: string; copies: [string, string][] }> {
  const text = (await readFile(join(ROOT, 'Dockerfile'), 'utf8')).replace(/\\\n\s*/g, ' ');
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const workdir = /^WORKDIR (\S+)$/m.exec(runtime)?.[1] ?? '/';
  const copies: [string, string][] = [];
  for (const [, from = '', to = ''] of runtime.matchAll(/^COPY --from=build \/src\/(\S+) (\S+)$/gm)) {
    copies.push([from, to.startsWith(workdir) ? to.slice(workdir.length).replace(/^\//, './') : to]);
  }
  return { workdir, copies };
}

test(
  'the image serves the web admin page: the Dockerfile copies the renderer bundle',
  { timeout: 60_000 },
  async (t) => {
    const { workdir, copies } = await runtimeCopies();
    assert.equal(workdir, '/app');
    const image = await makeTempDir('image-app');
    t.after(() => image.remove());
    for (const [from, to] of copies) {
      assert.ok(to.startsWith('./'), `COPY into the WORKDIR: ${to}`);
      await cp(join(ROOT, from), join(image.path, to), { recursive: true });
    }
    await stat(join(image.path, 'out/renderer/index.html')).catch(() =>
      assert.fail(
        `the image has no out/renderer/index.html; it copies only ${copies.map(([from]) => from).join(', ')}`,
      ),
    );

    const data = await makeTempDir('image-data');
    t.after(() => data.remove());
    const port = await freePort();
    const serve = await ManagedProcess.start(
      process.execPath,
      [join(image.path, 'bin/homegate.js'), 'serve', '--listen', `127.0.0.1:${port}`],
      { name: 'image serve', env: { ...process.env, HOMEGATE_DATA_DIR: data.path } },
    );
    t.after(() => serve.stop());
    await serve.waitForLine(/listening on https:\/\//, 20_000);
    const ca = await readFile(join(data.path, 'tls', 'ca.pem'), 'utf8');
    const page = await httpsRequest({ port, path: '/admin/', ca });
    const body = page.body.toString('utf8');
    assert.equal(page.status, 200, body);
    assert.match(body, /<title>Homegate<\/title>/);
  },
);
