import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import proxyaddr from 'proxy-addr';

import {
  MAX_FORWARDED_HOPS,
  createClientAddressResolver,
  forwardedForValues,
  nodeAddress,
  resolveClientAddress,
  type ForwardedHeaderName,
} from '../../../../main/gateway/http/forwarded.ts';
import { compileTrustedProxies } from '../../../../main/net/ip-address.ts';

interface Case {
  readonly name: string;
  readonly peer: string;
  readonly trusted: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
  readonly header?: ForwardedHeaderName;
  readonly client: string;
  readonly forwarded?: boolean;
}

const cases: Case[] = [
  // Untrusted peers: the headers are the sender's own words.
  {
    name: 'no trusted proxies: the header is ignored',
    peer: '203.0.113.5',
    trusted: [],
    headers: { 'x-forwarded-for': '127.0.0.1' },
    client: '203.0.113.5',
  },
  {
    name: 'an untrusted peer cannot claim to be someone else',
    peer: '198.51.100.1',
    trusted: ['10.0.0.0/8'],
    headers: { 'x-forwarded-for': '10.0.0.1', forwarded: 'for=10.0.0.1' },
    client: '198.51.100.1',
  },
  {
    name: 'a trusted peer without the header is the client itself',
    peer: '127.0.0.1',
    trusted: ['127.0.0.1'],
    client: '127.0.0.1',
  },
  // Trusted peers.
  {
    name: 'a trusted proxy forwarding one client',
    peer: '127.0.0.1',
    trusted: ['127.0.0.1'],
    headers: { 'x-forwarded-for': '203.0.113.7' },
    client: '203.0.113.7',
    forwarded: true,
  },
  {
    name: 'a spoofed entry left of the real client is ignored (right-most untrusted wins)',
    peer: '127.0.0.1',
    trusted: ['127.0.0.1'],
    headers: { 'x-forwarded-for': '10.9.9.9, 192.0.2.1, 203.0.113.7' },
    client: '203.0.113.7',
    forwarded: true,
  },
  {
    name: 'a client that spoofs a trusted address behind the proxy still ends the walk at itself',
    peer: '127.0.0.1',
    trusted: ['127.0.0.1'],
    headers: { 'x-forwarded-for': '127.0.0.1, 203.0.113.7' },
    client: '203.0.113.7',
    forwarded: true,
  },
  {
    name: 'a chain of trusted proxies (CIDR) is walked through',
    peer: '10.0.0.1',
    trusted: ['10.0.0.0/8'],
    headers: { 'x-forwarded-for': '203.0.113.7, 10.1.1.1, 10.2.2.2' },
    client: '203.0.113.7',
    forwarded: true,
  },
  {
    name: 'when every hop is trusted, the left-most one is the client',
    peer: '10.0.0.1',
    trusted: ['10.0.0.0/8'],
    headers: { 'x-forwarded-for': '10.5.5.5, 10.2.2.2' },
    client: '10.5.5.5',
    forwarded: true,
  },
  {
    name: 'repeated header lines form one list (joined in order)',
    peer: '127.0.0.1',
    trusted: ['127.0.0.1', '10.0.0.2'],
    headers: { 'x-forwarded-for': '203.0.113.7, 10.0.0.2' },
    client: '203.0.113.7',
    forwarded: true,
  },
  {
    name: 'garbage written by the peer: the client is the peer',
    peer: '127.0.0.1',
    trusted: ['127.0.0.1'],
    headers: { 'x-forwarded-for': '203.0.113.7, not-an-address' },
    client: '127.0.0.1',
  },
  {
    name: 'garbage behind a trusted hop: the client is that hop',
    peer: '127.0.0.1',
    trusted: ['127.0.0.1', '10.0.0.0/8'],
    headers: { 'x-forwarded-for': 'garbage, 10.0.0.2' },
    client: '10.0.0.2',
    forwarded: true,
  },
  {
    name: 'an empty header changes nothing',
    peer: '127.0.0.1',
    trusted: ['127.0.0.1'],
    headers: { 'x-forwarded-for': '' },
    client: '127.0.0.1',
  },
  {
    name: 'ports in X-Forwarded-For are dropped',
    peer: '127.0.0.1',
    trusted: ['127.0.0.1'],
    headers: { 'x-forwarded-for': '203.0.113.7:50123' },
    client: '203.0.113.7',
    forwarded: true,
  },
  // IPv6 and IPv4-mapped.
  {
    name: 'IPv6 peer and client, canonical form',
    peer: '::1',
    trusted: ['::1'],
    headers: { 'x-forwarded-for': '2001:DB8:0:0::1' },
    client: '2001:db8::1',
    forwarded: true,
  },
  {
    name: 'bracketed IPv6 with a port',
    peer: '::1',
    trusted: ['::1/128'],
    headers: { 'x-forwarded-for': '[2001:db8::1]:4711' },
    client: '2001:db8::1',
    forwarded: true,
  },
  {
    name: 'an IPv4-mapped peer matches an IPv4 trusted proxy and is reported as IPv4',
    peer: '::ffff:127.0.0.1',
    trusted: ['127.0.0.1'],
    headers: { 'x-forwarded-for': '::ffff:203.0.113.7' },
    client: '203.0.113.7',
    forwarded: true,
  },
  {
    name: 'an IPv4-mapped peer from an untrusted address stays untrusted, reported as IPv4',
    peer: '::ffff:198.51.100.1',
    trusted: ['127.0.0.1'],
    headers: { 'x-forwarded-for': '203.0.113.7' },
    client: '198.51.100.1',
  },
  {
    name: 'a trusted IPv6 CIDR',
    peer: 'fd00::10',
    trusted: ['fd00::/8'],
    headers: { 'x-forwarded-for': '198.51.100.4, fd12::1' },
    client: '198.51.100.4',
    forwarded: true,
  },
  // RFC 7239 Forwarded.
  {
    name: 'Forwarded: for= of the last element, other parameters ignored',
    peer: '127.0.0.1',
    trusted: ['127.0.0.1'],
    header: 'forwarded',
    headers: { forwarded: 'for=192.0.2.60;proto=http;by=203.0.113.43' },
    client: '192.0.2.60',
    forwarded: true,
  },
  {
    name: 'Forwarded: quoted IPv6 with port, case-insensitive parameter name',
    peer: '127.0.0.1',
    trusted: ['127.0.0.1'],
    header: 'forwarded',
    headers: { forwarded: 'For="[2001:db8:cafe::17]:4711"' },
    client: '2001:db8:cafe::17',
    forwarded: true,
  },
  {
    name: 'Forwarded: several elements, right-most untrusted wins',
    peer: '127.0.0.1',
    trusted: ['127.0.0.1', '10.0.0.0/8'],
    header: 'forwarded',
    headers: { forwarded: 'for=192.0.2.43, for=198.51.100.17;by=10.0.0.1, for=10.0.0.1' },
    client: '198.51.100.17',
    forwarded: true,
  },
  {
    name: 'Forwarded: an obfuscated or unknown node ends the walk',
    peer: '127.0.0.1',
    trusted: ['127.0.0.1'],
    header: 'forwarded',
    headers: { forwarded: 'for=192.0.2.43, for="_gazonk"' },
    client: '127.0.0.1',
  },
  {
    name: 'Forwarded: an element without for= ends the walk',
    peer: '127.0.0.1',
    trusted: ['127.0.0.1'],
    header: 'forwarded',
    headers: { forwarded: 'for=192.0.2.43, proto=https' },
    client: '127.0.0.1',
  },
  {
    name: 'Forwarded: quoted commas and semicolons do not split',
    peer: '127.0.0.1',
    trusted: ['127.0.0.1'],
    header: 'forwarded',
    headers: { forwarded: 'by="a,b;c";for="192.0.2.9"' },
    client: '192.0.2.9',
    forwarded: true,
  },
  // Only the configured header counts: the other one is whatever the client sent.
  {
    name: 'with X-Forwarded-For configured, a Forwarded header is ignored',
    peer: '127.0.0.1',
    trusted: ['127.0.0.1'],
    headers: { forwarded: 'for=10.10.10.10', 'x-forwarded-for': '203.0.113.7' },
    client: '203.0.113.7',
    forwarded: true,
  },
  {
    name: 'with Forwarded configured, X-Forwarded-For is ignored',
    peer: '127.0.0.1',
    trusted: ['127.0.0.1'],
    header: 'forwarded',
    headers: { 'x-forwarded-for': '10.10.10.10' },
    client: '127.0.0.1',
  },
];

