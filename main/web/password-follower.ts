/**
 * Follows the admin password file while serving: a new password (set by `homegate admin set-password`) ends every web
 * session, as does a removed or unusable file. Whoever changed the password wants the old one out.
 */
import type { Logger } from '../logging/logger.ts';
import { watchFile, type StopWatching } from '../util/watch-file.ts';
import { readAdminPassword } from './admin-password.ts';

export class AdminPasswordFollower {
  readonly #passwordFile: string;
  readonly #endAllSessions: (why: string) => void;
  #knownHash: string | undefined;
  readonly #stop: StopWatching;

  constructor(passwordFile: string, logger: Logger, endAllSessions: (why: string) => void) {
    this.#passwordFile = passwordFile;
    this.#endAllSessions = endAllSessions;
    void readAdminPassword(passwordFile).then(
      (record) => {
        if (record && this.#knownHash === undefined) this.#knownHash = record.hash;
      },
      () => undefined,
    );
    this.#stop = watchFile(passwordFile, () => this.#reload(), {
      onError: (error) => logger.warn('cannot follow the admin password file', { error }),
    });
  }

  /** The hash a login just matched: when it differs from the one known, the password changed. */
  remember(hash: string): void {
    if (this.#knownHash !== undefined && this.#knownHash !== hash) this.#endAllSessions('the admin password changed');
    this.#knownHash = hash;
  }

  close(): void {
    this.#stop();
  }

  #reload(): void {
    readAdminPassword(this.#passwordFile).then(
      (record) => {
        if (!record) this.#endAllSessions('the admin password was removed');
        else this.remember(record.hash);
      },
      () => this.#endAllSessions('the admin password file cannot be used'),
    );
  }
}
