import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { diagnoseNoRequest, diagnoseRefusal, diagnoseTlsError } from '../../../main/doctor/causes.ts';
import { certificateCarries } from '../../../main/doctor/doctor.ts';
import { groupAttempts, type ConnectionAttempt } from '../../../shared/model/doctor.ts';

const NAMED = { name: 'gw.example.net', inCertificate: true };
const WRONG_NAME = { name: 'other.example.net', inCertificate: false };
const NO_NAME = { name: undefined, inCertificate: true };

describe('diagnoseTlsError', () => {
  test("a client's unknown-CA or bad-certificate alert: the device does not trust the certificate", () => {
    for (const code of ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE']) {
      const diagnosis = diagnoseTlsError(code, NAMED);
      assert.equal(diagnosis?.code, 'untrusted-certificate', code);
      assert.equal(diagnosis.stage, 'tls');
      assert.match(diagnosis.cause, /does not trust the gateway's certificate/);
      assert.match(diagnosis.fix, /certificate authority/);
    }
  });

  test('the same alert for a name the certificate lacks names the name', () => {
    const diagnosis = diagnoseTlsError('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', WRONG_NAME);
    assert.equal(diagnosis?.code, 'name-not-in-certificate');
    assert.match(diagnosis.cause, /"other\.example\.net"/);
    assert.match(diagnosis.fix, /public names in Settings/);
  });

  test('plain HTTP, a handshake timeout, a reset with and without a name', () => {
    assert.equal(diagnoseTlsError('ERR_SSL_HTTP_REQUEST', NO_NAME)?.code, 'plain-http');
    assert.equal(diagnoseTlsError('ERR_TLS_HANDSHAKE_TIMEOUT', NO_NAME)?.code, 'timeout');
    assert.equal(diagnoseTlsError('ECONNRESET', NAMED)?.code, 'untrusted-certificate');
    assert.equal(diagnoseTlsError('ECONNRESET', NO_NAME), undefined, 'a reset without a name is a probe');
    assert.equal(diagnoseTlsError('ERR_SSL_NO_SHARED_CIPHER', NAMED)?.code, 'tls-failed');
  });
});

describe('diagnoseNoRequest', () => {
  test('closed right after the handshake (FreeRDP /cert:deny): untrusted, or the name when it is missing', () => {
    assert.equal(diagnoseNoRequest({ timedOut: false, bufferedBytes: 0, sni: NAMED })?.code, 'untrusted-certificate');
    assert.equal(
      diagnoseNoRequest({ timedOut: false, bufferedBytes: 0, sni: WRONG_NAME })?.code,
      'name-not-in-certificate',
    );
  });

  test('an idle spare connection that times out is not a failure; half a request is a timeout at the request', () => {
    assert.equal(diagnoseNoRequest({ timedOut: true, bufferedBytes: 0, sni: NAMED }), undefined);
    const partial = diagnoseNoRequest({ timedOut: true, bufferedBytes: 12, sni: NAMED });
    assert.equal(partial?.code, 'timeout');
    assert.equal(partial.stage, 'request');
  });
});

describe('diagnoseRefusal', () => {
  const tunnelCreate = { transport: 'websocket', stage: 'awaiting-tunnel-create', reason: 'refused' };
  test('each token failure has its own cause', () => {
    const expected: Record<string, string> = {
      malformed: 'token-malformed',
      expired: 'token-expired',
      'not-yet-valid': 'token-not-yet-valid',
      revoked: 'token-revoked',
      'wrong-gateway': 'token-other-gateway',
      'bad-signature': 'token-invalid',
      replayed: 'token-replayed',
      paused: 'paused',
    };
    for (const [failure, code] of Object.entries(expected)) {
      assert.equal(diagnoseRefusal({ ...tunnelCreate, failure }, undefined)?.code, code, failure);
    }
    assert.equal(
      diagnoseRefusal({ ...tunnelCreate, detail: 'no access token in the tunnel request' }, undefined)?.code,
      'token-missing',
    );
  });

  test('a token for another host names the host asked for; a host not on the list names what was asked', () => {
    const otherHost = diagnoseRefusal(
      {
        transport: 'websocket',
        stage: 'awaiting-channel-create',
        reason: 'refused',
        failure: 'not-in-token',
        requested: 'desk:3389',
      },
      undefined,
    );
    assert.equal(otherHost?.code, 'token-other-host');
    assert.match(otherHost.cause, /not "desk"/);
    const notListed = diagnoseRefusal(
      {
        transport: 'websocket',
        stage: 'awaiting-channel-create',
        reason: 'refused',
        failure: 'not-allowed-host',
        requested: 'nas:3389',
      },
      undefined,
    );
    assert.equal(notListed?.code, 'host-not-allowed');
    assert.match(notListed.cause, /nas:3389 is not on the gateway's list/);
  });

  test('a target that refused or did not answer says whether Wake-on-LAN was tried', () => {
    const channel = { transport: 'relay', stage: 'connect', host: 'desk' };
    const refused = diagnoseRefusal({ ...channel, failure: 'refused' }, 'off');
    assert.equal(refused?.code, 'target-refused');
    assert.equal(refused.stage, 'target');
    const woken = diagnoseRefusal({ ...channel, failure: 'timeout' }, 'sent');
    assert.equal(woken?.code, 'target-no-answer');
    assert.equal(woken.wakeOnLan, 'sent');
    assert.match(woken.cause, /even after a Wake-on-LAN packet/);
    assert.match(diagnoseRefusal({ ...channel, failure: 'timeout' }, 'no-mac')?.fix ?? '', /MAC address/);
  });

  test('a setup timeout names the stage; a client that left is not a failure', () => {
    const timeout = diagnoseRefusal(
      { transport: 'websocket', stage: 'awaiting-tunnel-auth', reason: 'timeout' },
      undefined,
    );
    assert.equal(timeout?.code, 'timeout');
    assert.match(timeout.cause, /during tunnel auth/);
    assert.equal(
      diagnoseRefusal({ transport: 'websocket', stage: 'awaiting-handshake', reason: 'client-closed' }, undefined),
      undefined,
    );
    assert.equal(diagnoseRefusal({ transport: 'relay', stage: 'pcb', failure: 'no-data' }, undefined), undefined);
  });
});

test('certificateCarries matches names case-insensitively, one wildcard label, and IP SANs', () => {
  const sans = { dnsNames: ['GW.example.net', '*.home.example'], ipAddresses: ['192.168.1.2', '::1'] };
  assert.ok(certificateCarries('gw.EXAMPLE.net', sans));
  assert.ok(certificateCarries('gw.example.net.', sans));
  assert.ok(certificateCarries('pc.home.example', sans));
  assert.ok(!certificateCarries('a.pc.home.example', sans));
  assert.ok(!certificateCarries('home.example', sans));
  assert.ok(certificateCarries('192.168.1.2', sans));
  assert.ok(certificateCarries('0:0:0:0:0:0:0:1', sans));
  assert.ok(!certificateCarries('other.example.net', sans));
});

test('groupAttempts groups by device, else client address, newest group first', () => {
  const attempt = (id: string, time: string, client: string, device?: string): ConnectionAttempt => ({
    id,
    time,
    stage: 'tls',
    code: 'untrusted-certificate',
    cause: 'c',
    fix: 'f',
    client,
    transport: 'tls',
    ...(device ? { device } : {}),
  });
  const groups = groupAttempts([
    attempt('1', '2026-01-01T10:00:00.000Z', '10.0.0.5'),
    attempt('2', '2026-01-01T10:02:00.000Z', '10.0.0.6', 'phone'),
    attempt('3', '2026-01-01T10:01:00.000Z', '10.0.0.5'),
    attempt('4', '2026-01-01T10:03:00.000Z', '10.0.0.7', 'phone'),
  ]);
  assert.deepEqual(
    groups.map((group) => [group.key, group.attempts.map((a) => a.id)]),
    [
      ['device:phone', ['4', '2']],
      ['client:10.0.0.5', ['3', '1']],
    ],
  );
  assert.equal(groups[0]?.label, 'phone (10.0.0.7)');
});
