import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  HostSchema,
  formatHostAndPort,
  hostAddressProblem,
  isHostAddress,
  parseHostAndPort,
  portProblem,
  readHostAndPort,
} from '../../../../shared/model/hosts.ts';

describe('isHostAddress: one set of rules for the CLI, the contract and the forms', () => {
  const valid: string[] = [
    // IPv4
    '192.168.1.20',
    '0.0.0.0',
    '255.255.255.255',
    '10.0.0.1',
    // IPv6, without brackets or zone
    '::1',
    '::',
    '2001:db8::1',
    '2001:DB8:0:0:1:0:0:1',
    'fe80::1',
    '::ffff:192.0.2.1',
    '1::',
    // DNS names
    'desktop',
    'desktop.lan',
    'my-pc.home.example.net',
    'a',
    'xn--bcher-kva.example',
    'host1.example.com',
    '3com.example',
  ];
  const invalid: [string, RegExp][] = [
    ['', /enter a host name/],
    ['300.1.1.1', /IPv4/],
    ['192.168.1', /IPv4/],
    ['192.168.1.256', /IPv4/],
    ['1.2.3.4.5', /IPv4/],
    ['01.2.3.4', /IPv4/],
    ['192.168.1.30:3390', /port/],
    ['desktop:3389', /port/],
    ['[192.168.1.30:3390]', /brackets/],
    ['[::1]', /brackets/],
    ['[::1]:3389', /brackets/],
    ['fe80::1%eth0', /zone/],
    ['1:2:3:4:5:6:7:8:9', /IPv6/],
    ['12345::1', /IPv6/],
    ['::g', /IPv6/],
    ['1::2::3', /IPv6/],
    ['abc:def:ghi', /IPv6/],
    ['-desktop', /host name/],
    ['desktop-', /host name/],
    ['desk top', /spaces/],
    ['desk_top', /host name/],
    ['desktop..lan', /host name/],
    ['https://desktop', /https/],
    ['desktop/path', /path/],
    ['a'.repeat(64), /host name/],
    [`${'a.'.repeat(127)}ab`, /too long/],
    ['example.123', /host name or IPv4/],
  ];
  for (const value of valid) {
    it(`accepts ${value}`, () => {
      assert.equal(hostAddressProblem(value), undefined);
      assert.equal(isHostAddress(value), true);
    });
  }
  for (const [value, reason] of invalid) {
    it(`refuses ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`, () => {
      assert.equal(isHostAddress(value), false);
      assert.match(hostAddressProblem(value) ?? '', reason);
    });
  }
});

describe('portProblem: plain decimal 1–65535', () => {
  for (const text of ['1', '22', '3389', '65535', '03389']) {
    it(`accepts ${text}`, () => assert.equal(portProblem(text), undefined));
  }
  for (const text of ['0', '65536', '99999', '', '-1', '1e3', '0x10', '33.5', ' 3389', '+80', '100000']) {
    it(`refuses ${JSON.stringify(text)}`, () => assert.equal(portProblem(text), 'use a port from 1 to 65535'));
  }
});

describe('readHostAndPort: HOST[:PORT] as typed', () => {
  const good: [string, string, number][] = [
    ['192.168.1.30:3390', '192.168.1.30', 3390],
    ['192.168.1.30', '192.168.1.30', 3389],
    [' desktop.lan:1 ', 'desktop.lan', 1],
    ['desktop:65535', 'desktop', 65535],
    ['[::1]:3390', '::1', 3390],
    ['[2001:db8::1]', '2001:db8::1', 3389],
    ['2001:db8::1', '2001:db8::1', 3389],
    ['::1', '::1', 3389],
  ];
  for (const [text, host, port] of good) {
    it(`reads ${text}`, () => {
      assert.deepEqual(readHostAndPort(text), { ok: true, host, port });
      assert.deepEqual(parseHostAndPort(text), { host, port });
      assert.deepEqual(parseHostAndPort(formatHostAndPort(host, port)), { host, port });
    });
  }
  const bad: [string, 'address' | 'port'][] = [
    ['192.168.1.20:99999', 'port'],
    ['192.168.1.20:0', 'port'],
    ['192.168.1.20:', 'port'],
    ['192.168.1.20:1e3', 'port'],
    ['[::1]:', 'port'],
    ['[::1]:70000', 'port'],
    ['300.1.1.1', 'address'],
    ['300.1.1.1:3389', 'address'],
    ['[192.168.1.30:3390]:3389', 'address'],
    ['[192.168.1.30]:3389', 'address'],
    ['[fe80::1%eth0]:3389', 'address'],
    ['[]:3389', 'address'],
    ['', 'address'],
  ];
  for (const [text, field] of bad) {
    it(`refuses ${JSON.stringify(text)} on its ${field}`, () => {
      const result = readHostAndPort(text);
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.field, field);
      assert.equal(parseHostAndPort(text), undefined);
    });
  }
  it('takes the default port it is given; a default of 0 means the text must name one', () => {
    assert.deepEqual(parseHostAndPort('gw.example.net', 443), { host: 'gw.example.net', port: 443 });
    assert.equal(parseHostAndPort('relay', 0), undefined);
    assert.deepEqual(parseHostAndPort('relay:8444', 0), { host: 'relay', port: 8444 });
  });
});

describe('HostSchema: the contract takes the same rules', () => {
  it('refuses what the form once saved with a green "Added"', () => {
    for (const address of ['192.168.1.30:3390', '[192.168.1.30:3390]', '300.1.1.1']) {
      const parsed = HostSchema.safeParse({ name: 'pc', address, port: 3389 });
      assert.equal(parsed.success, false, address);
    }
    assert.equal(HostSchema.safeParse({ name: 'pc', address: '192.168.1.20', port: 99999 }).success, false);
  });
  it('says why in the message', () => {
    const parsed = HostSchema.safeParse({ name: 'pc', address: '300.1.1.1', port: 3389 });
    assert.match(parsed.error?.issues[0]?.message ?? '', /IPv4/);
  });
});
