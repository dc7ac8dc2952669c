import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ATTEMPTS_FILE_NAME } from '../doctor/attempt-log.ts';
import { REACHABILITY_FILE_NAME } from '../doctor/reachability-file.ts';
import { ISSUED_TOKENS_FILE_NAME } from '../security/issued-tokens.ts';
import { ASSOCIATION_REPLAY_FILE_NAME, PAA_REPLAY_FILE_NAME } from '../security/replay-journal.ts';
import { JRL_FILE_NAME } from '../security/revocation.ts';
import { AUDIT_LOG_FILE_NAME } from '../sessions/audit-log.ts';
import { ADMIN_PASSWORD_FILE_NAME } from '../web/admin-password.ts';

export const APP_DIR_NAME = 'Homegate';

/**
 * Where Homegate keeps its settings, keys and logs: `--data-dir`, else `HOMEGATE_DATA_DIR`, else the platform's
 * per-user application data folder — the same folder Electron's `app.getPath('userData')` gives the desktop app,
 * so the CLI and the tray app share one configuration.
 */
export function resolveDataDir(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (flag) return resolve(flag);
  if (env.HOMEGATE_DATA_DIR) return resolve(env.HOMEGATE_DATA_DIR);
  return join(platformAppDataDir(env, platform), APP_DIR_NAME);
}

function platformAppDataDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string {
  switch (platform) {
    case 'win32':
      // `||`, not `??`: an empty variable counts as unset, else the data would land in a relative `Homegate`.
      return env.APPDATA || join(homedir(), 'AppData', 'Roaming');
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support');
    default:
      // Empty means unset (XDG Base Directory spec), as Electron's app.getPath('appData') reads it.
      return env.XDG_CONFIG_HOME || join(homedir(), '.config');
  }
}

/** Where each kind of file lives inside the data directory. */
export function dataPaths(dataDir: string) {
  return {
    keys: join(dataDir, 'keys'),
    tls: join(dataDir, 'tls'),
    auditLog: join(dataDir, AUDIT_LOG_FILE_NAME),
    jrl: join(dataDir, JRL_FILE_NAME),
    issuedTokens: join(dataDir, ISSUED_TOKENS_FILE_NAME),
    adminPassword: join(dataDir, ADMIN_PASSWORD_FILE_NAME),
    attempts: join(dataDir, ATTEMPTS_FILE_NAME),
    reachability: join(dataDir, REACHABILITY_FILE_NAME),
    usedPaaTokens: join(dataDir, PAA_REPLAY_FILE_NAME),
    usedAssociationTokens: join(dataDir, ASSOCIATION_REPLAY_FILE_NAME),
  };
}
