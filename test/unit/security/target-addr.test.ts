import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  APPLICATION_PROTOCOL_DEFAULT_PORTS,
  TargetAddrError,
  defaultPortFor,
  formatTargetAddr,
  parseTargetAddr,
} from '../../../main/security/target-addr.ts';

describe('TargetAddr', () => {
  it('parses the canonical form <scheme>://<addr>:<port>', () => {
    assert.deepStrictEqual(parseTargetAddr('tcp://192.168.1.38:3389'), {
      scheme: 'tcp',
      host: '192.168.1.38',
      port: 3389,
    });
    assert.deepStrictEqual(parseTargetAddr('udp://IT-HELP-DC.ad.it-help.ninja:2222'), {
      scheme: 'udp',
      host: 'it-help-dc.ad.it-help.ninja',
      port: 2222,
    });
  });

  it('defaults the scheme to tcp and the port to the one given', () => {
    assert.deepStrictEqual(parseTargetAddr('desktop.lan', 3389), { scheme: 'tcp', host: 'desktop.lan', port: 3389 });
    assert.deepStrictEqual(parseTargetAddr('desktop:3390', 3389), { scheme: 'tcp', host: 'desktop', port: 3390 });
    assert.deepStrictEqual(parseTargetAddr('TCP://desktop', 22), { scheme: 'tcp', host: 'desktop', port: 22 });
  });

  it('takes IPv6 literals in brackets, with or without a port', () => {
    assert.deepStrictEqual(parseTargetAddr('tcp://[fe80::1]:3390'), { scheme: 'tcp', host: 'fe80::1', port: 3390 });
    assert.deepStrictEqual(parseTargetAddr('[::1]', 3389), { scheme: 'tcp', host: '::1', port: 3389 });
    assert.equal(formatTargetAddr(parseTargetAddr('[::1]', 3389)), 'tcp://[::1]:3389');
  });

  it('refuses a missing port when the protocol has no default, saying so', () => {
    assert.throws(() => parseTargetAddr('tcp://desktop'), /no port/);
    assert.throws(() => parseTargetAddr('desktop', defaultPortFor('my-own-protocol')), /no port/);
  });

  const invalid = [
    '',
    'tcp://',
    'tcp://desktop:0',
    'tcp://desktop:65536',
    'tcp://desktop:33a',
    'tcp://desktop:3389/path',
    'tcp://desktop:3389?x=1',
    'tcp://desktop:3389#frag',
    'tcp://user@desktop:3389',
    'tcp://user:pass@desktop:3389',
    'desk top:3389',
    'fe80::1:3389',
    '[desktop]:3389',
    '[fe80::1',
    'tcp://-bad-:3389',
    'x'.repeat(301),
  ];
  for (const text of invalid) {
    it(`refuses ${JSON.stringify(text.length > 40 ? `${text.slice(0, 20)}…` : text)}`, () => {
      assert.throws(() => parseTargetAddr(text, 3389), TargetAddrError);
    });
  }

  it('formats back to the canonical form', () => {
    for (const text of ['tcp://desktop:3389', 'tcp://10.0.0.5:22', 'udp://kdc.example:88', 'tcp://[::1]:3389']) {
      assert.equal(formatTargetAddr(parseTargetAddr(text)), text);
    }
  });

  it("knows the seeds' ApplicationProtocol default ports, and no others", () => {
    assert.deepStrictEqual(
      { ...APPLICATION_PROTOCOL_DEFAULT_PORTS },
      {
        rdp: 3389,
        ssh: 22,
        'ssh-pwsh': 22,
        sftp: 22,
        scp: 22,
        ard: 5900,
        vnc: 5900,
        'winrm-http-pwsh': 5985,
        'winrm-https-pwsh': 5986,
        http: 80,
        https: 443,
      },
    );
    assert.equal(defaultPortFor('rdp'), 3389);
    assert.equal(defaultPortFor('toString'), undefined);
    assert.equal(defaultPortFor('unknown'), undefined);
  });
});
