import { create } from 'zustand';
import type { GatewayStatus } from '../../../shared/ipc/contract.ts';
import type { SessionInfo } from '../../../shared/model/sessions.ts';

interface GatewaySlice {
  status: GatewayStatus | undefined;
  statusError: string | undefined;
  setStatus: (status: GatewayStatus) => void;
  setStatusError: (message: string) => void;
}

interface SessionsSlice {
  sessions: readonly SessionInfo[];
  setSessions: (sessions: readonly SessionInfo[]) => void;
}

export type HomegateState = GatewaySlice & SessionsSlice;

/** One store built from one slice per domain; components select single values from it. */
export const useHomegate = create<HomegateState>()((set) => ({
  status: undefined,
  statusError: undefined,
  setStatus: (status) => set({ status, statusError: undefined }),
  setStatusError: (statusError) => set({ statusError }),
  sessions: [],
  setSessions: (sessions) => set({ sessions }),
}));
