// Bundles the Node entry points with esbuild into out/ (never committed).
import { build } from 'esbuild';

// Bundled CommonJS dependencies (ws) call `require`; give the ESM bundle one.
const esmRequire = {
  js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
};

await build({
  entryPoints: ['main/cli.ts'],
  outfile: 'out/cli/homegate.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  banner: esmRequire,
  logLevel: 'warning',
});
