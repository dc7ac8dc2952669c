import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeRdpFile,
  formatRdpFile,
  gatewayRdpSettings,
  RdpFileError,
  type RdpSetting,
} from '../../../main/rdpfile/rdp-file.ts';

const TOKEN = 'eyJhbGciOiJFZERTQSJ9.eyJob3N0cyI6WyJkZXNrdG9wIl19.c2lnbmF0dXJl';
const OPTIONS = {
  targetName: 'desktop',
  targetPort: 3389,
  gatewayAddress: 'gw.home.example:8443',
  accessToken: TOKEN,
};

/** Reads the bytes back as a client would: BOM, UTF-16LE, CRLF lines of `name:type:value`. */
function readBack(bytes: Buffer): Map<string, string> {
  assert.deepStrictEqual([...bytes.subarray(0, 2)], [0xff, 0xfe], 'UTF-16LE byte-order mark');
  assert.equal(bytes.length % 2, 0);
  const text = bytes.subarray(2).toString('utf16le');
  assert.ok(text.endsWith('\r\n'), 'the last line ends with CRLF');
  assert.ok(!/[^\r]\n|\r[^\n]/.test(text), 'every line break is CRLF');
  const settings = new Map<string, string>();
  for (const line of text.slice(0, -2).split('\r\n')) {
    const match = /^([a-z][a-z0-9 ]*):([si]):(.*)$/.exec(line);
    assert.ok(match, `not a setting line: ${JSON.stringify(line)}`);
    const [, name = '', type = '', value = ''] = match;
    assert.ok(!settings.has(name), `"${name}" appears once`);
    settings.set(name, `${type}:${value}`);
  }
  return settings;
}

describe('encodeRdpFile', () => {
  it('writes a BOM, then UTF-16LE text with CRLF line ends', () => {
    const bytes = encodeRdpFile([
      ['full address', 's', 'desktop'],
      ['server port', 'i', 3389],
    ]);
    const expected = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('full address:s:desktop\r\nserver port:i:3389\r\n', 'utf16le'),
    ]);
    assert.deepStrictEqual(bytes, expected);
    // Spot-check the byte order: 'f' (0x66) then its high byte 0.
    assert.deepStrictEqual([...bytes.subarray(2, 6)], [0x66, 0x00, 0x75, 0x00]);
  });

  it('encodes non-ASCII values, including characters outside the BMP, as UTF-16LE', () => {
    const bytes = encodeRdpFile([['username', 's', 'Zoë 😀']]);
    assert.equal(bytes.subarray(2).toString('utf16le'), 'username:s:Zoë 😀\r\n');
    assert.deepStrictEqual(readBack(bytes).get('username'), 's:Zoë 😀');
  });

  it('formats the same text it encodes', () => {
    const settings: RdpSetting[] = [
      ['a', 's', ''],
      ['b', 'i', -1],
    ];
    assert.equal(formatRdpFile(settings), 'a:s:\r\nb:i:-1\r\n');
  });
});

describe('gatewayRdpSettings', () => {
  it('produces a file that sends MSTSC and FreeRDP through the gateway with the PAA token', () => {
    const settings = readBack(encodeRdpFile(gatewayRdpSettings(OPTIONS)));
    assert.deepStrictEqual(Object.fromEntries(settings), {
      'full address': 's:desktop',
      'server port': 'i:3389',
      gatewayhostname: 's:gw.home.example:8443',
      gatewayusagemethod: 'i:1',
      gatewayprofileusagemethod: 'i:1',
      gatewaycredentialssource: 'i:5',
      gatewayaccesstoken: `s:${TOKEN}`,
      promptcredentialonce: 'i:0',
    });
  });

  it('carries the target port given', () => {
    const settings = readBack(encodeRdpFile(gatewayRdpSettings({ ...OPTIONS, targetPort: 3390 })));
    assert.equal(settings.get('server port'), 'i:3390');
  });

  it('refuses a token or address that would start a new line', () => {
    assert.throws(
      () => encodeRdpFile(gatewayRdpSettings({ ...OPTIONS, accessToken: `${TOKEN}\r\nfull address:s:evil` })),
      RdpFileError,
    );
    assert.throws(
      () => encodeRdpFile(gatewayRdpSettings({ ...OPTIONS, gatewayAddress: 'gw\nalternate shell:s:cmd' })),
      RdpFileError,
    );
  });
});

describe('formatRdpFile: refusals', () => {
  const controlValues: ReadonlyArray<readonly [string, string]> = [
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['CRLF', 'desktop\r\nfull address:s:evil'],
    ['NUL', 'a\0b'],
    ['a tab', 'a\tb'],
    ['DEL', 'a\u007fb'],
    ['a C1 control (NEL)', 'a\u0085b'],
  ];
  for (const [label, value] of controlValues) {
    it(`refuses a string value containing ${label}`, () => {
      assert.throws(
        () => formatRdpFile([['full address', 's', value]]),
        (error: unknown) => error instanceof RdpFileError && error.message.includes('full address'),
      );
    });
  }

  for (const name of ['', 'Full Address', 'full:address', 'gateway\r\nx', '1abc', ' full', 'naïve', 'a-b']) {
    it(`refuses the setting name ${JSON.stringify(name)}`, () => {
      assert.throws(() => formatRdpFile([[name, 's', 'x']]), RdpFileError);
    });
  }

  const notIntegers: ReadonlyArray<string | number> = [
    1.5,
    Number.NaN,
    Infinity,
    -Infinity,
    2 ** 53,
    '5',
    '5\r\nx:s:y',
  ];
  for (const value of notIntegers) {
    it(`refuses ${JSON.stringify(value) ?? String(value)} (${typeof value}) for an integer setting`, () => {
      assert.throws(
        () => formatRdpFile([['server port', 'i', value]]),
        (error: unknown) => error instanceof RdpFileError && error.message.includes('server port'),
      );
    });
  }

  it('accepts integer settings at the safe-integer bounds', () => {
    assert.equal(formatRdpFile([['x', 'i', Number.MAX_SAFE_INTEGER]]), `x:i:${Number.MAX_SAFE_INTEGER}\r\n`);
    assert.equal(formatRdpFile([['x', 'i', 0]]), 'x:i:0\r\n');
  });
});
