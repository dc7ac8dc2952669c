import type { ContractError } from '../../../shared/ipc/contract.ts';

/**
 * Why a call failed, whichever transport carried it: the contract's own codes, plus the ones only a transport
 * can produce (the admin session ended, the login is rate-limited, the gateway did not answer).
 */
export type ApiErrorCode = ContractError['code'] | 'unauthorized' | 'rate-limited' | 'unavailable';

const CONTRACT_CODES: ReadonlySet<string> = new Set<ContractError['code']>([
  'invalid-input',
  'forbidden',
  'not-found',
  'conflict',
  'internal',
]);

export function isContractCode(code: unknown): code is ContractError['code'] {
  return typeof code === 'string' && CONTRACT_CODES.has(code);
}

/** The one error type the UI sees from a call: a stable code and a message a person can read. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** The HTTP status, for the web transport. */
    readonly status?: number,
    /** Seconds to wait before trying again (a rate-limited login). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** A message for the UI from anything thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return 'something went wrong';
}
