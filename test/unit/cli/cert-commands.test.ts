/** `homegate cert show | import | use-local | regenerate` through the CLI's `main`, with openssl-made files. */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../../main/cli.ts';
import type { CliIo } from '../../../main/cli/output.ts';
import { SettingsStore } from '../../../main/config/settings-store.ts';
import { silentLogger } from '../../../main/logging/logger.ts';
import { makeLeaf, makePfx, makeTestCa, type MadeLeaf } from '../../helpers/openssl-certs.ts';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Prompts shown by readSecret. */
  readonly prompts: string[];
}

/** Runs the CLI; `stdin` (when given) is what readSecret returns, as if typed or piped. */
async function run(args: readonly string[], stdin?: string): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const prompts: string[] = [];
  const io: CliIo = {
    out: (text) => (stdout += text),
    err: (text) => (stderr += text),
    ...(stdin === undefined
      ? {}
      : {
          readSecret: (prompt: string) => {
            prompts.push(prompt);
            return Promise.resolve(stdin);
          },
        }),
  };
  const code = await main(args, io, () => Promise.resolve('SIGTERM'));
  return { code, stdout, stderr, prompts };
}

describe('homegate cert commands', { timeout: 60_000 }, () => {
  let fixtures: string;
  let dataDir: string;
  let leaf: MadeLeaf;
  let leafFingerprint: string;
  let pfx: string;
  let passFile: string;
  const withDir = (...args: string[]) => [...args, '--data-dir', dataDir];

  before(async () => {
    fixtures = await mkdtemp(join(tmpdir(), 'homegate-certcli-fx-'));
    dataDir = await mkdtemp(join(tmpdir(), 'homegate-certcli-'));
    const ca = await makeTestCa(fixtures, 'root');
    leaf = await makeLeaf(fixtures, 'gw', { names: ['gw.example.test'], ca, days: 90 });
    leafFingerprint = new X509Certificate(await readFile(leaf.certFile)).fingerprint256;
    pfx = await makePfx(fixtures, 'gw', { leaf, passphrase: 'pfx secret', extraCertFiles: [ca.certFile] });
    passFile = join(fixtures, 'pass.txt');
    await writeFile(passFile, 'pfx secret\n', { mode: 0o600 });
    const settings = await SettingsStore.open(dataDir, silentLogger);
    await settings.update((current) => ({ ...current, publicNames: ['gw.example.test'] }));
    settings.close();
  });

  after(async () => {
    await rm(fixtures, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  });

  it('has nothing to show before a certificate exists', async () => {
    const result = await run(withDir('cert', 'show'));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^homegate: no certificate yet/);
  });

  it('regenerates the local certificate and shows it', async () => {
    const first = await run(withDir('cert', 'regenerate'));
    assert.equal(first.code, 0, first.stderr);
    const fingerprint = /SHA-256 ([0-9A-F:]{95})/.exec(first.stdout)?.[1];
    assert.ok(fingerprint, first.stdout);
    const second = await run(withDir('cert', 'regenerate'));
    assert.notEqual(/SHA-256 ([0-9A-F:]{95})/.exec(second.stdout)?.[1], fingerprint, 'a new certificate each time');

    const shown = await run(withDir('cert', 'show'));
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^Source: +local CA \(.*server\.pem\)$/m);
    assert.match(shown.stdout, /^Issuer: +CN=Homegate Local CA/m);
    assert.match(shown.stdout, /^Names \(SAN\): +DNS:localhost, .*DNS:gw\.example\.test/m);
    assert.match(shown.stdout, /^Renewal: +automatic$/m);
    assert.match(shown.stdout, /^Local CA SHA-256: +[0-9A-F:]{95}$/m);
    assert.equal(shown.stderr, '');
  });

  it('refuses a wrong passphrase from standard input, storing nothing', async () => {
    const result = await run(withDir('cert', 'import', '--pfx', pfx), 'not it');
    assert.equal(result.code, 1);
    assert.deepEqual(result.prompts, [`Passphrase for ${pfx}: `]);
    assert.equal(
      result.stderr,
      `homegate: Wrong passphrase for ${pfx} (or the file is damaged): its integrity check failed\n`,
    );
    assert.match((await run(withDir('cert', 'show'))).stdout, /^Source: +local CA/m);
  });

  it('needs a passphrase source for a PFX and one kind of input', async () => {
    const noStdin = await run(withDir('cert', 'import', '--pfx', pfx));
    assert.equal(noStdin.code, 2);
    assert.match(noStdin.stderr, /give the passphrase with --passphrase-file FILE/);
    const both = await run(withDir('cert', 'import', '--pfx', pfx, '--cert', leaf.certFile));
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give either --cert FILE \[--key FILE\] or --pfx FILE/);
    const neither = await run(withDir('cert', 'import'));
    assert.equal(neither.code, 2);
  });

  it('refuses a certificate without the configured public name', async () => {
    const other = await makeLeaf(fixtures, 'other', { names: ['other.example.test'], days: 90 });
    const result = await run(withDir('cert', 'import', '--cert', other.certFile, '--key', other.keyFile));
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^homegate: The certificate has no subjectAltName for gw\.example\.test \(it covers: other\.example\.test\)/,
    );
  });

  it('imports a PFX with --passphrase-file, shows it as imported, then goes back to the local one', async () => {
    const imported = await run(withDir('cert', 'import', '--pfx', pfx, '--passphrase-file', passFile));
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /^imported CN=gw\.example\.test \(gw\.example\.test\)$/m);
    assert.match(imported.stdout, new RegExp(`SHA-256 ${leafFingerprint}`));

    const shown = await run(withDir('cert', 'show'));
    assert.match(shown.stdout, /^Source: +imported \(.*imported\.pem\)$/m);
    assert.match(shown.stdout, /^Subject: +CN=gw\.example\.test$/m);
    assert.match(shown.stdout, /^Issuer: +CN=Homegate Test Root$/m);
    assert.match(shown.stdout, /^Names \(SAN\): +DNS:gw\.example\.test$/m);
    assert.match(shown.stdout, new RegExp(`^SHA-256: +${leafFingerprint}$`, 'm'));
    assert.match(shown.stdout, /^Expires: +\S+ \(\d+ days left\)$/m);
    assert.match(shown.stdout, /^Renewal: +never/m);
    const json = JSON.parse((await run(withDir('cert', 'show', '--json'))).stdout) as Record<string, unknown>;
    assert.equal(json.source, 'imported');
    assert.equal(json.fingerprintSha256, leafFingerprint);

    const regenerated = await run(withDir('cert', 'regenerate'));
    assert.match(regenerated.stdout, /the imported one is still served/);

    const local = await run(withDir('cert', 'use-local'));
    assert.equal(local.code, 0);
    assert.match(local.stdout, /^removed the imported certificate/);
    assert.match((await run(withDir('cert', 'show'))).stdout, /^Source: +local CA/m);
    assert.match((await run(withDir('cert', 'use-local'))).stdout, /^no imported certificate/);
  });

  it('imports PEM files, reading a key passphrase piped on standard input with --passphrase-file -', async () => {
    const result = await run(
      withDir('cert', 'import', '--cert', leaf.chainFile, '--key', leaf.keyFile, '--passphrase-file', '-'),
      '',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match((await run(withDir('cert', 'show'))).stdout, /^Source: +imported/m);
  });
});
