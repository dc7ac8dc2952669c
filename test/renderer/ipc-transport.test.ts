import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../renderer/src/api/errors.ts';
import { createIpcTransport, fromIpcError } from '../../renderer/src/api/ipc.ts';
import type { LinkState } from '../../renderer/src/api/transport.ts';
import { FakeGateway } from './fake-api.ts';

describe('IPC transport', () => {
  it('reads the contract code that main puts in front of the message', () => {
    const error = fromIpcError(
      new Error(
        "Error invoking remote method 'homegate:call:hosts.add': ContractCallError: [conflict] a host named nas exists",
      ),
    );
    assert.equal(error.code, 'conflict');
    assert.equal(error.message, 'a host named nas exists');
  });

  it('takes the code preload rejects with, as an object or on the Error', () => {
    const plain = fromIpcError({ code: 'not-found', message: 'no allowed host named "nas"' });
    assert.equal(plain.code, 'not-found');
    assert.equal(plain.message, 'no allowed host named "nas"');
    const flagged = fromIpcError(Object.assign(new Error('a host named "nas" already exists'), { code: 'conflict' }));
    assert.equal(flagged.code, 'conflict');
    assert.equal(fromIpcError({ code: 'bogus', message: 'x' }).code, 'internal');
  });

  it('falls back to internal when the code was lost on the way', () => {
    const error = fromIpcError(new Error("Error invoking remote method 'homegate:call:x': Error: the call failed"));
    assert.equal(error.code, 'internal');
    assert.equal(error.message, 'the call failed');
    assert.equal(fromIpcError(new Error("Error invoking remote method 'c': Error: forbidden")).code, 'forbidden');
  });

  it('wraps every call of window.homegate so failures arrive as ApiError, and reports the link as open', async () => {
    const gateway = new FakeGateway();
    const bridge = {
      ...gateway.api,
      'hosts.list': () => Promise.reject(new Error("Error invoking remote method 'c': Error: [internal] boom")),
    };
    const transport = createIpcTransport(bridge);
    assert.deepEqual(await transport.api['settings.get'](undefined), gateway.settings);
    await assert.rejects(transport.api['hosts.list'](undefined), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.code, 'internal');
      assert.equal(error.message, 'boom');
      return true;
    });
    const links: LinkState[] = [];
    transport.onLink((state) => links.push(state));
    assert.deepEqual(links, ['open']);
    assert.equal(transport.logout, undefined);
  });
});
