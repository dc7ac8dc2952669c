import type { StoreApi } from 'zustand/vanilla';
import type { HomegateApi } from '../../../shared/ipc/contract.ts';
import { errorMessage } from '../api/errors.ts';
import type { HomegateState } from './store.ts';

/** Where a piece of data stands; every view shows loading, error and empty states from this. */
export type LoadPhase = 'idle' | 'loading' | 'ready' | 'error';

export interface Loadable {
  readonly phase: LoadPhase;
  readonly error: string | undefined;
}

export const IDLE: Loadable = { phase: 'idle', error: undefined };
export const LOADING: Loadable = { phase: 'loading', error: undefined };
export const READY: Loadable = { phase: 'ready', error: undefined };
export const failed = (error: unknown): Loadable => ({ phase: 'error', error: errorMessage(error) });

/**
 * One domain's part of the store. Each slice gets the store's `set`/`get` and the contract's API; actions that
 * change something on the gateway call the API, update the slice from the answer and rethrow failures so the form
 * that asked can show them next to its fields.
 */
export type SliceCreator<Slice> = (
  set: StoreApi<HomegateState>['setState'],
  get: StoreApi<HomegateState>['getState'],
  api: HomegateApi,
) => Slice;
