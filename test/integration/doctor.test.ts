/**
 * The connection doctor against a real gateway on loopback: real TLS clients that distrust the certificate, ask
 * for another name or speak plain HTTP; real MS-TSGU tunnels refused for their token, their host or their target.
 * Each failed attempt must come out with the right stage and cause, once, through the service and the contract
 * event, and be on disk for `homegate doctor`.
 */
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { describe, test } from 'node:test';
import { main } from '../../main/cli.ts';
import type { DoctorReport } from '../../main/cli/doctor-command.ts';
import { readAttemptsFile } from '../../main/doctor/attempt-log.ts';
import { watchContractEvents } from '../../main/ipc/events.ts';
import { dataPaths } from '../../main/config/data-dir.ts';
import type { ConnectionAttempt } from '../../shared/model/doctor.ts';
import { withGateway, type TestGateway } from '../helpers/gateway.ts';
import { unusedPort } from '../helpers/targets.ts';
import { TsguClient } from '../helpers/tsgu-client.ts';

const WAIT_MS = 5_000;

/** The next attempt the doctor records after this call (bounded). */
function nextAttempt(gateway: TestGateway): Promise<ConnectionAttempt> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no attempt recorded within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const off = gateway.service.attempts.onAttempt((attempt) => {
      clearTimeout(timer);
      off();
      resolve(attempt);
    });
  });
}

/** A TLS connection that completes the handshake whatever the certificate, then closes without a request. */
function handshakeAndLeave(port: number, servername: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      socket.end();
      resolve();
    });
    socket.on('error', reject);
  });
}

/** Handshake, tunnel create with `token`; then channel create for `target` when the token passes. */
async function tunnelTo(gateway: TestGateway, token: string, target?: { name: string; port: number }): Promise<void> {
  const client = await TsguClient.connect(gateway.clientOptions());
  try {
    await client.handshake();
    const tunnel = await client.createTunnel(token);
    if (tunnel.statusCode !== 0 || !target) return;
    await client.authorizeTunnel('DOCTORPC');
    await client.createChannel([target.name], target.port);
  } finally {
    client.destroy();
  }
}

describe('the connection doctor on a real gateway', () => {
  test('TLS-level failures: untrusted certificate (alert or silent close), a name not in it, plain HTTP', async (t) => {
    const gateway = await withGateway(t);
    const events: ConnectionAttempt[] = [];
    t.after(
      watchContractEvents(gateway.service, (name, payload) => {
        if (name === 'doctor.attempt') events.push(payload as ConnectionAttempt);
      }),
    );

    // Node's client rejects the unknown CA and resets the handshake.
    let attempt = nextAttempt(gateway);
    const distrusting = tlsConnect({ host: '127.0.0.1', port: gateway.port, servername: 'localhost' });
    distrusting.on('error', () => undefined);
    assert.equal((await attempt).code, 'untrusted-certificate');

    // FreeRDP 2.11 with /cert:deny: the handshake completes, then the client closes without a word.
    attempt = nextAttempt(gateway);
    await handshakeAndLeave(gateway.port, 'localhost');
    const silent = await attempt;
    assert.equal(silent.code, 'untrusted-certificate');
    assert.equal(silent.stage, 'tls');
    assert.equal(silent.client, '127.0.0.1');
    assert.match(silent.fix, /certificate authority/);

    attempt = nextAttempt(gateway);
    await handshakeAndLeave(gateway.port, 'not-in-the-cert.example');
    const wrongName = await attempt;
    assert.equal(wrongName.code, 'name-not-in-certificate');
    assert.equal(wrongName.requested, 'not-in-the-cert.example');

    attempt = nextAttempt(gateway);
    const plain = netConnect(gateway.port, '127.0.0.1', () => plain.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    plain.on('error', () => undefined);
    assert.equal((await attempt).code, 'plain-http');
    plain.destroy();

    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      events.map((event) => event.code),
      ['untrusted-certificate', 'untrusted-certificate', 'name-not-in-certificate', 'plain-http'],
    );
    // A client that trusts the certificate and makes a request is no failure.
    await tunnelTo(gateway, 'x').catch(() => undefined);
    const codes = gateway.service.attempts.list().map((entry) => entry.code);
    assert.deepEqual(codes.slice(1), [
      'plain-http',
      'name-not-in-certificate',
      'untrusted-certificate',
      'untrusted-certificate',
    ]);
    assert.equal(codes[0], 'token-malformed');
  });

  test('tunnel refusals: expired token, token for another host, host not on the list, target down', async (t) => {
    const gateway = await withGateway(t);
    const downPort = await unusedPort();
    await gateway.addHost({ name: 'desk', port: downPort });
    await gateway.addHost({ name: 'nas', port: downPort + 1 });

    let attempt = nextAttempt(gateway);
    const expired = await gateway.token(['desk'], { now: new Date(Date.now() - 2 * 3600_000), ttlSeconds: 60 });
    await tunnelTo(gateway, expired.token);
    const expiredAttempt = await attempt;
    assert.equal(expiredAttempt.code, 'token-expired');
    assert.equal(expiredAttempt.stage, 'token');

    attempt = nextAttempt(gateway);
    await tunnelTo(gateway, (await gateway.token(['desk'])).token, { name: 'nas', port: downPort + 1 });
    const otherHost = await attempt;
    assert.equal(otherHost.code, 'token-other-host');
    assert.match(otherHost.cause, /"nas"/);
    assert.equal(otherHost.requested, `nas:${downPort + 1}`);

    attempt = nextAttempt(gateway);
    await tunnelTo(gateway, (await gateway.token(['desk'])).token, { name: 'printer', port: 3389 });
    const notListed = await attempt;
    assert.equal(notListed.code, 'host-not-allowed');
    assert.match(notListed.cause, /printer:3389/);

    attempt = nextAttempt(gateway);
    await tunnelTo(gateway, (await gateway.token(['desk'])).token, { name: 'desk', port: downPort });
    const down = await attempt;
    assert.equal(down.code, 'target-refused');
    assert.equal(down.host, 'desk');
    assert.equal(down.stage, 'target');
    assert.equal(down.wakeOnLan, 'no-mac');
    const reachability = gateway.service.reachability.get('desk');
    assert.equal(reachability?.reachable, false);

    await gateway.service.attempts.flush();
    const onDisk = await readAttemptsFile(dataPaths(gateway.dataDir).attempts, 10);
    assert.deepEqual(
      onDisk.map((entry) => entry.code),
      ['target-refused', 'host-not-allowed', 'token-other-host', 'token-expired'],
    );
    const text = JSON.stringify(onDisk);
    assert.ok(!text.includes(expired.token), 'no token reaches the attempts log');

    // `homegate doctor --json` beside the running gateway: the same attempts, and a self-check.
    let out = '';
    const code = await main(['doctor', '--json', '--data-dir', gateway.dataDir], {
      out: (chunk) => (out += chunk),
      err: () => undefined,
    });
    assert.equal(code, 0);
    const report = JSON.parse(out) as DoctorReport;
    assert.deepEqual(
      report.attempts.map((entry) => entry.code),
      onDisk.map((entry) => entry.code),
    );
    const check = (area: string, pattern: RegExp) =>
      report.checks.find((entry) => entry.area === area && pattern.test(entry.message));
    assert.equal(check('certificate', /local CA certificate for .*localhost/)?.status, 'ok');
    assert.equal(check('names', /no public name/)?.status, 'warn');
    assert.equal(check('hosts', new RegExp(`^desk .*does not answer \\(refused\\)`))?.status, 'warn');
  });
});
