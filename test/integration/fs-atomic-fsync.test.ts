/**
 * An atomic write's rename lasts through a power cut only once its directory is flushed too. Nothing a test can
 * read shows that, so strace watches the system calls of a real writeFileAtomic: the directory is opened and
 * fsync'd after the rename.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeTempDir, skipUnlessTools } from '../e2e/harness/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const skip = process.platform === 'linux' ? skipUnlessTools(['strace']) : 'strace is Linux only';

test('writeFileAtomic fsyncs the directory after the rename', { skip, timeout: 60_000 }, async (t) => {
  const dir = await makeTempDir('fsync');
  t.after(() => dir.remove());
  const target = join(dir.path, 'settings.json');
  const trace = join(dir.path, 'strace.log');
  const script = `import(${JSON.stringify(join(ROOT, 'main/util/fs-atomic.ts'))}).then((m) => m.writeFileAtomic(${JSON.stringify(target)}, '{}'))`;
  await promisify(execFile)(
    'strace',
    [
      '-f',
      '-qq',
      '-e',
      'trace=openat,rename,renameat,renameat2,fsync,fdatasync',
      '-o',
      trace,
      process.execPath,
      '--import',
      'tsx',
      '-e',
      script,
    ],
    { cwd: ROOT, timeout: 50_000 },
  );
  assert.equal(await readFile(target, 'utf8'), '{}');
  const lines = (await readFile(trace, 'utf8')).split('\n');
  const renamed = lines.findIndex((line) => /rename/.test(line) && line.includes(JSON.stringify(target)));
  assert.ok(renamed >= 0, `the rename onto the target in\n${lines.join('\n')}`);
  const opened = lines
    .slice(renamed)
    .map((line) => /openat\([^,]+, "([^"]+)", [^)]*\) = (\d+)/.exec(line))
    .find((match) => match?.[1] === dir.path);
  assert.ok(opened, `the directory opened after the rename in\n${lines.slice(renamed).join('\n')}`);
  const fd = opened[2];
  assert.ok(
    lines.slice(renamed).some((line) => new RegExp(`\\bf(data)?sync\\(${fd}\\) += 0`).test(line)),
    `fsync(${fd}) of the directory in\n${lines.slice(renamed).join('\n')}`,
  );
});
