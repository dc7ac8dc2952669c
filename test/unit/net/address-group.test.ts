import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressGroup } from '../../../main/net/ip-address.ts';

describe('addressGroup: the unit a per-address cap counts', () => {
  it('an IPv4 address is its own group', () => {
    assert.equal(addressGroup('203.0.113.7'), '203.0.113.7');
    assert.notEqual(addressGroup('203.0.113.7'), addressGroup('203.0.113.8'));
  });

  it('IPv6 addresses in one /64 share a group, whatever their spelling', () => {
    const group = addressGroup('2001:db8:1:2::1');
    assert.equal(group, '2001:db8:1:2::/64');
    for (const address of ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0DB8:0001:0002:a:b:c:d', '2001:db8:1:2::a:b']) {
      assert.equal(addressGroup(address), group, address);
    }
    assert.equal(addressGroup('2001:db8:1:2:0:0:1.2.3.4'), group);
    assert.equal(addressGroup('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(addressGroup('::1'), '0:0:0:0::/64');
  });

  it('the next /64 is another group', () => {
    assert.notEqual(addressGroup('2001:db8:1:2::1'), addressGroup('2001:db8:1:3::1'));
    assert.notEqual(addressGroup('2001:db8::1'), addressGroup('2001:db9::1'));
  });

  it('an IPv4-mapped IPv6 address is the IPv4 client it maps', () => {
    assert.equal(addressGroup('::ffff:198.51.100.4'), '198.51.100.4');
    assert.equal(addressGroup('::FFFF:c633:6404'), '198.51.100.4');
  });

  it('anything else is taken as given (it still counts against itself)', () => {
    assert.equal(addressGroup('unknown'), 'unknown');
  });
});
