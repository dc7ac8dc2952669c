/**
 * Docker cannot run here, so this runs the container's own entry point without it: the ENV, CMD and HEALTHCHECK
 * read from the Dockerfile, in the project folder (the image's /app holds the same three files).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ManagedProcess, freePort, makeTempDir } from '../e2e/harness/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface ImageRecipe {
  readonly env: Record<string, string>;
  readonly cmd: string[];
  readonly healthcheck: string[];
}

/** The runtime stage's ENV, CMD and HEALTHCHECK, as Docker would read them. */
async function readImageRecipe(): Promise<ImageRecipe> {
  const text = (await readFile(join(ROOT, 'Dockerfile'), 'utf8')).replace(/\\\n\s*/g, ' ');
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const line of runtime.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const [, key, value] of line.slice(4).matchAll(/(\w+)=(\S+)/g)) env[key] = value;
  }
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(runtime)?.[1] ?? 'null') as string[] | null;
  const healthcheck = JSON.parse(/^HEALTHCHECK .* CMD (\[.*\])$/m.exec(runtime)?.[1] ?? 'null') as string[] | null;
  assert.ok(cmd && healthcheck, 'the Dockerfile has a CMD and a HEALTHCHECK in exec form');
  return { env, cmd, healthcheck };
}

function run(command: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const [file = '', ...args] = command;
  return new Promise((resolve) => {
    execFile(file, args, { cwd: ROOT, env, timeout: 20_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

test(
  'the container entry point serves, passes its health check and stops on SIGTERM',
  { timeout: 60_000 },
  async (t) => {
    const recipe = await readImageRecipe();
    assert.equal(recipe.env.HOMEGATE_DATA_DIR, '/data');
    const data = await makeTempDir('container');
    t.after(() => data.remove());
    const env = { ...process.env, ...recipe.env, HOMEGATE_DATA_DIR: data.path };

    const before = await run(recipe.healthcheck, env);
    assert.notEqual(before.code, 0, 'healthy before the gateway ever ran');

    // The image listens on 0.0.0.0:8443; here it gets a free loopback port through the settings file.
    const settingsPath = join(data.path, 'settings.json');
    const settings = JSON.parse(await readFile(settingsPath, 'utf8')) as { listen: { host: string; port: number } };
    settings.listen = { host: '127.0.0.1', port: await freePort() };
    await writeFile(settingsPath, JSON.stringify(settings));

    const [command = '', ...args] = recipe.cmd;
    const gateway = await ManagedProcess.start(command, args, { name: 'container CMD', env });
    t.after(() => gateway.stop());
    await gateway.waitForLine(/listening on https:\/\//, 20_000);

    const health = await run(recipe.healthcheck, env);
    assert.equal(health.code, 0, health.stderr);
    assert.match(health.stdout, /^healthy: \{"status":"ok"/);

    gateway.signal('SIGTERM');
    const status = await gateway.waitForExit(15_000);
    assert.deepEqual(status, { code: 0, signal: null }, gateway.outputTail());

    const after = await run(recipe.healthcheck, env);
    assert.notEqual(after.code, 0, 'healthy after the gateway stopped');
  },
);
