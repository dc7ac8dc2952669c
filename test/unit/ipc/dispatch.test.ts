/**
 * dispatchCall, the gate every call from the renderer (IPC) or the browser (HTTP) passes: names outside the
 * contract and inputs that do not match their schema never reach a handler.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CALL_NAMES, type CallName } from '../../../shared/ipc/contract.ts';
import { ContractCallError, dispatchCall, type CallHandlers } from '../../../main/ipc/dispatch.ts';
import { silentLogger } from '../../../main/logging/logger.ts';

const UUID = '0d3c9a52-4c8e-4a36-9f3b-2f1d8e6b7a10';

/** Handlers that record what reached them and answer `result`. */
function recordingHandlers(result: unknown = 'ok'): { handlers: CallHandlers; calls: [string, unknown][] } {
  const calls: [string, unknown][] = [];
  const handlers = Object.fromEntries(
    CALL_NAMES.map((name) => [
      name,
      (input: unknown) => {
        calls.push([name, input]);
        return Promise.resolve(result);
      },
    ]),
  ) as unknown as CallHandlers;
  return { handlers, calls };
}

/** One input per call that its schema must refuse; the type makes a call without one a compile error. */
const BAD_INPUT: Record<CallName, unknown> = {
  'gateway.status': { verbose: true },
  'gateway.setPaused': { paused: 'yes' },
  'sessions.list': 'all',
  'sessions.disconnect': { id: 'not-a-uuid' },
  'hosts.list': 1,
  'hosts.add': { name: 'bad name!', address: '10.0.0.1', port: 3389 },
  'hosts.update': { name: 'desk', host: { name: 'desk', address: '10.0.0.1', port: 70_000 } },
  'hosts.remove': { name: '' },
  'hosts.test': { name: 'a/b' },
  'hosts.wake': { name: 'desk', mac: '00:11:22:33:44:55' },
  'tokens.list': null,
  'tokens.issue': { host: 'desk', ttlSeconds: 10 },
  'tokens.revoke': { jti: '' },
  'rdp.export': { host: 'desk', mode: 'ssh' },
  'rdp.downloadLink': { host: 'desk', device: '' },
  'certs.info': {},
  'certs.regenerate': [],
  'certs.import': { certPem: '-----BEGIN CERTIFICATE-----' },
  'certs.exportCa': { format: 'pfx' },
  'settings.get': 0,
  'settings.update': {
    publicNames: [],
    paaTtlSeconds: 10,
    idleTimeoutMinutes: 0,
    maxSessionMinutes: 0,
    consentMessage: '',
    serviceMessage: '',
  },
  'audit.list': { limit: 0 },
  'doctor.attempts': { all: true },
  'doctor.clear': 1,
  'doctor.reachability': 'x',
  'audit.query': { limit: 10, from: 'yesterday' },
  'onboarding.get': { step: 'host' },
  'onboarding.save': { completedSteps: ['host', 'mine'], finished: false },
  'onboarding.findLocalRdp': { port: 22 },
};

/** One input per call that its schema accepts. */
const GOOD_INPUT: Record<CallName, unknown> = {
  'gateway.status': undefined,
  'gateway.setPaused': { paused: true },
  'sessions.list': undefined,
  'sessions.disconnect': { id: UUID },
  'hosts.list': undefined,
  'hosts.add': { name: 'desk', address: '10.0.0.1', port: 3389 },
  'hosts.update': { name: 'desk', host: { name: 'desk2', address: 'desk.lan', port: 3390 } },
  'hosts.remove': { name: 'desk' },
  'hosts.test': { name: 'desk' },
  'hosts.wake': { name: 'desk' },
  'tokens.list': undefined,
  'tokens.issue': { host: 'desk', ttlSeconds: 600 },
  'tokens.revoke': { jti: UUID },
  'rdp.export': { host: 'desk', mode: 'gateway' },
  'rdp.downloadLink': { host: 'desk', device: 'Phone' },
  'certs.info': undefined,
  'certs.regenerate': undefined,
  'certs.import': { pfxBase64: 'AAAA', passphrase: '' },
  'certs.exportCa': { format: 'der' },
  'settings.get': undefined,
  'settings.update': {
    publicNames: ['gw.example.net'],
    paaTtlSeconds: 900,
    idleTimeoutMinutes: 30,
    maxSessionMinutes: 600,
    consentMessage: 'Authorised use only',
    serviceMessage: '',
  },
  'audit.list': { limit: 50 },
  'doctor.attempts': undefined,
  'doctor.clear': undefined,
  'doctor.reachability': undefined,
  'audit.query': { limit: 50, before: 1234, event: 'tunnel.end', search: 'desk', from: '2026-01-01T00:00:00Z' },
  'onboarding.get': undefined,
  'onboarding.save': { completedSteps: ['host', 'trust'], finished: true },
  'onboarding.findLocalRdp': undefined,
};

