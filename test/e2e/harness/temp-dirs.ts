/** Private temporary directories (for example a FreeRDP config home per process), removed on demand. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  readonly path: string;
  /** Removes the directory and everything in it; idempotent. */
  remove(): Promise<void>;
}

export async function makeTempDir(label: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `homegate-e2e-${label}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
