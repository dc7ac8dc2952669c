import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ImportExpiredError,
  ImportFileGarbledError,
  ImportKeyMismatchError,
  ImportNameNotCoveredError,
  ImportNoKeyError,
  ImportNotServerCertificateError,
  ImportUnsupportedKeyError,
  ImportWrongPassphraseError,
} from '../../main/certs/errors.ts';
import { explainImportError } from '../../renderer/src/cert-errors.ts';

/** The gateway's own messages (the handler names the inputs as below), as they reach the page. */
describe('certificate import errors in plain words, next to their field', () => {
  const cases: [string, 'pem' | 'pfx', string, RegExp][] = [
    [
      new ImportFileGarbledError('the certificate', 'not DER-encoded (Too few bytes to read ASN.1 value.)').message,
      'pem',
      'certPem',
      /not a certificate in PEM format.*BEGIN CERTIFICATE/,
    ],
    [
      new ImportFileGarbledError('the private key', 'the private key cannot be parsed').message,
      'pem',
      'keyPem',
      /not a private key in PEM format/,
    ],
    [
      new ImportFileGarbledError(
        'the private key',
        'the private key is encrypted; give its passphrase with --passphrase-file',
      ).message,
      'pem',
      'keyPem',
      /protected by a passphrase.*\.pfx/,
    ],
    [
      new ImportFileGarbledError('the PFX file', 'certificate 1 cannot be parsed').message,
      'pfx',
      'pfx',
      /not a PKCS#12.*damaged/,
    ],
    ['pfxBase64: not base64', 'pfx', 'pfx', /not a PKCS#12/],
    [new ImportNoKeyError('the PFX file').message, 'pfx', 'pfx', /not its private key/],
    [new ImportWrongPassphraseError('the PFX file').message, 'pfx', 'passphrase', /passphrase does not open/],
    [new ImportKeyMismatchError('CN=gw').message, 'pem', 'keyPem', /does not belong to the certificate/],
    [new ImportUnsupportedKeyError('an RSA key of 1024 bits').message, 'pfx', 'pfx', /at least 2048 bits/],
    [new ImportExpiredError('CN=gw', new Date('2020-05-01T00:00:00Z')).message, 'pem', 'certPem', /expired on .*2020/],
    [
      new ImportNameNotCoveredError(['home.example.net'], ['other.example']).message,
      'pem',
      'certPem',
      /does not name home\.example\.net/,
    ],
    [new ImportNameNotCoveredError(['gw.example'], []).message, 'pfx', 'pfx', /does not name gw\.example,/],
    [new ImportNotServerCertificateError('CN=ca is a CA certificate').message, 'pem', 'certPem', /CA certificate/],
  ];
  for (const [message, format, field, words] of cases) {
    it(`${message.slice(0, 60)}… → ${field}`, () => {
      const problem = explainImportError(message, format);
      assert.equal(problem.field, field);
      assert.match(problem.text, words);
      assert.doesNotMatch(problem.text, /ASN\.1|DER|--passphrase-file|subjectAltName/, 'no jargon');
    });
  }
  it('anything else stays a message for the whole form', () => {
    assert.deepEqual(explainImportError('the gateway is busy', 'pem'), { field: 'form', text: 'the gateway is busy' });
  });
});
