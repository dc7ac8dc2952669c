import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { compileTrustedProxies, isIpRange, localAddressFor, normalizeIpAddress } from '../../../main/net/ip-address.ts';

describe('normalizeIpAddress', () => {
  const canonical: [string, string][] = [
    ['127.0.0.1', '127.0.0.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::1', '::1'],
    ['::', '::'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['1::', '1::'],
    ['fe80::1%eth0', 'fe80::1'],
    // IPv4-mapped IPv6 is the IPv4 client it carries (a dual-stack socket reports IPv4 clients this way).
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:7f00:1', '127.0.0.1'],
    ['0:0:0:0:0:ffff:192.0.2.1', '192.0.2.1'],
    // Not mapped: IPv4-compatible (deprecated) and other embedded forms stay IPv6.
    ['::192.0.2.1', '::c000:201'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
  ];
  for (const [input, expected] of canonical) {
    it(`${input} → ${expected}`, () => assert.equal(normalizeIpAddress(input), expected));
  }

  const invalid = [
    '',
    'localhost',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.4 ',
    ':::',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    ':1',
    '1:',
    '12345::',
    'g::1',
    '1.2.3.4::',
    '::1.2.3',
    'fe80::1%',
    '[::1]',
    '1:2:3:4:5:6:7::8:9',
  ];
  for (const input of invalid) {
    it(`refuses ${JSON.stringify(input)}`, () => assert.equal(normalizeIpAddress(input), undefined));
  }

  it('round-trips canonical text', () => {
    for (const text of ['10.1.2.3', '2001:db8:1:2:3:4:5:6', '::', 'fe80::']) {
      assert.equal(normalizeIpAddress(text), text);
    }
  });
});

describe('IP ranges', () => {
  const cases: [range: string, address: string, inside: boolean][] = [
    ['127.0.0.1', '127.0.0.1', true],
    ['127.0.0.1', '127.0.0.2', false],
    ['127.0.0.0/8', '127.255.1.2', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['192.168.1.0/23', '192.168.0.77', true],
    ['192.168.1.0/23', '192.168.2.1', false],
    ['172.16.0.0/12', '172.31.255.255', true],
    ['172.16.0.0/12', '172.32.0.0', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['10.1.2.3/8', '10.200.0.1', true],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['::1', '::1', true],
    ['fd00::/8', 'fdab:1::2', true],
    // A mapped client matches IPv4 ranges; a mapped range with prefix >= 96 is an IPv4 range.
    ['127.0.0.1', '::ffff:127.0.0.1', true],
    ['::ffff:10.0.0.0/104', '10.9.8.7', true],
    ['::ffff:127.0.0.1', '127.0.0.1', true],
    // Families never mix otherwise.
    ['::/0', '127.0.0.1', false],
    ['0.0.0.0/0', '::1', false],
  ];
  for (const [range, address, inside] of cases) {
    it(`${address} is ${inside ? '' : 'not '}in ${range}`, () => {
      assert.ok(isIpRange(range) && normalizeIpAddress(address) !== undefined);
      assert.equal(compileTrustedProxies([range])(address), inside);
    });
  }

  for (const bad of [
    '',
    '10.0.0.0/33',
    '::/129',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '10.0.0.0/a',
    'fe80::1%eth0',
    'a.b.c.d/8',
  ]) {
    it(`refuses the range ${JSON.stringify(bad)}`, () => {
      assert.equal(isIpRange(bad), false);
      assert.throws(() => compileTrustedProxies([bad]), TypeError);
    });
  }

  it('an empty list includes nothing, and garbage is never included', () => {
    assert.equal(compileTrustedProxies([])('127.0.0.1'), false);
    assert.equal(compileTrustedProxies(['0.0.0.0/0'])('not-an-ip'), false);
  });
});

describe('localAddressFor', () => {
  it('a wildcard is reached on the loopback of its family; any other address as it is', () => {
    assert.equal(localAddressFor('0.0.0.0'), '127.0.0.1');
    assert.equal(localAddressFor(''), '127.0.0.1');
    assert.equal(localAddressFor('::'), '::1');
    assert.equal(localAddressFor('0:0::0'), '::1');
    assert.equal(localAddressFor('::1'), '::1');
    assert.equal(localAddressFor('192.168.1.20'), '192.168.1.20');
    assert.equal(localAddressFor('fd00::2'), 'fd00::2');
  });
});
