/**
 * `max-lines-per-function` in eslint.config.js holds production code (main/, shared/, preload/, renderer/src/, bin/,
 * scripts/) to 80 lines a function, blank lines and comments not counted; tests and benchmarks are not held. The
 * fixture test/fixtures/lint/function-length.ts has a function of 80 counted lines and one of 81, and is linted here
 * with the project's config as if it lived in each folder, so a rule that stopped firing (a glob typo, a later block
 * turning it off) or fired on 80 lines fails here.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const ROOT = join(import.meta.dirname, '../../..');
const FIXTURE = join(ROOT, 'test/fixtures/lint/function-length.ts');

const HELD = ['main/x.ts', 'shared/x.ts', 'preload/x.ts', 'renderer/src/x.ts', 'bin/x.ts', 'scripts/x.ts'];
const FREE = ['test/unit/x.test.ts', 'bench/x.ts'];

describe('function length held by the linter', () => {
  // The project's config, without type information: the fixture is in no tsconfig, and the rule needs none.
  const eslint = new ESLint({ cwd: ROOT, overrideConfig: [tseslint.configs.disableTypeChecked] });

  const reported = async (path: string): Promise<string[]> => {
    const text = await readFile(FIXTURE, 'utf8');
    const [result] = await eslint.lintText(text, { filePath: join(ROOT, path) });
    assert.ok(result);
    assert.deepEqual(
      result.messages.filter((message) => message.fatal),
      [],
      'the fixture parses',
    );
    const lines = text.split('\n');
    return result.messages
      .filter((message) => message.ruleId === 'max-lines-per-function')
      .map((message) => /function (\w+)/.exec(lines[message.line - 1] ?? '')?.[1] ?? `line ${message.line}`);
  };

  for (const path of HELD) {
    it(`${path}: the 81-line function is reported, the 80-line one is not`, async () => {
      assert.deepEqual(await reported(path), ['eightyOneLines']);
    });
  }
  for (const path of FREE) {
    it(`${path}: not held`, async () => {
      assert.deepEqual(await reported(path), []);
    });
  }
});
