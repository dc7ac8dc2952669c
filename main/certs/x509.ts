/**
 * The one entry point to @peculiar/x509. Everything in this folder imports it from here, never directly:
 * - `reflect-metadata` must be evaluated before @peculiar/x509 (its tsyringe container throws
 *   "tsyringe requires a reflect polyfill" otherwise), and ESM evaluates imports in order;
 * - we do NOT set the library's global `cryptoProvider`: every call that needs WebCrypto gets
 *   `x509Crypto` explicitly, so this module holds no mutable state and cannot fight another user of it.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export { x509 };

/** Node's WebCrypto, passed as the `crypto` argument of every library call that signs or hashes. */
export const x509Crypto: webcrypto.Crypto = webcrypto;
