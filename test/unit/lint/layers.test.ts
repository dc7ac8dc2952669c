/**
 * The layers of docs/architecture.md are held by `no-restricted-imports` in eslint.config.js. Each fixture under
 * test/fixtures/lint/ is linted with the project's config as if it lived at its path there, so a rule that stopped
 * firing (a typo in a glob, a later block overriding an earlier one) fails here.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const ROOT = join(import.meta.dirname, '../../..');
const FIXTURES = join(ROOT, 'test/fixtures/lint');

/** Each fixture's path (also where it is linted as) and the imports the layer rules must refuse, in order. */
const CASES: readonly { readonly path: string; readonly refused: readonly string[] }[] = [
  { path: 'main/gateway/electron.ts', refused: ['electron'] },
  { path: 'main/app/electron.ts', refused: [] },
  {
    path: 'main/gateway/tsgu/node-io.ts',
    refused: ['node:net', 'fs/promises', '../../security/tokens.ts'],
  },
  { path: 'main/security/gateway.ts', refused: ['../gateway/tsgu/constants.ts', '../relay/dial.ts'] },
  {
    path: 'main/gateway/transport/codec.ts',
    refused: ['../tsgu/codec.ts', '../tsgu/session.ts', '../../security/replay-cache.ts'],
  },
  { path: 'main/gateway/transport/data-header.ts', refused: [] },
  {
    path: 'renderer/src/main-process.ts',
    refused: ['../../main/config/data-dir.ts', 'node:fs/promises', 'zod', 'electron'],
  },
  { path: 'renderer/src/allowed.ts', refused: [] },
];

describe('layer boundaries held by the linter', () => {
  // The project's config, without type information: the fixtures are in no tsconfig, and the rules need none.
  const eslint = new ESLint({ cwd: ROOT, overrideConfig: [tseslint.configs.disableTypeChecked] });

  for (const { path, refused } of CASES) {
    it(`${path}: ${refused.length === 0 ? 'nothing refused' : `refuses ${refused.join(', ')}`}`, async () => {
      const text = await readFile(join(FIXTURES, path), 'utf8');
      const [result] = await eslint.lintText(text, { filePath: join(ROOT, path) });
      assert.ok(result);
      const fatal = result.messages.filter((message) => message.fatal);
      assert.deepEqual(fatal, [], 'the fixture parses');
      const lines = text.split('\n');
      const found = result.messages
        .filter((message) => message.ruleId === 'no-restricted-imports')
        .map((message) => /from '([^']+)'/.exec(lines[message.line - 1] ?? '')?.[1]);
      // An import refused by two rules (electron in the renderer) counts once.
      assert.deepEqual([...new Set(found)], refused);
    });
  }
});
