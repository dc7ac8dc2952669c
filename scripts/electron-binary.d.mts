/** The Electron executable `electron .` would run, or why there is none (scripts/electron-binary.mjs). */
export function electronBinary(env?: NodeJS.ProcessEnv): { path?: string; reason?: string };
