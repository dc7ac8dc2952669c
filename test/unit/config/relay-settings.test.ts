import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { SettingsFileSchema, describeIssues } from '../../../main/config/schema.ts';

/** A settings file as written before the relay, Wake-on-LAN and provisioner keys existed. */
const OLD_FILE = {
  version: 1,
  gatewayId: randomUUID(),
  listen: { host: '0.0.0.0', port: 8443 },
  publicNames: [],
  hosts: [{ name: 'desk', address: '192.168.1.20', port: 3389, mac: '00:11:22:33:44:55' }],
  tokens: { paaTtlSeconds: 900 },
};

describe('settings: relay, Wake-on-LAN and provisioner keys', () => {
  it('an older file still loads, with the relay off and safe defaults', () => {
    const settings = SettingsFileSchema.parse(OLD_FILE);
    assert.deepStrictEqual(settings.relay, { reuseWindowSeconds: 10, maxReuses: 10 });
    assert.equal(settings.relay.listen, undefined);
    assert.deepStrictEqual(settings.wakeOnLan, { broadcastAddress: '255.255.255.255', port: 9, bootWaitSeconds: 120 });
    assert.deepStrictEqual(settings.tokens.provisionerKeys, []);
  });

  it('takes a relay address, a broadcast address and provisioner keys', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const settings = SettingsFileSchema.parse({
      ...OLD_FILE,
      relay: { listen: { host: '0.0.0.0', port: 8181 }, reuseWindowSeconds: 0 },
      wakeOnLan: { broadcastAddress: '192.168.1.255' },
      tokens: {
        paaTtlSeconds: 900,
        provisionerKeys: [
          { kid: 'dvls', alg: 'ES256', publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) },
        ],
      },
    });
    assert.deepStrictEqual(settings.relay, {
      listen: { host: '0.0.0.0', port: 8181 },
      reuseWindowSeconds: 0,
      maxReuses: 10,
    });
    assert.equal(settings.wakeOnLan.broadcastAddress, '192.168.1.255');
    assert.equal(settings.tokens.provisionerKeys[0]?.requireGatewayId, true);
  });

  it('names the field of a bad value', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ relay: { maxReuses: -1 } }, /^relay\.maxReuses:/],
      [{ relay: { unknown: 1 } }, /^relay:/],
      [{ wakeOnLan: { broadcastAddress: 'lan' } }, /^wakeOnLan\.broadcastAddress: not an IP address/],
      [
        { tokens: { paaTtlSeconds: 900, provisionerKeys: [{ kid: 'x', alg: 'RS256', publicKeyPem: 'nope' }] } },
        /^tokens\.provisionerKeys\.0: key "x" is not a readable public key/,
      ],
    ];
    for (const [change, message] of cases) {
      const result = SettingsFileSchema.safeParse({ ...OLD_FILE, ...change });
      assert.equal(result.success, false);
      assert.match(describeIssues(result.error), message);
    }
  });
});
