import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { SettingsFileSchema, defaultSettings, describeIssues } from '../../../main/config/schema.ts';

/** A settings file as written before the `http` key existed. */
const OLD_FILE = {
  version: 1,
  gatewayId: randomUUID(),
  listen: { host: '0.0.0.0', port: 8443 },
  publicNames: [],
  hosts: [],
  tokens: { paaTtlSeconds: 900 },
};

describe('settings: the HTTP front door behind a reverse proxy', () => {
  it('an older file still loads: no plain listener, no trusted proxy, X-Forwarded-For', () => {
    const settings = SettingsFileSchema.parse(OLD_FILE);
    assert.deepStrictEqual(settings.http, { trustedProxies: [], forwardedHeader: 'x-forwarded-for' });
    assert.deepStrictEqual(defaultSettings().http, settings.http);
  });

  it('takes a plain listener, trusted proxies (IPs and CIDRs, IPv4 and IPv6) and the header to believe', () => {
    const settings = SettingsFileSchema.parse({
      ...OLD_FILE,
      http: {
        plainListen: { host: '127.0.0.1', port: 8080 },
        trustedProxies: ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', '::ffff:192.168.0.0/112'],
        forwardedHeader: 'forwarded',
      },
    });
    assert.deepStrictEqual(settings.http.plainListen, { host: '127.0.0.1', port: 8080 });
    assert.equal(settings.http.trustedProxies.length, 5);
    assert.equal(settings.http.forwardedHeader, 'forwarded');
  });

  it('names the field of a bad value', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ trustedProxies: ['proxy.lan'] }, /^http\.trustedProxies\.0: not an IP address or CIDR range/],
      [{ trustedProxies: ['10.0.0.0/33'] }, /^http\.trustedProxies\.0:/],
      [{ forwardedHeader: 'x-real-ip' }, /^http\.forwardedHeader:/],
      [{ plainListen: { host: '127.0.0.1', port: 0 } }, /^http\.plainListen\.port:/],
      [{ unknown: true }, /^http:/],
    ];
    for (const [http, message] of cases) {
      const result = SettingsFileSchema.safeParse({ ...OLD_FILE, http });
      assert.equal(result.success, false, JSON.stringify(http));
      if (!result.success) assert.match(describeIssues(result.error), message);
    }
  });
});
