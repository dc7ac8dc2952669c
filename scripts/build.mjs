// Bundles every entry point with esbuild into out/ (never committed): the headless CLI, the Electron main
// process and preload, the renderer page, and the icons (scripts/icons.mjs).
import { copyFile, mkdir } from 'node:fs/promises';
import { build } from 'esbuild';
import { buildIcons } from './icons.mjs';

// Bundled CommonJS dependencies (ws) call `require`; give the ESM bundles one.
const esmRequire = {
  js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
};
const node = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' };

await mkdir('out/renderer', { recursive: true });
await Promise.all([
  build({ ...node, entryPoints: ['main/cli.ts'], outfile: 'out/cli/homegate.js', format: 'esm', banner: esmRequire }),
  build({
    ...node,
    entryPoints: ['main/index.ts'],
    outfile: 'out/main/index.js',
    format: 'esm',
    banner: esmRequire,
    external: ['electron'],
  }),
  // A sandboxed preload cannot be an ES module.
  build({
    ...node,
    entryPoints: ['preload/index.ts'],
    outfile: 'out/preload/index.cjs',
    format: 'cjs',
    external: ['electron'],
  }),
  build({
    entryPoints: ['renderer/src/main.tsx'],
    outfile: 'out/renderer/main.js',
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'chrome140',
    jsx: 'automatic',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  }),
  // The page's one stylesheet, linked from index.html (its CSP allows no inline styles).
  build({
    entryPoints: ['renderer/src/styles.css'],
    outfile: 'out/renderer/styles.css',
    bundle: true,
    minify: true,
    target: 'chrome140',
    logLevel: 'warning',
  }),
  copyFile('renderer/index.html', 'out/renderer/index.html'),
  copyFile('renderer/favicon.svg', 'out/renderer/favicon.svg'),
  buildIcons(),
]);
