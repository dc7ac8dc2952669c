/**
 * A second process writing the issued-token list, for the concurrency test: opens the registry at argv[2], says
 * `ready`, waits for a line on stdin, then records argv[4] tokens named `argv[3]-N` one after another and exits.
 */
import { createInterface } from 'node:readline';
import { silentLogger } from '../../main/logging/logger.ts';
import { IssuedTokenRegistry } from '../../main/security/issued-tokens.ts';

const [path, prefix, countText] = process.argv.slice(2);
if (path === undefined || prefix === undefined || countText === undefined) {
  throw new Error('usage: issued-token-writer PATH PREFIX COUNT');
}
const registry = await IssuedTokenRegistry.open(path, silentLogger);
const lines = createInterface({ input: process.stdin });
const go = new Promise<void>((resolve) => lines.once('line', () => resolve()));
process.stdout.write('ready\n');
await go;
lines.close();
for (let index = 0; index < Number(countText); index += 1) {
  const issuedAt = new Date();
  await registry.record({
    jti: `${prefix}-${index}`,
    kind: 'paa',
    host: 'desk',
    singleUse: false,
    issuedAt,
    expiresAt: new Date(issuedAt.getTime() + 3_600_000),
  });
}
