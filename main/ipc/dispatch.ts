import {
  contract,
  type CallInput,
  type CallName,
  type CallOutput,
  type ContractError,
} from '../../shared/ipc/contract.ts';
import type { Logger } from '../logging/logger.ts';
import type { GatewayService } from '../service.ts';

/** One handler per contract call; inputs arrive already validated. */
export type CallHandlers = { readonly [N in CallName]: (input: CallInput<N>) => Promise<CallOutput<N>> };

export class ContractCallError extends Error implements ContractError {
  override readonly name = 'ContractCallError';
  constructor(
    readonly code: ContractError['code'],
    message: string,
  ) {
    super(message);
  }

  toJSON(): ContractError {
    return { code: this.code, message: this.message };
  }
}

export function createCallHandlers(service: GatewayService): CallHandlers {
  return {
    'gateway.status': () =>
      Promise.resolve({
        listening: { host: service.address.address, port: service.address.port },
        certificateFingerprint: service.tls.fingerprintSha256,
        liveSessions: service.sessions.size,
      }),
    'sessions.list': () => Promise.resolve(service.sessions.list()),
    'sessions.disconnect': ({ id }) => Promise.resolve(service.sessions.disconnect(id)),
  };
}

function isCallName(name: string): name is CallName {
  return Object.hasOwn(contract.calls, name);
}

/**
 * Runs one call that crossed a boundary (Electron IPC or HTTP): the name must be in the contract and the input
 * must match its schema before any handler sees it. Errors come back as `ContractCallError`, never as stacks.
 */
export async function dispatchCall(
  handlers: CallHandlers,
  name: string,
  rawInput: unknown,
  logger: Logger,
): Promise<unknown> {
  if (!isCallName(name)) throw new ContractCallError('not-found', `no call named "${name.slice(0, 64)}"`);
  const parsed = contract.calls[name].input.safeParse(rawInput);
  if (!parsed.success) {
    throw new ContractCallError('invalid-input', parsed.error.issues[0]?.message ?? 'invalid input');
  }
  const handler = handlers[name] as (input: unknown) => Promise<unknown>;
  try {
    return await handler(parsed.data);
  } catch (error) {
    if (error instanceof ContractCallError) throw error;
    logger.error('contract call failed', { call: name, error });
    throw new ContractCallError('internal', 'the call failed; see the log');
  }
}
