/**
 * A gateway whose audit log cannot be written says so in its status (and a `status.changed` event), for the
 * status bar. The failure is real: the log path names /dev/full, where every write fails with ENOSPC.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { GatewayStatus } from '../../shared/ipc/contract.ts';
import { gatewayStatus } from '../../main/ipc/handlers/gateway.ts';
import { watchContractEvents } from '../../main/ipc/events.ts';
import { silentLogger } from '../../main/logging/logger.ts';
import { startGateway } from '../../main/service.ts';
import { AUDIT_LOG_FILE_NAME } from '../../main/sessions/audit-log.ts';

test(
  'the gateway status reports an audit log it cannot write',
  { skip: process.platform === 'linux' ? false : '/dev/full is Linux' },
  async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'homegate-audit-status-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    await symlink('/dev/full', join(dataDir, AUDIT_LOG_FILE_NAME));
    const service = await startGateway({ dataDir, logger: silentLogger, listen: { host: '127.0.0.1', port: 0 } });
    t.after(() => service.stop());
    assert.equal(gatewayStatus(service).auditLogProblem, null);
    const events: GatewayStatus[] = [];
    const unwatch = watchContractEvents(service, (name, payload) => {
      if (name === 'status.changed') events.push(payload as GatewayStatus);
    });
    t.after(unwatch);

    service.audit.record({ event: 'settings.updated', via: 'test' });
    for (let attempt = 0; attempt < 500 && events.length === 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const problem = events.at(-1)?.auditLogProblem;
    assert.match(problem?.error ?? '', /ENOSPC/);
    assert.equal(typeof problem?.since, 'string');
    assert.deepStrictEqual(gatewayStatus(service).auditLogProblem, problem);
  },
);
