/** Private temporary directories (for example a FreeRDP config home per process), removed on demand. */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atProcessEnd } from './last-resort.ts';

export interface TempDir {
  readonly path: string;
  /** Removes the directory and everything in it; idempotent. */
  remove(): Promise<void>;
}

/** Directories made here and not removed yet; the last-resort hook removes them when the process ends. */
const liveDirs = new Set<string>();
let lastResortRegistered = false;

export async function makeTempDir(label: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `homegate-e2e-${label}-`));
  liveDirs.add(path);
  if (!lastResortRegistered) {
    lastResortRegistered = true;
    atProcessEnd('remove', () => {
      for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
      liveDirs.clear();
    });
  }
  return {
    path,
    remove: async () => {
      await rm(path, { recursive: true, force: true });
      liveDirs.delete(path);
    },
  };
}
