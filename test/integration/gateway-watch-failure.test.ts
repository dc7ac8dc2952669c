/**
 * inotify can run out (ENOSPC from fs.watch): start-up must still succeed, every watcher polling instead, and stop
 * must close the listeners. `fs.watch` itself is replaced for the whole process for this file only.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../../main/logging/logger.ts';
import { startGateway } from '../../main/service.ts';

test('a gateway whose fs.watch fails with ENOSPC starts, polls its files, and stops cleanly', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'homegate-watch-failure-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const realWatch = fs.watch;
  fs.watch = () => {
    throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' });
  };
  syncBuiltinESMExports();
  t.after(() => {
    fs.watch = realWatch;
    syncBuiltinESMExports();
  });
  const warnings: string[] = [];
  const logger = createLogger({
    write: (line) => {
      const record = JSON.parse(line) as { level: string; error?: { message?: string } };
      if (record.level !== 'info') warnings.push(record.error?.message ?? '');
    },
  });

  const service = await startGateway({ dataDir, logger, listen: { host: '127.0.0.1', port: 0 } });
  const { port } = service.address;
  assert.ok(warnings.length >= 3, `settings, revocation list and certificates fell back: ${warnings.join('; ')}`);
  for (const warning of warnings) assert.match(warning, /polling it instead: ENOSPC/);
  await service.stop();
  await assert.rejects(
    new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve();
      });
      socket.on('error', reject);
    }),
    /ECONNREFUSED/,
    'the listener is closed after stop',
  );
});
