import { join } from 'node:path';
import type { Logger } from '../logging/logger.ts';
import { watchFile, type StopWatching } from '../util/watch-file.ts';
import { CHANGE_MARKER_FILE, loadOrCreateCertificates, type TlsMaterial } from './certificate-store.ts';
import type { CertificateKeyType } from './local-ca.ts';
import type { SecretCodec } from './secret-files.ts';

/** How often a running gateway re-checks its certificate (renewal of the local one, expiry of an imported one). */
export const RENEWAL_CHECK_INTERVAL_MS = 24 * 60 * 60 * 1000;

/** What made the gateway look at its certificate again; logged as `reason`. */
export type ReloadReason = 'daily-check' | 'public-names-changed' | 'files-changed';

export type TlsMaterialListener = (material: TlsMaterial, previous: TlsMaterial, reason: ReloadReason) => void;

export interface CertificateReloaderOptions {
  /** The certificate folder (`<data dir>/tls`). */
  readonly dir: string;
  /** The material the gateway started with. */
  readonly initial: TlsMaterial;
  /** The configured public names at the time of a reload. */
  readonly publicNames: () => readonly string[];
  /** The configured key type for anything that has to be created at a reload (a key file gone missing). */
  readonly keyType?: () => CertificateKeyType;
  readonly logger: Logger;
  readonly secretCodec?: SecretCodec;
  readonly checkIntervalMs?: number;
  readonly now?: () => Date;
}

/**
 * Keeps a running gateway's certificate current without a restart:
 * - once a day it runs the same load as at start, which renews the local server certificate when it nears
 *   expiry (and warns about an imported one, which is never renewed);
 * - `reload('public-names-changed')` re-issues with the new names (the service calls it on a settings change);
 * - it follows changed.json, which every writer of the folder (the CLI's `cert import`, `cert regenerate`,
 *   `cert use-local`, another gateway's renewal) rewrites last, under the folder's lock.
 * Listeners get the new material only when it differs; they swap the listener's secure context, which affects
 * new handshakes only. A reload that fails keeps the current material and logs why.
 */
export class CertificateReloader {
  readonly #options: CertificateReloaderOptions;
  readonly #listeners = new Set<TlsMaterialListener>();
  #current: TlsMaterial;
  #queue: Promise<unknown> = Promise.resolve();
  #stopWatching: StopWatching | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: CertificateReloaderOptions) {
    this.#options = options;
    this.#current = options.initial;
  }

  get current(): TlsMaterial {
    return this.#current;
  }

  onChange(listener: TlsMaterialListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts the daily check and the folder watch. Neither keeps the process alive. */
  start(): void {
    if (this.#closed || this.#stopWatching) return;
    const { dir, logger } = this.#options;
    this.#timer = setInterval(
      () => void this.reload('daily-check'),
      this.#options.checkIntervalMs ?? RENEWAL_CHECK_INTERVAL_MS,
    );
    this.#timer.unref();
    this.#stopWatching = watchFile(join(dir, CHANGE_MARKER_FILE), () => void this.reload('files-changed'), {
      onError: (error) => logger.error('cannot watch the certificate folder', { dir, error }),
    });
  }

  /**
   * Loads the certificate again (renewing or re-issuing the local one when due) and tells the listeners if it
   * changed. Calls are serialised; never rejects.
   */
  reload(reason: ReloadReason): Promise<TlsMaterial> {
    const run = async (): Promise<TlsMaterial> => {
      if (this.#closed) return this.#current;
      const { dir, logger } = this.#options;
      let next: TlsMaterial;
      try {
        next = await loadOrCreateCertificates(dir, {
          publicNames: this.#options.publicNames(),
          ...(this.#options.keyType ? { keyType: this.#options.keyType() } : {}),
          logger,
          ...(this.#options.secretCodec ? { secretCodec: this.#options.secretCodec } : {}),
          ...(this.#options.now ? { now: this.#options.now } : {}),
        });
      } catch (error) {
        logger.error('certificate reload failed; keeping the current certificate', { reason, error });
        return this.#current;
      }
      const previous = this.#current;
      if (this.#closed || (next.chainPem === previous.chainPem && next.keyPem === previous.keyPem)) {
        logger.debug('certificate unchanged', { reason, fingerprintSha256: previous.fingerprintSha256 });
        return previous;
      }
      this.#current = next;
      logger.info('TLS certificate changed; new connections get the new one', {
        reason,
        source: next.source,
        subject: next.subject,
        fingerprintSha256: next.fingerprintSha256,
        previousFingerprintSha256: previous.fingerprintSha256,
        notAfter: next.notAfter.toISOString(),
      });
      for (const listener of this.#listeners) {
        try {
          listener(next, previous, reason);
        } catch (error) {
          logger.error('certificate listener failed', { error });
        }
      }
      return next;
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Stops the timer and the watch; a reload in progress finishes without telling anyone. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#stopWatching?.();
    this.#stopWatching = undefined;
    this.#listeners.clear();
  }
}
