import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CALL_NAMES } from '../../shared/ipc/contract.ts';
import type { HomegateBridge } from '../../shared/ipc/ipc-reply.ts';
import { ApiError } from '../../renderer/src/api/errors.ts';
import { createIpcTransport, fromIpcReply } from '../../renderer/src/api/ipc.ts';
import type { LinkState } from '../../renderer/src/api/transport.ts';
import { FakeGateway } from './fake-api.ts';

function rejection(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ApiError);
    return error;
  }
  assert.fail('expected an ApiError');
}

/** preload's `window.homegate` over a gateway: each call answers main's envelope, as main/app/ipc.ts builds it. */
function bridgeOver(gateway: FakeGateway): HomegateBridge {
  const calls = Object.fromEntries(
    CALL_NAMES.map((name) => [
      name,
      async (input: unknown) => {
        try {
          return { ok: true, result: await (gateway.api[name] as (input: unknown) => Promise<unknown>)(input) };
        } catch (error) {
          const { code, message } = error as ApiError;
          return { ok: false, error: { code, message } };
        }
      },
    ]),
  );
  return { ...calls, on: gateway.api.on } as HomegateBridge;
}

describe('IPC transport', () => {
  it('answers the result of an ok envelope', () => {
    assert.deepEqual(fromIpcReply({ ok: true, result: { port: 8443 } }), { port: 8443 });
    assert.equal(fromIpcReply({ ok: true, result: undefined }), undefined);
  });

  it('turns a refusal envelope into an ApiError with its code and message, as sent', () => {
    const error = rejection(() =>
      fromIpcReply({ ok: false, error: { code: 'conflict', message: '[not a prefix] a host named nas exists' } }),
    );
    assert.equal(error.code, 'conflict');
    assert.equal(error.message, '[not a prefix] a host named nas exists');
  });

  it('reports an unknown code or a reply that is not an envelope as internal', () => {
    assert.equal(rejection(() => fromIpcReply({ ok: false, error: { code: 'bogus', message: 'x' } })).code, 'internal');
    assert.equal(rejection(() => fromIpcReply({ ok: false, error: { code: 'forbidden' } })).message, 'the call failed');
    for (const reply of [undefined, null, 'forbidden', { result: 1 }, { ok: false }]) {
      assert.equal(rejection(() => fromIpcReply(reply)).code, 'internal');
    }
  });

  it('wraps every call of window.homegate so failures arrive as ApiError, and reports the link as open', async () => {
    const gateway = new FakeGateway();
    const transport = createIpcTransport(bridgeOver(gateway));
    assert.deepEqual(await transport.api['settings.get'](undefined), gateway.settings);
    gateway.failNext('hosts.list', new ApiError('not-found', 'nothing here'));
    await assert.rejects(transport.api['hosts.list'](undefined), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.code, 'not-found');
      assert.equal(error.message, 'nothing here');
      return true;
    });
    const links: LinkState[] = [];
    transport.onLink((state) => links.push(state));
    assert.deepEqual(links, ['open']);
    assert.equal(transport.logout, undefined);
  });

  it('reports a call whose IPC failed (no envelope came back) as internal, whatever the message said', async () => {
    const bridge = {
      ...bridgeOver(new FakeGateway()),
      'hosts.list': () => Promise.reject(new Error("Error invoking remote method 'x': [conflict] boom")),
    } as HomegateBridge;
    await assert.rejects(createIpcTransport(bridge).api['hosts.list'](undefined), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.code, 'internal');
      return true;
    });
  });
});
