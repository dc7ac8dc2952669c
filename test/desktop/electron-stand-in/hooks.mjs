// Module-resolution hook (node:module register): `electron`, imported by the shell and by electron-store, resolves
// to the electron stand-in instead of the npm package (whose index.js would try to download the binary).
const STAND_IN = new URL('./main-process.ts', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: STAND_IN, shortCircuit: true };
  return next(specifier, context);
}
