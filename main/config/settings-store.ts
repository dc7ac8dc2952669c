import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logging/logger.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { watchFile, type StopWatching } from '../util/watch-file.ts';
import { SettingsFileSchema, defaultSettings, describeIssues, type Settings } from './schema.ts';

export const SETTINGS_FILE_NAME = 'settings.json';
/** A settings file larger than this is not a settings file; refusing it keeps a stray file from eating memory. */
export const MAX_SETTINGS_FILE_BYTES = 4 * 1024 * 1024;

/** The settings file could not be used. The file is left as it is, and `backupPath` holds a copy when one was made. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  constructor(
    message: string,
    readonly path: string,
    readonly backupPath?: string,
  ) {
    super(message);
  }
}

export type SettingsListener = (settings: Settings, previous: Settings) => void;

/**
 * The settings of one data directory: a validated, frozen value, a way to change it that saves atomically,
 * and change notifications — including changes made by another process (`homegate hosts add` while `serve` runs).
 */
export class SettingsStore {
  readonly #path: string;
  readonly #logger: Logger;
  #current: Settings;
  #serialized: string;
  #listeners = new Set<SettingsListener>();
  #stopWatching: StopWatching | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(path: string, settings: Settings, serialized: string, logger: Logger) {
    this.#path = path;
    this.#current = settings;
    this.#serialized = serialized;
    this.#logger = logger;
  }

  /**
   * Opens the settings in `dataDir`, creating defaults on first run. A file that is not valid JSON or does not
   * match the schema is copied to a `.corrupt-<time>` backup and reported with a `SettingsError`; it is never
   * replaced, so nothing the user wrote is lost.
   */
  static async open(dataDir: string, logger: Logger): Promise<SettingsStore> {
    const path = join(dataDir, SETTINGS_FILE_NAME);
    const text = await readSettingsText(path);
    if (text === undefined) {
      const settings = deepFreeze(defaultSettings());
      const serialized = serialize(settings);
      await writeFileAtomic(path, serialized, { mode: 0o600 });
      logger.info('created settings', { path });
      return new SettingsStore(path, settings, serialized, logger);
    }
    const parsed = parseSettings(text, path);
    if (!parsed.ok) {
      const backupPath = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await copyFile(path, backupPath);
      throw new SettingsError(`${parsed.message} (a copy was saved to ${backupPath})`, path, backupPath);
    }
    return new SettingsStore(path, parsed.settings, text, logger);
  }

  get path(): string {
    return this.#path;
  }

  get(): Settings {
    return this.#current;
  }

  onChange(listener: SettingsListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Applies `change` to the settings as they are on disk now, validates the result and saves it atomically.
   * Changes from this process are serialised; the file is re-read first so a concurrent CLI edit is not lost.
   */
  update(change: (settings: Settings) => Settings): Promise<Settings> {
    const run = async (): Promise<Settings> => {
      await this.#reloadFromDisk();
      const next = SettingsFileSchema.safeParse(change(this.#current));
      if (!next.success) throw new SettingsError(`invalid settings: ${describeIssues(next.error)}`, this.#path);
      const settings = deepFreeze(next.data);
      const serialized = serialize(settings);
      await writeFileAtomic(this.#path, serialized, { mode: 0o600 });
      this.#apply(settings, serialized);
      return settings;
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Starts following changes other processes make to the file. A bad edit is reported and the last good settings stay. */
  watch(): void {
    this.#stopWatching ??= watchFile(
      this.#path,
      () => {
        this.#queue = this.#queue.then(() => this.#reloadFromDisk()).catch(() => undefined);
      },
      { onError: (error) => this.#logger.warn('cannot watch the settings file', { error }) },
    );
  }

  close(): void {
    this.#stopWatching?.();
    this.#stopWatching = undefined;
    this.#listeners.clear();
  }

  async #reloadFromDisk(): Promise<void> {
    let text: string | undefined;
    try {
      text = await readSettingsText(this.#path);
    } catch (error) {
      this.#logger.error('cannot read settings; keeping the last good ones', { path: this.#path, error });
      return;
    }
    if (text === undefined || text === this.#serialized) return;
    const parsed = parseSettings(text, this.#path);
    if (!parsed.ok) {
      this.#logger.error('settings file changed but is not valid; keeping the last good settings', {
        path: this.#path,
        problem: parsed.message,
      });
      return;
    }
    this.#apply(parsed.settings, text);
    this.#logger.info('settings reloaded', { path: this.#path });
  }

  #apply(settings: Settings, serialized: string): void {
    const previous = this.#current;
    this.#current = settings;
    this.#serialized = serialized;
    for (const listener of this.#listeners) {
      try {
        listener(settings, previous);
      } catch (error) {
        this.#logger.error('settings listener failed', { error });
      }
    }
  }
}

async function readSettingsText(path: string): Promise<string | undefined> {
  try {
    const buffer = await readFile(path);
    if (buffer.length > MAX_SETTINGS_FILE_BYTES) {
      throw new SettingsError(`${path} is larger than ${MAX_SETTINGS_FILE_BYTES} bytes`, path);
    }
    return buffer.toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

type ParseResult = { ok: true; settings: Settings } | { ok: false; message: string };

function parseSettings(text: string, path: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `${path} is not valid JSON: ${(error as Error).message}` };
  }
  const result = SettingsFileSchema.safeParse(json);
  if (!result.success) return { ok: false, message: `${path} has invalid settings: ${describeIssues(result.error)}` };
  return { ok: true, settings: deepFreeze(result.data) };
}

function serialize(settings: Settings): string {
  return `${JSON.stringify(settings, null, 2)}\n`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
