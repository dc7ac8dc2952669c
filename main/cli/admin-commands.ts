/** `homegate admin set-password`: the web admin page's password (only its scrypt hash is stored). */
import { dataPaths } from '../config/data-dir.ts';
import { AdminPasswordPolicyError, MIN_ADMIN_PASSWORD_CHARS, setAdminPassword } from '../web/admin-password.ts';
import { CliError, UsageError } from './cli-error.ts';
import type { CommandEnv } from './commands.ts';

/**
 * Reads the new password from standard input (a prompt without echo on a terminal, else the first line piped in),
 * never from the command line, where other users could read it with `ps`. A running gateway notices the new hash
 * and ends every web admin session.
 */
export async function adminSetPasswordCommand(env: CommandEnv): Promise<void> {
  if (!env.io.readSecret) throw new UsageError('the password is read from standard input');
  const password = await env.io.readSecret(
    `New web admin password (at least ${MIN_ADMIN_PASSWORD_CHARS} characters): `,
  );
  try {
    await setAdminPassword(dataPaths(env.dataDir).adminPassword, password);
  } catch (error) {
    if (error instanceof AdminPasswordPolicyError) throw new CliError(error.message);
    throw error;
  }
  env.io.out('web admin password set; a running gateway ends the sessions opened with the old one\n');
}

/** What `serve` prints, once, when it made the first password itself. */
export function generatedPasswordNotice(password: string, adminUrl: string): string {
  return [
    '',
    `A password for the web admin page (${adminUrl}) was generated. It is shown only this once;`,
    'only its hash is stored. Keep it somewhere safe, or choose your own with `homegate admin set-password`:',
    '',
    `    ${password}`,
    '',
    '',
  ].join('\n');
}
