import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../logging/logger.ts';
import type { SigningKey } from './signing-key.ts';
import { TOKEN_KINDS, TokenKind, type TrustedKey, type VerificationKeyLookup } from './tokens.ts';

/** Algorithms a provisioner key may use: what Devolutions provisioners use (RS256), plus ES256 and Ed25519. */
export const PROVISIONER_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
export type ProvisionerAlgorithm = (typeof PROVISIONER_ALGORITHMS)[number];
/** RSA keys shorter than this are refused (NIST: 2048 bits at least). */
export const MIN_RSA_MODULUS_BITS = 2048;
/** Provisioners sign relay, API and revocation tokens; PAA (MS-TSGU) tokens only when a key lists it. */
export const DEFAULT_PROVISIONER_KINDS: readonly TokenKind[] = [TokenKind.ASSOCIATION, TokenKind.SCOPE, TokenKind.JRL];
export const MAX_PROVISIONER_KEYS = 16;

/**
 * A public key of an external token issuer (a "provisioner", as Devolutions calls it), as stored in the settings:
 * a PEM (SPKI or certificate) or a public JWK, the one algorithm it signs with, and the token kinds it may sign.
 */
export const ProvisionerKeySchema = z
  .object({
    kid: z.string().min(1).max(128),
    alg: z.enum(PROVISIONER_ALGORITHMS),
    publicKeyPem: z
      .string()
      .min(1)
      .max(16 * 1024)
      .optional(),
    publicKeyJwk: z.record(z.string(), z.unknown()).optional(),
    kinds: z
      .array(z.enum(TOKEN_KINDS as [TokenKind, ...TokenKind[]]))
      .min(1)
      .max(TOKEN_KINDS.length)
      .default([...DEFAULT_PROVISIONER_KINDS]),
    /** Tokens from this issuer must name this gateway (`jet_gw_id`); turn off only for a dedicated provisioner. */
    requireGatewayId: z.boolean().default(true),
  })
  .strict()
  .superRefine((config, ctx) => {
    try {
      importProvisionerKey(config);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });
export type ProvisionerKeyConfig = z.infer<typeof ProvisionerKeySchema>;

export class ProvisionerKeyError extends Error {
  override readonly name = 'ProvisionerKeyError';
}

/** Imports a provisioner's public key and checks that it is the kind of key its algorithm needs. */
export function importProvisionerKey(
  config: Pick<ProvisionerKeyConfig, 'alg' | 'publicKeyPem' | 'publicKeyJwk' | 'kid'>,
): KeyObject {
  const { publicKeyPem: pem, publicKeyJwk: jwk } = config;
  if ((pem === undefined) === (jwk === undefined)) {
    throw new ProvisionerKeyError(`key "${config.kid}": give exactly one of publicKeyPem and publicKeyJwk`);
  }
  // A private key would import (its public half is derivable), but it must never sit in the settings file.
  if (pem?.includes('PRIVATE KEY') || (jwk && 'd' in jwk)) {
    throw new ProvisionerKeyError(`key "${config.kid}" is a private key; configure the public key only`);
  }
  let key: KeyObject;
  try {
    key = pem !== undefined ? createPublicKey(pem) : createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch (error) {
    throw new ProvisionerKeyError(`key "${config.kid}" is not a readable public key: ${(error as Error).message}`);
  }
  const details = key.asymmetricKeyDetails;
  const ok =
    (config.alg === 'RS256' &&
      key.asymmetricKeyType === 'rsa' &&
      (details?.modulusLength ?? 0) >= MIN_RSA_MODULUS_BITS) ||
    (config.alg === 'ES256' && key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') ||
    (config.alg === 'EdDSA' && key.asymmetricKeyType === 'ed25519');
  if (!ok) {
    throw new ProvisionerKeyError(
      `key "${config.kid}" does not fit ${config.alg} (RS256 needs RSA of ${MIN_RSA_MODULUS_BITS} bits or more, ` +
        'ES256 an EC P-256 key, EdDSA an Ed25519 key)',
    );
  }
  return key;
}

interface ProvisionerEntry {
  readonly trusted: TrustedKey;
  readonly kinds: ReadonlySet<TokenKind>;
}

/**
 * The keys tokens are verified with: the gateway's own signing key (every kind, gateway id required), and the
 * configured provisioner keys (their kinds only). Provisioner keys are re-imported when the settings change;
 * one that claims the gateway's own `kid` is ignored, so it cannot shadow the gateway's key.
 */
export function createKeyLookup(
  own: SigningKey,
  provisioners: () => readonly ProvisionerKeyConfig[],
  logger?: Logger,
): VerificationKeyLookup {
  const ownKey: TrustedKey = Object.freeze({ key: own.publicKey, alg: own.alg, requireGatewayId: true });
  let source: readonly ProvisionerKeyConfig[] | undefined;
  let entries = new Map<string, ProvisionerEntry>();

  const refresh = (configs: readonly ProvisionerKeyConfig[]): void => {
    source = configs;
    entries = new Map();
    for (const config of configs) {
      if (config.kid === own.kid) {
        logger?.warn('a provisioner key uses the gateway key id; ignored', { kid: config.kid });
        continue;
      }
      try {
        const key = importProvisionerKey(config);
        entries.set(config.kid, {
          trusted: Object.freeze({ key, alg: config.alg, requireGatewayId: config.requireGatewayId }),
          kinds: new Set(config.kinds),
        });
      } catch (error) {
        logger?.error('a provisioner key cannot be used; ignored', { kid: config.kid, error });
      }
    }
  };

  return (kid, kind) => {
    if (kid === own.kid) return ownKey;
    const configs = provisioners();
    if (configs !== source) refresh(configs);
    const entry = entries.get(kid);
    return entry?.kinds.has(kind) ? entry.trusted : undefined;
  };
}
