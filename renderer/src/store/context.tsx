import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { HomegateTransport } from '../api/transport.ts';
import type { HomegateState, HomegateStore } from './store.ts';

const StoreContext = createContext<HomegateStore | undefined>(undefined);
const TransportContext = createContext<HomegateTransport | undefined>(undefined);

export function StoreProvider(props: { store: HomegateStore; transport: HomegateTransport; children: ReactNode }) {
  return (
    <TransportContext value={props.transport}>
      <StoreContext value={props.store}>{props.children}</StoreContext>
    </TransportContext>
  );
}

/** Selects one value from the store; re-renders only when that value changes. */
export function useHomegate<T>(selector: (state: HomegateState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useHomegate outside StoreProvider');
  return useStore(store, selector);
}

/** The store itself, for actions that read state when they run rather than on render. */
export function useHomegateStore(): HomegateStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useHomegateStore outside StoreProvider');
  return store;
}

export function useTransport(): HomegateTransport {
  const transport = useContext(TransportContext);
  if (!transport) throw new Error('useTransport outside StoreProvider');
  return transport;
}
