/**
 * Which external programs the e2e tests need, and what to do when one is missing: skip locally, fail in CI
 * (`CI=true`), because a CI run that silently skips its end-to-end tests proves nothing.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { MissingToolsError } from './errors.ts';

/** The Debian package that provides each tool, for messages (scripts/setup-system.sh installs them). */
export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  xfreerdp: 'freerdp2-x11',
  'freerdp-shadow-cli': 'freerdp2-shadow-x11',
  Xvfb: 'xvfb',
  xauth: 'xauth',
  chromium: 'chromium',
  nginx: 'nginx-light',
  openssl: 'openssl',
  pgrep: 'procps',
  stdbuf: 'coreutils',
  strace: 'strace',
};

/** nginx lives in /usr/sbin, which is often not on a non-root PATH; look there too. */
const EXTRA_SEARCH_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

export const SETUP_SCRIPT = 'scripts/setup-system.sh';

export type ToolCheck =
  { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly missing: readonly string[] };

/** The absolute path of executable `name` on PATH (plus the sbin directories), or `undefined`. */
export function findTool(name: string, pathEnv: string = process.env.PATH ?? ''): string | undefined {
  const dirs = [...pathEnv.split(delimiter).filter((dir) => dir !== ''), ...EXTRA_SEARCH_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return undefined;
}

/** Checks that every tool in `names` is installed; the reason names each missing tool and its package. */
export function requireTools(names: readonly string[], pathEnv?: string): ToolCheck {
  const missing = names.filter((name) => findTool(name, pathEnv) === undefined);
  if (missing.length === 0) return { ok: true };
  const listed = missing.map((name) => `${name} (Debian package ${TOOL_PACKAGES[name] ?? 'unknown'})`).join(', ');
  return { ok: false, missing, reason: `missing ${listed}; install with ${SETUP_SCRIPT}` };
}

/**
 * Turns `requireTools` into node:test behaviour. Returns `undefined` when all tools are present, else a
 * skip reason for `test(name, { skip }, fn)`, `describe(name, { skip }, fn)` or `t.skip(reason)`.
 * When `env.CI === 'true'` a missing tool is a failure instead: throws a MissingToolsError.
 */
export function skipUnlessTools(names: readonly string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  const check = requireTools(names, env.PATH);
  if (check.ok) return undefined;
  if (env.CI === 'true') {
    throw new MissingToolsError(
      `CI=true and the e2e tests cannot run: ${check.reason} (run ${SETUP_SCRIPT} before the tests)`,
      check.missing,
    );
  }
  return check.reason;
}
