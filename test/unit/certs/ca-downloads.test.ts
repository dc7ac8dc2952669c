/**
 * The CA in every form the Trust step offers: the Apple profile is a well-formed property list (parsed by `plist`,
 * an independent reader) whose root payload carries exactly the DER openssl writes; Android's file is that DER.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parsePlist } from 'plist';
import { caDownload, type CaDownloadFormat } from '../../../main/certs/ca-downloads.ts';
import { makeTestCa, openssl } from '../../helpers/openssl-certs.ts';

describe('CA downloads', { timeout: 30_000 }, () => {
  let dir: string;
  let caPem: string;
  let opensslDer: Buffer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'homegate-ca-downloads-'));
    const ca = await makeTestCa(dir, 'ca', 'Homegate & <Test> Root');
    caPem = await readFile(ca.certFile, 'utf8');
    await openssl(['x509', '-in', ca.certFile, '-outform', 'der', '-out', join(dir, 'ca.der')]);
    opensslDer = await readFile(join(dir, 'ca.der'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const content = (format: CaDownloadFormat): Buffer => Buffer.from(caDownload(caPem, format).contentBase64, 'base64');

  it('the .mobileconfig is a property list whose com.apple.security.root payload carries the CA', () => {
    const file = caDownload(caPem, 'mobileconfig');
    assert.equal(file.fileName, 'homegate-ca.mobileconfig');
    assert.equal(file.mimeType, 'application/x-apple-aspen-config');
    const profile = parsePlist(content('mobileconfig').toString('utf8')) as Record<string, unknown>;
    assert.equal(profile.PayloadType, 'Configuration');
    assert.equal(profile.PayloadVersion, 1);
    assert.match(String(profile.PayloadUUID), /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    const payloads = profile.PayloadContent as Record<string, unknown>[];
    assert.equal(payloads.length, 1);
    const root = payloads[0] ?? {};
    assert.equal(root.PayloadType, 'com.apple.security.root');
    assert.ok(root.PayloadContent instanceof Uint8Array, 'the certificate is <data>');
    assert.deepEqual(Buffer.from(root.PayloadContent), opensslDer);
    assert.notEqual(root.PayloadUUID, profile.PayloadUUID);
    // The same CA gives the same identifiers, so installing it again replaces the profile.
    assert.deepEqual(content('mobileconfig'), content('mobileconfig'));
  });

  it("Android's .crt is the DER that openssl x509 -outform der writes", () => {
    assert.equal(caDownload(caPem, 'android').fileName, 'homegate-ca-android.crt');
    assert.deepEqual(content('android'), opensslDer);
    assert.deepEqual(content('der'), opensslDer);
  });

  it('PEM and .crt carry the PEM as it is', () => {
    assert.equal(content('pem').toString('utf8'), caPem);
    assert.equal(content('crt').toString('utf8'), caPem);
    assert.equal(caDownload(caPem, 'crt').fileName, 'homegate-ca.crt');
  });
});
