import { readFile } from 'node:fs/promises';
import type { z } from 'zod';

export interface ReadJsonFileOptions<T> {
  readonly schema: z.ZodType<T>;
  /** A larger file is refused unparsed. */
  readonly maxBytes: number;
  /** The problem named for a file over `maxBytes`; by default "larger than N bytes". */
  readonly tooLarge?: string;
  /** The error to throw for a file that exists but cannot be used, given the problem in a few words. */
  readonly fail: (problem: string) => Error;
}

/**
 * Reads a small JSON file of ours and checks it against `schema`; undefined when the file does not exist. Any other
 * failure (unreadable, too large, not JSON, not the schema) throws `fail(problem)`.
 */
export async function readJsonFile<T>(path: string, options: ReadJsonFileOptions<T>): Promise<T | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw options.fail((error as Error).message);
  }
  if (bytes.length > options.maxBytes) {
    throw options.fail(options.tooLarge ?? `larger than ${options.maxBytes} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw options.fail('not valid JSON');
  }
  const parsed = options.schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw options.fail(`${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim());
  }
  return parsed.data;
}
