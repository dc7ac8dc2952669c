import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { LimitsSchema, SettingsFileSchema, describeIssues } from '../../../main/config/schema.ts';

describe('settings: connection limits', () => {
  it('a file without `limits` loads with the home-gateway defaults', () => {
    const settings = SettingsFileSchema.parse({
      version: 1,
      gatewayId: randomUUID(),
      listen: { host: '0.0.0.0', port: 8443 },
      publicNames: [],
      hosts: [],
      tokens: { paaTtlSeconds: 900 },
    });
    assert.deepStrictEqual(settings.limits, LimitsSchema.parse({}));
    assert.equal(settings.limits.tlsHandshakeSeconds, 10);
    assert.equal(settings.limits.requestHeadSeconds, 20);
    // Per-address caps well below the global ones.
    assert.ok(settings.limits.maxPendingConnectionsPerAddress * 16 <= settings.limits.maxPendingConnections);
    assert.ok(settings.limits.maxPendingRelayConnectionsPerAddress * 16 <= settings.limits.maxPendingRelayConnections);
    assert.ok(settings.limits.maxHalfOpenLegacyPairsPerAddress * 16 <= settings.limits.maxHalfOpenLegacyPairs);
  });

  it('takes sub-second deadlines and other caps', () => {
    const limits = LimitsSchema.parse({
      tlsHandshakeSeconds: 0.2,
      requestHeadSeconds: 0.5,
      maxPendingConnections: 8,
      maxPendingConnectionsPerAddress: 2,
    });
    assert.equal(limits.requestHeadSeconds, 0.5);
    assert.equal(limits.maxPendingConnections, 8);
  });

  it('refuses a part larger than its whole, unknown fields and nonsense', () => {
    const refused = (input: unknown): string => {
      const result = LimitsSchema.safeParse(input);
      assert.equal(result.success, false, JSON.stringify(input));
      return describeIssues(result.error);
    };
    assert.match(
      refused({ tlsHandshakeSeconds: 30, requestHeadSeconds: 20 }),
      /tlsHandshakeSeconds: may not exceed requestHeadSeconds/,
    );
    assert.match(refused({ maxPendingConnectionsPerAddress: 600 }), /may not exceed maxPendingConnections/);
    assert.match(refused({ maxHalfOpenLegacyPairs: 4 }), /maxHalfOpenLegacyPairsPerAddress: may not exceed/);
    refused({ maxConnections: 0 });
    refused({ relayPduSeconds: -1 });
    refused({ maxPendingConnections: 1.5 });
    refused({ headTimeout: 5 });
  });
});
