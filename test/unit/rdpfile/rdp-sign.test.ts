import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportRdpFile, rdpExportSettings } from '../../../main/rdpfile/rdp-export.ts';
import { RdpFileError, type RdpClientOptions } from '../../../main/rdpfile/rdp-file.ts';
import { signRdpSettings, type RdpSigner } from '../../../main/rdpfile/rdp-sign.ts';
import { rdpLines, verifyRdpSignature, type OpensslResult } from '../../helpers/rdp-signature.ts';

let dir = '';
const signers: Record<'ec' | 'rsa', RdpSigner & { caFile: string }> = {} as never;

function openssl(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr };
}

/** A CA and a leaf issued by it, with openssl (independent of the code under test). */
function makeSigner(kind: 'ec' | 'rsa'): RdpSigner & { caFile: string } {
  const keyArgs = kind === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048'];
  const p = (name: string): string => join(dir, `${kind}-${name}`);
  assert.equal(
    openssl(
      'req',
      '-x509',
      ...keyArgs,
      '-nodes',
      '-subj',
      `/CN=Test CA ${kind}`,
      '-days',
      '2',
      '-keyout',
      p('ca.key'),
      '-out',
      p('ca.pem'),
    ).status,
    0,
  );
  assert.equal(
    openssl(
      'req',
      '-new',
      ...keyArgs,
      '-nodes',
      '-subj',
      '/CN=gw.home.example',
      '-keyout',
      p('leaf.key'),
      '-out',
      p('leaf.csr'),
    ).status,
    0,
  );
  assert.equal(
    openssl(
      'x509',
      '-req',
      '-in',
      p('leaf.csr'),
      '-CA',
      p('ca.pem'),
      '-CAkey',
      p('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      p('leaf.pem'),
    ).status,
    0,
  );
  return {
    chainPem: readFileSync(p('leaf.pem'), 'utf8') + readFileSync(p('ca.pem'), 'utf8'),
    keyPem: readFileSync(p('leaf.key'), 'utf8'),
    caFile: p('ca.pem'),
  };
}

const CLIENT: RdpClientOptions = {
  screenMode: 'fullscreen',
  multiMonitor: true,
  clipboard: true,
  drives: true,
  audio: 'remote',
  username: 'alice',
};
const GATEWAY = {
  mode: 'gateway',
  targetName: 'desktop',
  targetPort: 3389,
  gatewayAddress: 'gw.home.example:8443',
  accessToken: 'eyJ.token.sig',
} as const;

const lines = rdpLines;
const verifyFile = (bytes: Buffer, caFile: string): OpensslResult => verifyRdpSignature(bytes, { caFile });

describe('rdpsign-compatible signing', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'homegate-rdpsign-'));
    signers.ec = makeSigner('ec');
    signers.rsa = makeSigner('rsa');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const kind of ['ec', 'rsa'] as const) {
    it(`signs a gateway file with an ${kind} certificate that openssl verifies`, () => {
      const file = exportRdpFile({ connection: GATEWAY, client: CLIENT, signer: signers[kind] });
      const result = verifyFile(file, signers[kind].caFile);
      assert.equal(result.status, 0, result.output);
      assert.match(result.output, /Verification successful/);
      // -noverify (no chain check) also succeeds: the signature itself is sound.
      assert.equal(verifyRdpSignature(file, 'noverify').status, 0);
      const fileLines = lines(file);
      assert.ok(fileLines.includes('alternate full address:s:desktop'));
      assert.equal(fileLines.at(-1)?.startsWith('signature:s:'), true);
      assert.ok(!fileLines.at(-1)?.includes(' '), 'base64 without breaks');
    });

    it(`a ${kind}-signed file changed afterwards fails verification`, () => {
      const file = exportRdpFile({ connection: GATEWAY, client: CLIENT, signer: signers[kind] });
      const tampered = Buffer.from(
        file.toString('utf16le').replace('full address:s:desktop', 'full address:s:evil.example'),
        'utf16le',
      );
      assert.notDeepEqual(tampered, file);
      const result = verifyFile(tampered, signers[kind].caFile);
      assert.notEqual(result.status, 0);
      // Changing a setting outside the signscope (the access token) keeps the signature valid.
      const newToken = Buffer.from(file.toString('utf16le').replace('eyJ.token.sig', 'eyJ.fresh.sig'), 'utf16le');
      assert.equal(verifyFile(newToken, signers[kind].caFile).status, 0);
    });
  }

  it('writes signscope in table order and hashes exactly those lines + signscope, UTF-16LE + NUL', () => {
    const settings = rdpExportSettings({ connection: GATEWAY, client: CLIENT });
    const signed = signRdpSettings(settings, signers.ec);
    const scope = signed.settings.find(([name]) => name === 'signscope')?.[2];
    assert.equal(
      scope,
      'Full Address,Alternate Full Address,Server Port,GatewayHostname,GatewayUsageMethod,GatewayProfileUsageMethod,' +
        'GatewayCredentialsSource,PromptCredentialOnce,AudioMode,RedirectDrives,RedirectClipboard,DrivesToRedirect',
    );
    const expected =
      'full address:s:desktop\r\nalternate full address:s:desktop\r\nserver port:i:3389\r\n' +
      'gatewayhostname:s:gw.home.example:8443\r\ngatewayusagemethod:i:1\r\ngatewayprofileusagemethod:i:1\r\n' +
      'gatewaycredentialssource:i:5\r\npromptcredentialonce:i:0\r\naudiomode:i:1\r\nredirectdrives:i:1\r\n' +
      `redirectclipboard:i:1\r\ndrivestoredirect:s:*\r\nsignscope:s:${scope}\r\n`;
    assert.deepEqual(signed.signedBytes, Buffer.concat([Buffer.from(expected, 'utf16le'), Buffer.alloc(2)]));
    // The unsigned settings come first; the access token stays outside the signature.
    assert.deepEqual(
      signed.settings.slice(0, 4).map(([name]) => name),
      ['gatewayaccesstoken', 'screen mode id', 'use multimon', 'username'],
    );
  });

  it('signs relay files (pcb is in the scope) and verifies with -noverify', () => {
    const file = exportRdpFile({
      connection: { mode: 'relay', relayHost: 'relay.home.example', relayPort: 4489, token: 'assoc.token' },
      signer: signers.rsa,
    });
    const scope = lines(file).find((line) => line.startsWith('signscope:s:'));
    assert.equal(
      scope,
      'signscope:s:Full Address,Alternate Full Address,PCB,Server Port,GatewayUsageMethod,PromptCredentialOnce',
    );
    assert.equal(verifyFile(file, signers.rsa.caFile).status, 0);
  });

  it('refuses duplicated secure settings and a key that is not the certificate’s', () => {
    const settings = rdpExportSettings({ connection: GATEWAY });
    assert.throws(() => signRdpSettings([...settings, ['full address', 's', 'other']], signers.ec), RdpFileError);
    assert.throws(
      () => signRdpSettings(settings, { chainPem: signers.ec.chainPem, keyPem: signers.rsa.keyPem }),
      RdpFileError,
    );
  });
});

