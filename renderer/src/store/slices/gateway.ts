import type { GatewayStatus } from '../../../../shared/ipc/contract.ts';
import type { LinkState } from '../../api/transport.ts';
import { failed, IDLE, LOADING, READY, type Loadable, type SliceCreator } from '../slice.ts';

export interface GatewaySlice {
  readonly status: GatewayStatus | undefined;
  readonly statusLoad: Loadable;
  /** The live event link: while it is down, what the page shows may be stale. */
  readonly link: LinkState;
  readonly loadStatus: () => Promise<void>;
  readonly setStatus: (status: GatewayStatus) => void;
  /** Pauses (refuses new tunnels; live ones carry on) or resumes the gateway. */
  readonly setPaused: (paused: boolean) => Promise<void>;
  readonly setLink: (link: LinkState) => void;
}

export const createGatewaySlice: SliceCreator<GatewaySlice> = (set, get, api) => ({
  status: undefined,
  statusLoad: IDLE,
  link: 'connecting',
  async loadStatus() {
    set({ statusLoad: get().status ? get().statusLoad : LOADING });
    try {
      get().setStatus(await api['gateway.status'](undefined));
    } catch (error) {
      set({ statusLoad: failed(error) });
    }
  },
  setStatus(status) {
    set({ status, statusLoad: READY });
  },
  async setPaused(paused) {
    get().setStatus(await api['gateway.setPaused']({ paused }));
  },
  setLink(link) {
    set({ link });
  },
});