describe('resolveClientAddress', () => {
  for (const testCase of cases) {
    it(testCase.name, () => {
      const result = resolveClientAddress(testCase.peer, new Map(Object.entries(testCase.headers ?? {})), {
        trustedProxies: compileTrustedProxies(testCase.trusted),
        header: testCase.header ?? 'x-forwarded-for',
      });
      assert.equal(result.address, testCase.client);
      assert.equal(result.forwarded, testCase.forwarded ?? false);
      assert.equal(result.peer, testCase.peer.replace(/^::ffff:/, ''));
    });
  }

  it(`examines at most ${MAX_FORWARDED_HOPS} hops`, () => {
    const hops = Array.from({ length: MAX_FORWARDED_HOPS + 5 }, (_, index) => `10.0.0.${index + 1}`);
    const result = resolveClientAddress('10.0.1.1', new Map([['x-forwarded-for', hops.join(', ')]]), {
      trustedProxies: compileTrustedProxies(['10.0.0.0/8']),
      header: 'x-forwarded-for',
    });
    assert.equal(result.address, hops[hops.length - MAX_FORWARDED_HOPS]);
  });

  it('a peer that is not an IP literal is passed through', () => {
    const result = resolveClientAddress('unknown', new Map(), {
      trustedProxies: compileTrustedProxies(['127.0.0.1']),
      header: 'x-forwarded-for',
    });
    assert.equal(result.address, 'unknown');
  });
});