describe('dispatchCall', () => {
  test('refuses a name outside the contract, before any handler runs', async () => {
    const { handlers, calls } = recordingHandlers();
    for (const name of ['nope', 'hosts.add ', '__proto__', 'constructor', 'toString', 'hosts', '']) {
      await assert.rejects(dispatchCall(handlers, name, undefined, silentLogger), (error: unknown) => {
        assert.ok(error instanceof ContractCallError);
        assert.equal(error.code, 'not-found');
        return true;
      });
    }
    assert.deepEqual(calls, []);
  });

  for (const name of CALL_NAMES) {
    test(`refuses an invalid input for ${name}, before its handler runs`, async () => {
      const { handlers, calls } = recordingHandlers();
      await assert.rejects(dispatchCall(handlers, name, BAD_INPUT[name], silentLogger), (error: unknown) => {
        assert.ok(error instanceof ContractCallError);
        assert.equal(error.code, 'invalid-input');
        assert.ok(error.message.length > 0);
        return true;
      });
      assert.deepEqual(calls, []);
    });

    test(`passes a valid input for ${name} to its handler`, async () => {
      const { handlers, calls } = recordingHandlers('answer');
      assert.equal(await dispatchCall(handlers, name, GOOD_INPUT[name], silentLogger), 'answer');
      assert.equal(calls.length, 1);
      assert.equal(calls[0]?.[0], name);
    });
  }

  test('object inputs are strict: an unknown key is refused', async () => {
    const { handlers, calls } = recordingHandlers();
    for (const [name, input] of [
      ['gateway.setPaused', { paused: true, force: true }],
      ['tokens.issue', { host: 'desk', ttlSeconds: 600, admin: true }],
      ['audit.list', { limit: 5, path: '/etc/passwd' }],
    ] as const) {
      await assert.rejects(dispatchCall(handlers, name, input, silentLogger), { code: 'invalid-input' });
    }
    assert.deepEqual(calls, []);
  });

  test('handlers get the parsed input, defaults filled in', async () => {
    const { handlers, calls } = recordingHandlers();
    await dispatchCall(handlers, 'tokens.issue', { host: 'desk', ttlSeconds: 600 }, silentLogger);
    await dispatchCall(handlers, 'rdp.export', { host: 'desk', mode: 'relay' }, silentLogger);
    assert.deepEqual(calls[0]?.[1], { host: 'desk', ttlSeconds: 600, singleUse: false });
    assert.deepEqual(calls[1]?.[1], {
      host: 'desk',
      mode: 'relay',
      options: { screenMode: 'fullscreen', multiMonitor: false, clipboard: true, drives: false, audio: 'local' },
    });
  });

  test('a handler failure becomes an internal error without details; contract errors pass through', async () => {
    const { handlers } = recordingHandlers();
    const failing = {
      ...handlers,
      'hosts.list': () => Promise.reject(new Error('EACCES: /secret/path')),
      'hosts.test': () => Promise.reject(new ContractCallError('not-found', 'no allowed host named "x"')),
    } as CallHandlers;
    await assert.rejects(dispatchCall(failing, 'hosts.list', undefined, silentLogger), (error: unknown) => {
      assert.ok(error instanceof ContractCallError);
      assert.equal(error.code, 'internal');
      assert.doesNotMatch(error.message, /secret/);
      return true;
    });
    await assert.rejects(dispatchCall(failing, 'hosts.test', { name: 'x' }, silentLogger), {
      code: 'not-found',
      message: 'no allowed host named "x"',
    });
  });

  test('errors serialise as the contract shape, never with a stack', () => {
    const error = new ContractCallError('conflict', 'a host named "desk" already exists');
    assert.deepEqual(JSON.parse(JSON.stringify(error)), {
      code: 'conflict',
      message: 'a host named "desk" already exists',
    });
  });
});
