/**
 * Onboarding over the contract on a running gateway: headless, progress is saved in settings.json and read back by
 * a new set of handlers; anything outside the checklist's steps is refused at the boundary.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { SETTINGS_FILE_NAME } from '../../main/config/settings-store.ts';
import { ContractCallError, createCallHandlers, dispatchCall } from '../../main/ipc/dispatch.ts';
import { silentLogger } from '../../main/logging/logger.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';

describe('onboarding calls', { timeout: 60_000 }, () => {
  let gateway: TestGateway;

  before(async () => {
    gateway = await startTestGateway();
  });
  after(() => gateway.dispose());

  it('starts empty, saves progress in settings.json, and a new set of handlers reads it back', async () => {
    const handlers = createCallHandlers(gateway.service, silentLogger);
    assert.deepEqual(await dispatchCall(handlers, 'onboarding.get', undefined, silentLogger), {
      completedSteps: [],
      finished: false,
    });
    const saved = await dispatchCall(
      handlers,
      'onboarding.save',
      { completedSteps: ['trust', 'host'], finished: false },
      silentLogger,
    );
    assert.deepEqual(saved, { completedSteps: ['host', 'trust'], finished: false }, 'in the checklist order');
    const file = JSON.parse(await readFile(join(gateway.dataDir, SETTINGS_FILE_NAME), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.deepEqual(file.onboarding, { completedSteps: ['host', 'trust'], finished: false });
    const again = createCallHandlers(gateway.service, silentLogger);
    assert.deepEqual(await dispatchCall(again, 'onboarding.get', undefined, silentLogger), saved);
  });

  it('refuses steps it does not know and extra fields', async () => {
    const handlers = createCallHandlers(gateway.service, silentLogger);
    for (const input of [
      { completedSteps: ['host', 'elsewhere'], finished: false },
      { completedSteps: [], finished: 'yes' },
      { completedSteps: [], finished: false, extra: 1 },
    ]) {
      await assert.rejects(
        dispatchCall(handlers, 'onboarding.save', input, silentLogger),
        (error: unknown) => error instanceof ContractCallError && error.code === 'invalid-input',
      );
    }
  });
});
