import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/*
 * The layers of docs/architecture.md, held by no-restricted-imports. A file matched by several blocks gets the last
 * block's options only, so every block restates the electron rule. test/unit/lint/layers.test.ts proves each fires.
 */
const electron = { name: 'electron', message: 'only main/index.ts, main/app/ and preload/ may import electron' };
const nodeIo = {
  regex: '^(node:)?(fs|net|tls|http|https|http2|dgram|dns|child_process|stream|worker_threads|cluster|readline)(/|$)',
  message: 'main/gateway/tsgu/ is pure: no Node I/O (it decodes and encodes bytes it is given)',
};
const layers = [
  {
    files: ['main/**', 'shared/**', 'renderer/**'],
    ignores: ['main/index.ts', 'main/app/**'],
    patterns: [],
  },
  {
    files: ['main/gateway/tsgu/**'],
    patterns: [
      nodeIo,
      {
        regex: '(^|/)(transport|http|security|config)/|/tunnel\\.ts$',
        message: 'main/gateway/tsgu/ knows nothing of sockets, tokens or settings',
      },
    ],
  },
  {
    files: ['main/security/**'],
    patterns: [
      {
        regex: '(^|/)(gateway|relay)/',
        message: 'main/security/ imports nothing from gateway/ or relay/: their policy adapters live on their side',
      },
    ],
  },
  {
    files: ['main/gateway/transport/**'],
    patterns: [
      {
        group: ['**/tsgu/codec.ts'],
        allowImportNames: ['encodeDataHeader', 'writeDataHeaderAt'],
        message:
          'a transport writes only the DATA header itself (sendDataWithRoom, docs/architecture.md); packets belong to the tunnel',
      },
      {
        regex: '/tsgu/(session|framer)\\.ts$|(^|/)security/',
        message: 'a transport knows nothing of what a packet means, nor of tokens',
      },
    ],
  },
  {
    files: ['renderer/**'],
    patterns: [
      {
        regex: '^(?!\\.|react(-dom)?(/|$)|zustand(/|$)|qrcode$)',
        message:
          'the renderer imports only React, zustand, qrcode, shared/ and its own files (main is reached through bridge.ts)',
      },
      {
        regex: '^(\\.\\./)+(main|preload|test|scripts|bench|bin)/',
        message: 'the renderer reaches main only through its bridge (bridge.ts), never by importing it',
      },
    ],
  },
].map(({ files, ignores, patterns }) => ({
  files,
  ...(ignores ? { ignores } : {}),
  rules: { 'no-restricted-imports': ['error', { paths: [electron], patterns }] },
}));

export default defineConfig(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-artifacts/**', 'test/fixtures/lint/**'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['main/**', 'preload/**', 'test/**', 'scripts/**', 'bench/**', 'bin/**', '*.js'],
    languageOptions: { globals: globals.node },
  },
  { files: ['renderer/**'], languageOptions: { globals: globals.browser } },
  { files: ['**/*.js', '**/*.mjs'], extends: [tseslint.configs.disableTypeChecked] },
  { files: ['test/**'], rules: { '@typescript-eslint/no-floating-promises': 'off' } },
  {
    // A function that outgrows this is a module in disguise: split it by concern (test/unit/lint/function-length.test.ts).
    files: ['main/**', 'shared/**', 'preload/**', 'renderer/src/**', 'bin/**', 'scripts/**'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  ...layers,
);
