import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  auditEventLabel,
  auditToCsv,
  auditToJson,
  dayStart,
  describeAudit,
  rawLine,
} from '../../renderer/src/audit-format.ts';
import type { AuditEvent } from '../../main/sessions/audit-log.ts';
import type { IssuedToken } from '../../shared/model/ui.ts';

/** Every event the gateway writes; the type check fails here when it gains one this list does not name. */
const EVERY_EVENT: Readonly<Record<AuditEvent['event'], true>> = {
  'tunnel.connect': true,
  'tunnel.refused': true,
  'tunnel.end': true,
  'connection.dropped': true,
  'jrl.updated': true,
  'audit.resumed': true,
  'download-link.issued': true,
  'download-link.used': true,
  'download-link.refused': true,
  'admin.login': true,
  'admin.login-refused': true,
  'admin.logout': true,
  'gateway.paused': true,
  'gateway.resumed': true,
  'session.disconnected': true,
  'host.added': true,
  'host.updated': true,
  'host.removed': true,
  'host.woken': true,
  'token.issued': true,
  'token.revoked': true,
  'certificate.regenerated': true,
  'certificate.imported': true,
  'settings.updated': true,
};

const TOKEN: IssuedToken = {
  jti: 'ABCDEF12-0000-4000-8000-000000000001',
  kind: 'device',
  host: 'desktop',
  label: undefined,
  device: 'Sam’s iPad',
  singleUse: false,
  issuedAt: '2030-01-01T00:00:00.000Z',
  expiresAt: '2030-02-01T00:00:00.000Z',
  revokedAt: undefined,
};
const tokens = new Map([[TOKEN.jti.toLowerCase(), TOKEN]]);

