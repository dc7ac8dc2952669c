/**
 * Makes `import … from 'electron'` resolve to the electron stand-in (main-process.ts) in this process, from now
 * on: a test file imports this first, then imports the shell's real entry (main/index.ts) dynamically.
 */
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
