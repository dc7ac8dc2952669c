import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, it } from 'node:test';
import { InvalidPublicNameError } from '../../../main/certs/errors.ts';
import {
  defaultSubjectAltNames,
  isDnsName,
  normalizeIpAddress,
  parsePublicName,
} from '../../../main/certs/subject-alt-names.ts';

function v4(address: string, internal = false): NetworkInterfaceInfo {
  return { address, netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal, cidr: null };
}

function v6(address: string, scopeid = 0, internal = false): NetworkInterfaceInfo {
  return {
    address,
    netmask: 'ffff:ffff:ffff:ffff::',
    family: 'IPv6',
    mac: '00:00:00:00:00:00',
    internal,
    cidr: null,
    scopeid,
  };
}

const INTERFACES = {
  lo: [v4('127.0.0.1', true), v6('::1', 0, true)],
  wlan0: [v4('192.168.1.50'), v6('fe80::1c2b:3aff:fe4d:5e6f', 3), v6('2001:DB8::50')],
  eth0: [v4('10.0.0.7'), v4('169.254.10.20'), v6('fd12:3456::7')],
  docker0: [v4('192.168.1.50')],
};

describe('defaultSubjectAltNames', () => {
  it('lists localhost, the host name, loopback, LAN addresses, then public names', () => {
    const names = defaultSubjectAltNames({
      publicNames: ['gw.example.com', '203.0.113.9', '2001:db8::9'],
      hostname: 'Home-PC',
      networkInterfaces: INTERFACES,
    });
    assert.deepEqual(names.dnsNames, ['localhost', 'home-pc', 'gw.example.com']);
    assert.deepEqual(names.ipAddresses, [
      '127.0.0.1',
      '::1',
      '10.0.0.7',
      '192.168.1.50',
      '2001:db8::50',
      'fd12:3456::7',
      '203.0.113.9',
      '2001:db8::9',
    ]);
  });

  it('skips link-local and internal addresses and deduplicates', () => {
    const names = defaultSubjectAltNames({
      publicNames: ['LOCALHOST', '192.168.1.50', '0:0:0:0:0:0:0:1'],
      hostname: 'localhost',
      networkInterfaces: INTERFACES,
    });
    assert.deepEqual(names.dnsNames, ['localhost']);
    assert.ok(!names.ipAddresses.some((ip) => ip.startsWith('fe80') || ip.startsWith('169.254.')));
    assert.equal(new Set(names.ipAddresses).size, names.ipAddresses.length);
  });

  it('gives the same order whatever order the interfaces come in', () => {
    const reversed = Object.fromEntries(Object.entries(INTERFACES).reverse());
    const a = defaultSubjectAltNames({ publicNames: [], hostname: 'h', networkInterfaces: INTERFACES });
    const b = defaultSubjectAltNames({ publicNames: [], hostname: 'h', networkInterfaces: reversed });
    assert.deepEqual(a, b);
  });

  it('leaves out a host name that is not a valid DNS name', () => {
    const names = defaultSubjectAltNames({ publicNames: [], hostname: 'my_pc', networkInterfaces: {} });
    assert.deepEqual(names, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] });
  });

  it('uses the real machine by default', () => {
    const names = defaultSubjectAltNames({ publicNames: ['example.org'] });
    assert.equal(names.dnsNames[0], 'localhost');
    assert.ok(names.dnsNames.includes('example.org'));
    assert.deepEqual(names.ipAddresses.slice(0, 2), ['127.0.0.1', '::1']);
  });

  it('throws an error naming a bad public name', () => {
    assert.throws(
      () => defaultSubjectAltNames({ publicNames: ['ok.example.com', 'bad_name.example.com'], networkInterfaces: {} }),
      (error: unknown) =>
        error instanceof InvalidPublicNameError &&
        error.code === 'ERR_INVALID_PUBLIC_NAME' &&
        error.publicName === 'bad_name.example.com' &&
        error.message.includes('"bad_name.example.com"'),
    );
  });
});

describe('parsePublicName', () => {
  it('classifies DNS names and IP literals', () => {
    assert.deepEqual(parsePublicName('GW.Example.COM'), { kind: 'dns', value: 'gw.example.com' });
    assert.deepEqual(parsePublicName('xn--bcher-kva.example'), { kind: 'dns', value: 'xn--bcher-kva.example' });
    assert.deepEqual(parsePublicName('203.0.113.1'), { kind: 'ip', value: '203.0.113.1' });
    assert.deepEqual(parsePublicName('2001:DB8:0:0::1'), { kind: 'ip', value: '2001:db8::1' });
  });

  for (const bad of [
    '',
    ' gw.example.com',
    '-gw.example.com',
    'gw-.example.com',
    'gw..example.com',
    'gw.example.com.',
    '*.example.com',
    '[2001:db8::1]',
    'fe80::1%eth0',
    '256.1.1.1',
    '1.2.3',
    'a'.repeat(64) + '.example.com',
    'https://gw.example.com',
    'gw.example.com:3391',
  ]) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parsePublicName(bad), InvalidPublicNameError);
    });
  }
});

describe('isDnsName / normalizeIpAddress', () => {
  it('accepts single labels and 253-character names', () => {
    assert.ok(isDnsName('localhost'));
    const long = Array.from({ length: 4 }, () => 'a'.repeat(62)).join('.') + '.a';
    assert.equal(long.length, 253);
    assert.ok(isDnsName(long));
    assert.ok(!isDnsName(`${long}c`));
  });

  it('writes IPv6 in its canonical form', () => {
    assert.equal(normalizeIpAddress('0:0:0:0:0:0:0:1'), '::1');
    assert.equal(normalizeIpAddress('FD00:0:0:0:0:0:0:2'), 'fd00::2');
    assert.equal(normalizeIpAddress('192.0.2.1'), '192.0.2.1');
    assert.throws(() => normalizeIpAddress('example.com'), TypeError);
  });
});
