#!/usr/bin/env node
// The `homegate` command. The CLI is bundled to out/ by `npm run build` (run by `npm ci` through `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../out/cli/homegate.js', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write('homegate: the CLI is not built yet; run `npm run build` in the project folder\n');
  process.exit(70);
}
const { main } = await import(bundle);
process.exitCode = await main(process.argv.slice(2));
