import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { main } from '../../../main/cli.ts';
import { rdpLines, rdpSignatureKeyTypes, verifyRdpSignature } from '../../helpers/rdp-signature.ts';

async function run(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { out: (text) => (stdout += text), err: (text) => (stderr += text) }, () =>
    Promise.resolve('SIGTERM'),
  );
  return { code, stdout, stderr };
}

const posixOnly = { skip: process.platform === 'win32' ? 'file modes are POSIX' : false };

describe('homegate rdp: signed export with client options', () => {
  test(
    'an existing world-readable file is made owner-only on every export, gateway and relay mode',
    posixOnly,
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'homegate-cli-rdp-'));
      try {
        assert.equal(
          (await run(['hosts', 'add', '--name', 'desk', '--address', '192.168.1.20', '--data-dir', dir])).code,
          0,
        );
        const out = join(dir, 'desk.rdp');
        const base = ['rdp', '--host', 'desk', '--out', out, '--data-dir', dir];
        for (const mode of [
          ['--gateway-address', 'gw.example.com'],
          ['--mode', 'relay', '--relay-address', 'relay.example:8181'],
        ]) {
          await writeFile(out, 'an older export\n');
          await chmod(out, 0o644);
          assert.equal((await stat(out)).mode & 0o777, 0o644);
          const result = await run([...base, ...mode]);
          assert.equal(result.code, 0, result.stderr);
          assert.equal((await stat(out)).mode & 0o777, 0o600, `${mode.join(' ')}: the file holds a token`);
          assert.notEqual((await readFile(out)).toString('utf16le').indexOf('full address:s:'), -1);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  test('signs with the gateway certificate (chains to the local CA), writes the options; --no-sign does not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'homegate-cli-rdp-'));
    try {
      assert.equal(
        (await run(['hosts', 'add', '--name', 'desk', '--address', '192.168.1.20', '--data-dir', dir])).code,
        0,
      );
      const out = join(dir, 'desk.rdp');
      const options = ['--screen', 'window', '--multimon', '--no-clipboard', '--drives', '--audio', 'off'];
      const args = [
        'rdp',
        '--host',
        'desk',
        '--out',
        out,
        '--gateway-address',
        'gw.example.com:8443',
        '--data-dir',
        dir,
      ];
      const result = await run([...args, ...options, '--username', 'alice']);
      assert.equal(result.code, 0, result.stderr);
      const bytes = await readFile(out);
      const lines = rdpLines(bytes);
      for (const line of [
        'full address:s:desk',
        'alternate full address:s:desk',
        'gatewayhostname:s:gw.example.com:8443',
        'gatewaycredentialssource:i:5',
        'screen mode id:i:1',
        'use multimon:i:1',
        'redirectclipboard:i:0',
        'redirectdrives:i:1',
        'drivestoredirect:s:*',
        'audiomode:i:2',
        'username:s:alice',
      ]) {
        assert.ok(lines.includes(line), `${line} in\n${lines.join('\n')}`);
      }
      const verified = verifyRdpSignature(bytes, { caFile: join(dir, 'tls', 'ca.pem') });
      assert.equal(verified.status, 0, verified.output);
      // RSA by default: no one has confirmed that MSTSC verifies an ECDSA rdpsign signature.
      assert.deepEqual(rdpSignatureKeyTypes(bytes), { signature: 'rsaEncryption', signerKey: 'rsaEncryption' });
      // A different target after signing breaks the signature.
      const tampered = Buffer.from(
        bytes.toString('utf16le').replace('full address:s:desk', 'full address:s:evil'),
        'utf16le',
      );
      assert.notEqual(verifyRdpSignature(tampered, 'noverify').status, 0);

      assert.equal((await run([...args, '--no-sign'])).code, 0);
      const unsigned = rdpLines(await readFile(out));
      assert.ok(!unsigned.some((line) => line.startsWith('signature:') || line.startsWith('signscope:')));

      // Option mistakes are usage errors (exit 2), including a user name that would inject a setting.
      for (const bad of [
        ['--screen', 'tiny'],
        ['--audio', 'loud'],
        ['--username', 'a\r\nfull address:s:evil'],
      ]) {
        const failed = await run([...args, ...bad]);
        assert.equal(failed.code, 2, failed.stderr);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('with the ECDSA setting (cert regenerate --key-type ecdsa-p256) the file is signed with ECDSA', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'homegate-cli-rdp-'));
    try {
      assert.equal(
        (await run(['hosts', 'add', '--name', 'desk', '--address', '192.168.1.20', '--data-dir', dir])).code,
        0,
      );
      const out = join(dir, 'desk.rdp');
      const args = ['rdp', '--host', 'desk', '--out', out, '--gateway-address', 'gw.example.com', '--data-dir', dir];
      assert.equal((await run(args)).code, 0);
      const rsa = await readFile(out);
      const bad = await run(['cert', 'regenerate', '--key-type', 'dsa', '--data-dir', dir]);
      assert.equal(bad.code, 2, bad.stderr);
      const regenerated = await run(['cert', 'regenerate', '--key-type', 'ecdsa-p256', '--data-dir', dir]);
      assert.equal(regenerated.code, 0, regenerated.stderr);
      assert.equal((await run(args)).code, 0);
      const ec = await readFile(out);
      assert.deepEqual(rdpSignatureKeyTypes(ec), { signature: 'ecdsa-with-SHA256', signerKey: 'id-ecPublicKey' });
      // The CA was kept (RSA, from the first export), so the ECDSA signer still chains to it.
      assert.equal(verifyRdpSignature(ec, { caFile: join(dir, 'tls', 'ca.pem') }).status, 0);
      assert.deepEqual(rdpSignatureKeyTypes(rsa), { signature: 'rsaEncryption', signerKey: 'rsaEncryption' });
      const settings = JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8')) as { tls: { keyType: string } };
      assert.equal(settings.tls.keyType, 'ecdsa-p256');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
