// Runs the `homegate` command from a given CLI bundle (as bin/homegate.js runs out/cli/homegate.js), so the bench
// can compare builds of the gateway: `npm run bench -- --gateway-bundle=/path/to/homegate.js`.
import { pathToFileURL } from 'node:url';

const [bundle, ...argv] = process.argv.slice(2);
if (!bundle) {
  process.stderr.write('usage: node bench/run-bundle.mjs BUNDLE ARGS...\n');
  process.exit(64);
}
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(argv);
