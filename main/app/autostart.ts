import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** The argument a login start passes: the app starts in the tray without opening its window. */
export const HIDDEN_ARG = '--hidden';

/**
 * Start at login on Linux: an XDG autostart entry (`$XDG_CONFIG_HOME/autostart/homegate.desktop`), which GNOME, KDE,
 * Xfce and the other XDG desktops run at login. Electron's login items cover macOS and Windows only.
 */
export function autostartEntryPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'autostart', 'homegate.desktop');
}

/**
 * The program to start: the AppImage itself when running from one (process.execPath then points into its
 * temporary mount, gone after exit), else the Electron executable (the installed deb's binary).
 */
export function autostartCommand(env: NodeJS.ProcessEnv = process.env, execPath = process.execPath): string {
  return env.APPIMAGE || execPath;
}

/** The entry's text. Exec quoting per the Desktop Entry Specification: quoted, with " ` $ \ escaped, % doubled. */
export function autostartEntry(command: string): string {
  const quoted = `"${command.replace(/(["`$\\])/g, '\\$1').replace(/%/g, '%%')}"`;
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Homegate',
    'Comment=Personal Remote Desktop Gateway',
    `Exec=${quoted} ${HIDDEN_ARG}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** True when our entry is there (a user may have switched it off in the desktop's settings: Hidden=true). */
export async function isAutostartEnabled(path = autostartEntryPath()): Promise<boolean> {
  try {
    const text = await readFile(path, 'utf8');
    return !/^Hidden\s*=\s*true\s*$/im.test(text) && !/^X-GNOME-Autostart-enabled\s*=\s*false\s*$/im.test(text);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

export async function setAutostart(enabled: boolean, command: string, path = autostartEntryPath()): Promise<void> {
  if (!enabled) {
    await rm(path, { force: true });
    return;
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, autostartEntry(command), { mode: 0o644 });
}
