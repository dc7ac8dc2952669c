/**
 * The renderer's built files (out/renderer), read once into an allowlist keyed by relative path. A request is
 * answered only with an entry of that map, looked up by its exact path: `..`, encoded slashes, symlinks and
 * files added later cannot reach anything else, because nothing else is ever opened.
 */
import { createHash } from 'node:crypto';
import { lstat, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The renderer's Content-Security-Policy, exactly as renderer/index.html states it in its meta tag (a test holds the
 * two together): only our own bundled scripts and styles, no inline script, no eval, no remote anything.
 * `connect-src 'self'` is for the same bundle served as the web admin page (fetch and WebSocket to its own origin);
 * in the app 'self' is homegate://app, which answers no fetch, and the page talks to main through preload alone.
 */
export const RENDERER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * The same policy as a response header, which can also forbid framing (a meta tag cannot): the app's protocol and the
 * web admin page both serve it.
 */
export const RENDERER_CSP_HEADER = `${RENDERER_CSP}; frame-ancestors 'none'`;

/** The only kinds of file served; anything else in the folder (source maps, dotfiles) is left out. */
export const STATIC_CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};
export const MAX_STATIC_FILES = 500;
export const MAX_STATIC_TOTAL_BYTES = 32 * 1024 * 1024;
const MAX_DEPTH = 8;
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
  /** A strong ETag (hash of the body). */
  readonly etag: string;
}

export type StaticFiles = ReadonlyMap<string, StaticFile>;

export interface LoadStaticFilesOptions {
  /** Rewrites HTML files as they are loaded (the web admin drops the page's own CSP for the header's). */
  readonly transformHtml?: (html: string) => string;
}

/** Reads the allowlist from `root`; undefined when there is no built page there (no index.html). */
export async function loadStaticFiles(
  root: string,
  options: LoadStaticFilesOptions = {},
): Promise<StaticFiles | undefined> {
  const files = new Map<string, StaticFile>();
  let total = 0;
  const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) return;
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (!SAFE_SEGMENT.test(entry.name)) continue;
      const path = join(dir, entry.name);
      const relative = prefix + entry.name;
      // lstat: a symlink is neither followed nor served.
      const info = await lstat(path);
      if (info.isDirectory()) {
        await walk(path, `${relative}/`, depth + 1);
        continue;
      }
      const contentType = STATIC_CONTENT_TYPES[extensionOf(entry.name)];
      if (!info.isFile() || contentType === undefined) continue;
      if (files.size >= MAX_STATIC_FILES) throw new Error(`${root} holds more than ${MAX_STATIC_FILES} files to serve`);
      total += info.size;
      if (total > MAX_STATIC_TOTAL_BYTES) throw new Error(`${root} holds more than ${MAX_STATIC_TOTAL_BYTES} bytes`);
      let body = await readFile(path);
      if (contentType.startsWith('text/html') && options.transformHtml) {
        body = Buffer.from(options.transformHtml(body.toString('utf8')));
      }
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      files.set(relative, { body, contentType, etag });
    }
  };
  try {
    await walk(root, '', 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return files.has('index.html') ? files : undefined;
}

/** The file for a path below the mount point (`''` is the index), or undefined. Never touches the disk. */
export function lookupStaticFile(files: StaticFiles, relativePath: string): StaticFile | undefined {
  const path = relativePath === '' ? 'index.html' : relativePath;
  const exact = files.get(path);
  if (exact) return exact;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  return decoded === path ? undefined : files.get(decoded);
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot === -1 ? '' : name.slice(dot).toLowerCase();
}
