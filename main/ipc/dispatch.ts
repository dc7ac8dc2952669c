import {
  contract,
  type ParsedCallInput,
  type CallName,
  type CallOutput,
  type ContractError,
} from '../../shared/ipc/contract.ts';
import type { AppStateStore } from '../config/app-state.ts';
import type { Logger } from '../logging/logger.ts';
import type { GatewayService } from '../service.ts';
import { auditHandlers } from './handlers/audit.ts';
import { certificateHandlers } from './handlers/certs.ts';
import { doctorHandlers } from './handlers/doctor.ts';
import { gatewayHandlers } from './handlers/gateway.ts';
import { hostHandlers } from './handlers/hosts.ts';
import { onboardingHandlers } from './handlers/onboarding.ts';
import { rdpHandlers } from './handlers/rdp.ts';
import { sessionHandlers } from './handlers/sessions.ts';
import { settingsHandlers } from './handlers/settings.ts';
import { tokenHandlers } from './handlers/tokens.ts';

/**
 * Who made a call: the desktop app's window, a logged-in browser, or a one-time download link's holder (`client`
 * is its address). For the audit log.
 */
export interface CallContext {
  readonly via: 'app' | 'web' | 'link';
  readonly client?: string;
}

/** One handler per contract call; inputs arrive already validated. */
export type CallHandlers = {
  readonly [N in CallName]: (input: ParsedCallInput<N>, context: CallContext) => Promise<CallOutput<N>>;
};

/** What the handlers work on: the running gateway (settings, keys, certificates, sessions) and a logger. */
export interface HandlerDeps {
  readonly service: GatewayService;
  readonly logger: Logger;
}

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

/**
 * Every call of the contract, one module per domain; the type makes a missing call a compile error. `appState` is
 * where onboarding progress is kept: the desktop app passes its own; headless it is the settings file.
 */
export function createCallHandlers(
  service: GatewayService,
  logger: Logger,
  options: { readonly appState?: AppStateStore } = {},
): CallHandlers {
  const deps: HandlerDeps = { service, logger };
  return {
    ...gatewayHandlers(deps),
    ...sessionHandlers(deps),
    ...hostHandlers(deps),
    ...tokenHandlers(deps),
    ...rdpHandlers(deps),
    ...certificateHandlers(deps),
    ...settingsHandlers(deps),
    ...doctorHandlers(deps),
    ...auditHandlers(deps),
    ...onboardingHandlers(deps, options.appState),
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
  context: CallContext = { via: 'app' },
): Promise<unknown> {
  if (!isCallName(name)) throw new ContractCallError('not-found', `no call named "${name.slice(0, 64)}"`);
  const parsed = contract.calls[name].input.safeParse(rawInput);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new ContractCallError('invalid-input', `${where}${issue?.message ?? 'invalid input'}`);
  }
  const handler = handlers[name] as (input: unknown, context: CallContext) => Promise<unknown>;
  try {
    return await handler(parsed.data, context);
  } catch (error) {
    if (error instanceof ContractCallError) throw error;
    logger.error('contract call failed', { call: name, error });
    throw new ContractCallError('internal', 'the call failed; see the log');
  }
}

/** The audit fields naming who made a call. */
export function actor(context: CallContext): { via: CallContext['via']; client?: string } {
  return context.client === undefined ? { via: context.via } : { via: context.via, client: context.client };
}
