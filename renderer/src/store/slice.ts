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

/** The keys of the store that say where a piece of data stands. */
type LoadKey = { [K in keyof HomegateState]: HomegateState[K] extends Loadable ? K : never }[keyof HomegateState];

/**
 * A slice's load action. It shows loading only until the first success (a refresh keeps what is shown, still
 * ready), then stores what `fetch` answers and marks it ready, or keeps the failure for the view to show.
 */
export function loader(
  set: StoreApi<HomegateState>['setState'],
  get: StoreApi<HomegateState>['getState'],
  key: LoadKey,
  fetch: () => Promise<Partial<HomegateState>>,
): () => Promise<void> {
  return async () => {
    if (get()[key].phase !== 'ready') set({ [key]: LOADING });
    try {
      set({ ...(await fetch()), [key]: READY });
    } catch (error) {
      set({ [key]: failed(error) });
    }
  };
}