describe('nodeAddress and forwardedForValues', () => {
  it('reads the forms proxies write', () => {
    assert.equal(nodeAddress(' 192.0.2.1 '), '192.0.2.1');
    assert.equal(nodeAddress('"192.0.2.1:80"'), '192.0.2.1');
    assert.equal(nodeAddress('[::1]'), '::1');
    assert.equal(nodeAddress('"[::ffff:192.0.2.1]:443"'), '192.0.2.1');
    assert.equal(nodeAddress('unknown'), undefined);
    assert.equal(nodeAddress('_hidden'), undefined);
    assert.equal(nodeAddress('[::1'), undefined);
    assert.equal(nodeAddress('192.0.2.1:99999999'), undefined);
  });

  it('splits Forwarded elements outside quotes only', () => {
    assert.deepEqual(forwardedForValues('for=a;by=b, for="c,d", proto=x'), ['a', '"c,d"', 'unknown']);
    assert.deepEqual(forwardedForValues('for="a\\"b";for=second'), ['"a\\"b"']);
  });
});

describe('createClientAddressResolver', () => {
  it('follows the settings as they change', () => {
    let settings = { trustedProxies: [] as string[], forwardedHeader: 'x-forwarded-for' as const };
    const resolve = createClientAddressResolver(() => settings);
    const headers = new Map([['x-forwarded-for', '203.0.113.7']]);
    assert.equal(resolve('127.0.0.1', headers), '127.0.0.1');
    settings = { ...settings, trustedProxies: ['127.0.0.0/8'] };
    assert.equal(resolve('127.0.0.1', headers), '203.0.113.7');
  });
});

describe('where proxyaddr(req, trust) reads a request differently', () => {
  // The same trust and the same walk on a real request: the chains where proxy-addr agrees, and the forms it reads
  // otherwise (why ours differs is at the top of forwarded.ts).
  const cases: [xForwardedFor: string, proxyAddr: string, ours: string][] = [
    ['203.0.113.7', '203.0.113.7', '203.0.113.7'],
    ['10.9.9.9, 192.0.2.1, 203.0.113.7', '203.0.113.7', '203.0.113.7'],
    ['203.0.113.7, 127.0.0.1', '203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '::ffff:203.0.113.7', '203.0.113.7'],
    ['203.0.113.7:50123', '203.0.113.7:50123', '203.0.113.7'],
    ['[2001:db8::1]:4711', '[2001:db8::1]:4711', '2001:db8::1'],
    ['203.0.113.7, not-an-address', 'not-an-address', '127.0.0.1'],
  ];

  it('agrees on plain chains; keeps ports and brackets, and makes an unreadable hop the client', async () => {
    const resolve = createClientAddressResolver(() => ({
      trustedProxies: ['127.0.0.1'],
      forwardedHeader: 'x-forwarded-for',
    }));
    const trust = proxyaddr.compile(['127.0.0.1']);
    const seen: [string, string][] = [];
    const server = createServer((request: IncomingMessage, response) => {
      const header = String(request.headers['x-forwarded-for']);
      seen.push([
        proxyaddr(request, trust),
        resolve(request.socket.remoteAddress ?? '', new Map([['x-forwarded-for', header]])),
      ]);
      response.end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      for (const [header] of cases) {
        const sent = httpRequest({ host: '127.0.0.1', port, headers: { 'x-forwarded-for': header } });
        sent.end();
        const [response] = (await once(sent, 'response')) as [IncomingMessage];
        response.resume();
        await once(response, 'end');
      }
    } finally {
      server.close();
    }
    assert.deepEqual(
      seen,
      cases.map(([, proxyAddr, ours]) => [proxyAddr, ours]),
    );
  });
});