describe('rdp exporter', () => {
  it('writes the gateway settings and the client options', () => {
    const text = lines(
      exportRdpFile({ connection: GATEWAY, client: { ...CLIENT, drives: false, screenMode: 'window' } }),
    );
    assert.deepEqual(text, [
      'full address:s:desktop',
      'server port:i:3389',
      'gatewayhostname:s:gw.home.example:8443',
      'gatewayusagemethod:i:1',
      'gatewayprofileusagemethod:i:1',
      'gatewaycredentialssource:i:5',
      'gatewayaccesstoken:s:eyJ.token.sig',
      'promptcredentialonce:i:0',
      'screen mode id:i:1',
      'use multimon:i:1',
      'redirectclipboard:i:1',
      'redirectdrives:i:0',
      'audiomode:i:1',
      'username:s:alice',
    ]);
  });

  it('refuses names and labels that would inject a setting', () => {
    for (const evil of ['alice\r\nfull address:s:evil', 'a\nb', 'x\u0000y']) {
      assert.throws(() => exportRdpFile({ connection: GATEWAY, client: { ...CLIENT, username: evil } }), RdpFileError);
      assert.throws(() => exportRdpFile({ connection: { ...GATEWAY, targetName: evil } }), RdpFileError);
      assert.throws(
        () => exportRdpFile({ connection: { ...GATEWAY, accessToken: evil }, signer: signers.ec }),
        RdpFileError,
      );
    }
  });
});
