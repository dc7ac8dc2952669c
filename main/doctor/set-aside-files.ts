import { readdir } from 'node:fs/promises';
import { SETTINGS_FILE_NAME } from '../config/settings-store.ts';
import { ISSUED_TOKENS_FILE_NAME } from '../security/issued-tokens.ts';
import { ASSOCIATION_REPLAY_FILE_NAME, PAA_REPLAY_FILE_NAME } from '../security/replay-journal.ts';
import { REACHABILITY_FILE_NAME } from './reachability-file.ts';

/** Copies listed one by one; older ones are counted in one more line. */
export const MAX_SET_ASIDE_LISTED = 10;

/**
 * A copy of a file that could not be used, kept beside it as `NAME.corrupt-TIME` (TIME is the ISO time with `:` and
 * `.` turned into `-`), as the settings, the reachability file, the issued-token list, the used-token journals and
 * the desktop app's state do.
 */
export interface SetAsideCopy {
  /** The file that was unreadable, e.g. `reachability.json`. */
  readonly file: string;
  /** The copy's name in the same folder. */
  readonly copy: string;
  /** When it was set aside (ISO), from the copy's name. */
  readonly at: string;
}

const COPY_NAME = /^(.+)\.corrupt-(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d)-(\d{3})Z$/;

/** What happened to each kind of file when it was set aside, and what is left to do. */
const CONSEQUENCES: Readonly<Record<string, { readonly what: string; readonly then: string; readonly fix: string }>> = {
  [SETTINGS_FILE_NAME]: {
    what: 'the settings',
    then: 'the gateway refused to start with it and left it in place',
    fix: 'If the gateway starts now, the settings were corrected: nothing else to do. Delete the copy once you no longer need it.',
  },
  [REACHABILITY_FILE_NAME]: {
    what: "the hosts' last reachability",
    then: 'it was started again, so only that history was lost',
    fix: 'Nothing else to do; delete the copy when you like.',
  },
  [ISSUED_TOKENS_FILE_NAME]: {
    what: 'the list of issued tokens',
    then: 'it was started again: tokens issued before are no longer listed under Access (revocations are unaffected)',
    fix: 'Nothing else to do unless one of those tokens must be revoked: `homegate revoke --jti ID` with its id from the copy.',
  },
  [PAA_REPLAY_FILE_NAME]: {
    what: 'the journal of used single-use access tokens',
    then: 'its readable lines were kept',
    fix: 'Nothing else to do; delete the copy when you like.',
  },
  [ASSOCIATION_REPLAY_FILE_NAME]: {
    what: 'the journal of used single-use relay tokens',
    then: 'its readable lines were kept',
    fix: 'Nothing else to do; delete the copy when you like.',
  },
  'app-state.json': {
    what: "the desktop app's window and tray state",
    then: 'the app started from defaults',
    fix: 'Nothing else to do; delete the copy when you like.',
  },
};

/** The set-aside copies in `dir` (not below it), newest first; none when the folder cannot be read. */
export async function findSetAsideCopies(dir: string): Promise<SetAsideCopy[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const copies: SetAsideCopy[] = [];
  for (const name of names) {
    const match = COPY_NAME.exec(name);
    if (!match) continue;
    const [, file, day, hours, minutes, seconds, millis] = match as unknown as [string, string, ...string[]];
    const at = `${day}T${hours}:${minutes}:${seconds}.${millis}Z`;
    if (Number.isNaN(Date.parse(at))) continue;
    copies.push({ file, copy: name, at });
  }
  return copies.sort((a, b) => (a.at === b.at ? a.copy.localeCompare(b.copy) : a.at < b.at ? 1 : -1));
}

/** One sentence for a copy: what was unreadable, when, where it was kept, what followed; and the fix. */
export function describeSetAsideCopy(copy: SetAsideCopy): { readonly message: string; readonly fix: string } {
  const known = CONSEQUENCES[copy.file];
  const what = known ? `${known.what} (${copy.file})` : copy.file;
  const then = known ? `; ${known.then}` : '';
  return {
    message: `${what} could not be used on ${copy.at.slice(0, 19).replace('T', ' ')} UTC; it was kept as ${copy.copy}${then}`,
    fix: known?.fix ?? 'Nothing else to do; delete the copy when you like.',
  };
}
