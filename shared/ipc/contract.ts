import { z } from 'zod';
import type { SessionInfo } from '../model/sessions.ts';

/**
 * The one contract between the main process and the renderer: every call with its input schema and output
 * type, every event with its payload type. Main validates each input against its schema before a handler runs;
 * preload builds `window.homegate` from these names; the renderer's API type is derived from this object.
 * Nothing here touches Node or Electron: the same contract is served over HTTP to the headless web UI.
 */
export interface GatewayStatus {
  readonly listening: { readonly host: string; readonly port: number } | null;
  readonly certificateFingerprint: string;
  readonly liveSessions: number;
}

const SessionIdInput = z.object({ id: z.uuid() }).strict();

const call = <Input extends z.ZodType, Output>(input: Input) => ({ input, output: undefined as unknown as Output });

export const contract = {
  calls: {
    'gateway.status': call<z.ZodUndefined, GatewayStatus>(z.undefined()),
    'sessions.list': call<z.ZodUndefined, readonly SessionInfo[]>(z.undefined()),
    'sessions.disconnect': call<typeof SessionIdInput, boolean>(SessionIdInput),
  },
  events: {
    'sessions.changed': undefined as unknown as readonly SessionInfo[],
  },
} as const;

export type Contract = typeof contract;
export type CallName = keyof Contract['calls'];
export type EventName = keyof Contract['events'];
export type CallInput<N extends CallName> = z.infer<Contract['calls'][N]['input']>;
export type CallOutput<N extends CallName> = Contract['calls'][N]['output'];
export type EventPayload<N extends EventName> = Contract['events'][N];

/** The API the renderer sees, in the app (`window.homegate`, from preload) and in the browser (web client). */
export type HomegateApi = {
  readonly [N in CallName]: (input: CallInput<N>) => Promise<CallOutput<N>>;
} & {
  readonly on: <N extends EventName>(event: N, listener: (payload: EventPayload<N>) => void) => () => void;
};

export const CALL_NAMES = Object.keys(contract.calls) as CallName[];
export const EVENT_NAMES = Object.keys(contract.events) as EventName[];

/** IPC channel names: one namespace so nothing else on the bus is mistaken for a contract call. */
export const callChannel = (name: CallName): string => `homegate:call:${name}`;
export const eventChannel = (name: EventName): string => `homegate:event:${name}`;

/** The error shape that crosses the boundary: a stable code and a message a person can read, never a stack. */
export interface ContractError {
  readonly code: 'invalid-input' | 'forbidden' | 'not-found' | 'internal';
  readonly message: string;
}