describe('the audit log in words', () => {
  it('names the device behind a token id, sizes and durations instead of byte counts', () => {
    const end = {
      time: '2030-01-01T10:00:00.000Z',
      event: 'tunnel.end',
      client: '192.0.2.7',
      clientName: 'LAPTOP',
      tokenId: TOKEN.jti.toLowerCase(),
      host: 'desktop',
      reason: 'client-closed',
      bytesToTarget: 1536,
      bytesToClient: 5 * 1024 * 1024,
      durationMs: 65 * 60 * 1000,
    };
    assert.equal(
      describeAudit(end, tokens),
      'LAPTOP left desktop after 1 h 5 min: the client closed the connection. Sent 1.5 KB, received 5 MB.',
    );
    assert.equal(
      describeAudit({ ...end, event: 'tunnel.connect' }, tokens),
      'LAPTOP connected to desktop with “Sam’s iPad”.',
    );
    assert.equal(
      describeAudit({ ...end, event: 'tunnel.connect', tokenId: '0123456789abcdef' }, new Map()),
      'LAPTOP connected to desktop with token 01234567….',
    );
    assert.equal(auditEventLabel('tunnel.end'), 'Disconnected');
    assert.equal(auditEventLabel('something.new'), 'something.new');
  });

  it('says who did an admin action and from where', () => {
    assert.equal(
      describeAudit(
        {
          time: 't',
          event: 'host.added',
          host: 'nas',
          address: '10.0.0.5',
          port: 3390,
          via: 'web',
          client: '192.0.2.1',
        },
        tokens,
      ),
      'Added nas at 10.0.0.5:3390 from 192.0.2.1.',
    );
    assert.equal(
      describeAudit(
        { time: 't', event: 'token.issued', kind: 'device', host: 'desktop', device: 'phone', via: 'app' },
        tokens,
      ),
      'Issued a per-device token for desktop on “phone” in the app.',
    );
  });

  it('says who sent a wake-up packet, and why one could not be sent', () => {
    const woken = { time: 't', event: 'host.woken', host: 'desk', mac: '00:11:22:33:44:55', via: 'web' };
    assert.equal(
      describeAudit({ ...woken, result: 'sent', client: '192.0.2.1' }, tokens),
      'Sent a wake-up packet to desk from 192.0.2.1.',
    );
    assert.equal(
      describeAudit({ ...woken, via: 'app', result: 'failed', error: 'ENETUNREACH' }, tokens),
      'Could not send a wake-up packet to desk: ENETUNREACH in the app.',
    );
  });

  it('tells a one-time download link from issue to use or refusal', () => {
    const link = { time: 't', linkId: '0123456789ab', host: 'desk' };
    assert.equal(
      describeAudit({ ...link, event: 'download-link.issued', device: 'phone', via: 'app' }, tokens),
      'Made a one-time download link of desk.rdp for “phone” in the app.',
    );
    assert.equal(
      describeAudit({ ...link, event: 'download-link.used', device: 'phone', client: '192.0.2.8' }, tokens),
      '192.0.2.8 downloaded desk.rdp with a one-time link.',
    );
    assert.equal(
      describeAudit({ ...link, event: 'download-link.refused', reason: 'used', client: '192.0.2.8' }, tokens),
      'Refused a download link of desk.rdp to 192.0.2.8: it was already used.',
    );
    assert.equal(
      describeAudit({ time: 't', event: 'download-link.refused', reason: 'unknown', client: '192.0.2.9' }, tokens),
      'Refused a download link to 192.0.2.9: no such link.',
    );
  });

  it('has a name and a sentence of its own for every event the gateway writes', () => {
    for (const event of Object.keys(EVERY_EVENT)) {
      assert.notEqual(auditEventLabel(event), event, `${event} has a name`);
      assert.doesNotMatch(describeAudit({ time: '2030-01-01T10:00:00.000Z', event }, tokens), /^[a-z-]+\.[a-z-]+/);
    }
  });

  it('says why a connection was closed before it asked for anything, and how much a failing log lost', () => {
    const dropped = { time: '2030-01-01T10:00:00.000Z', event: 'connection.dropped', client: '192.0.2.9' };
    assert.equal(
      describeAudit({ ...dropped, reason: 'no-partner', transport: 'legacy-http' }, tokens),
      'Closed a connection from 192.0.2.9 before it asked for anything: the other half of its legacy HTTP pair never came.',
    );
    assert.equal(
      describeAudit({ ...dropped, reason: 'tls-handshake-timeout' }, tokens),
      'Closed a connection from 192.0.2.9 before it asked for anything: it did not finish the TLS handshake in time.',
    );
    const resumed = { time: '2030-01-01T10:05:00.000Z', event: 'audit.resumed', since: '2030-01-01T10:00:00.000Z' };
    assert.equal(
      describeAudit({ ...resumed, error: 'ENOSPC', dropped: 3 }, tokens),
      'The audit log could be written again after failing since 2030-01-01T10:00:00.000Z (ENOSPC); 3 lines were lost.',
    );
  });

  it('exports CSV with a header, quoted cells, defused formulas and the raw line; JSON as the records', () => {
    const entry = { time: '2030-01-01T10:00:00.000Z', event: 'tunnel.refused', client: '=cmd', detail: 'bad, "token"' };
    const csv = auditToCsv([entry], tokens);
    const [header, row, last] = csv.split('\r\n');
    assert.equal(header, 'time,event,what happened,host,client,token,raw');
    assert.ok(row?.startsWith('2030-01-01T10:00:00.000Z,tunnel.refused,"Refused =cmd: bad, ""token"".",,"\'=cmd",,'));
    assert.ok(row?.endsWith(`"${rawLine(entry).replaceAll('"', '""')}"`));
    assert.equal(last, '');
    assert.deepEqual(JSON.parse(auditToJson([entry])), [entry]);
  });

  it('reads a date input as the start of that local day', () => {
    assert.equal(dayStart('2030-03-04'), new Date(2030, 2, 4).toISOString());
    assert.equal(dayStart('2030-03-04', 1), new Date(2030, 2, 5).toISOString());
    assert.equal(dayStart(''), undefined);
    assert.equal(dayStart('04/03/2030'), undefined);
  });
});
