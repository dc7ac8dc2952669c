import type { HostReachability, WakeResult } from '../../../../shared/model/doctor.ts';
import type { Host } from '../../../../shared/model/hosts.ts';
import type { HostProbe } from '../../../../shared/model/ui.ts';
import { errorMessage } from '../../api/errors.ts';
import { IDLE, loader, type Loadable, type SliceCreator } from '../slice.ts';

/** The last reachability test of one host. */
export type ProbeState =
  | { readonly phase: 'testing' }
  /** `at`: the gateway's time of the reachability this test noted; a later one (a dial since) supersedes it. */
  | { readonly phase: 'done'; readonly probe: HostProbe; readonly at?: string }
  | { readonly phase: 'error'; readonly error: string };

export interface HostsSlice {
  readonly hosts: readonly Host[];
  readonly hostsLoad: Loadable;
  readonly probes: Readonly<Record<string, ProbeState>>;
  /** Each host's last known reachability, from the gateway's dials and tests, by lower-case name. */
  readonly reachability: Readonly<Record<string, HostReachability>>;
  readonly loadHosts: () => Promise<void>;
  readonly addHost: (host: Host) => Promise<Host>;
  /** Replaces the host called `name` (which may be renamed). */
  readonly updateHost: (name: string, host: Host) => Promise<Host>;
  readonly removeHost: (name: string) => Promise<void>;
  /** Dials the host from the gateway; the result lands in `probes[name]`. */
  readonly testHost: (name: string) => Promise<void>;
  /** Reads every host's last reachability (a failure keeps what was shown). */
  readonly loadReachability: () => Promise<void>;
  /** One host's new reachability, from the `doctor.reachability` event. */
  readonly noteReachability: (entry: HostReachability) => void;
  /** Sends the host's Wake-on-LAN packet; rejects with the gateway's error. */
  readonly wakeHost: (name: string) => Promise<WakeResult>;
}

const byName = (a: Host, b: Host): number => a.name.localeCompare(b.name);

function withoutKey<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
  const copy = { ...record };
  delete copy[key];
  return copy;
}

export const createHostsSlice: SliceCreator<HostsSlice> = (set, get, api) => ({
  hosts: [],
  hostsLoad: IDLE,
  probes: {},
  reachability: {},
  loadHosts: loader(set, get, 'hostsLoad', async () => ({
    hosts: [...(await api['hosts.list'](undefined))].sort(byName),
  })),
  async addHost(host) {
    const added = await api['hosts.add'](host);
    set({ hosts: [...get().hosts.filter((h) => h.name !== added.name), added].sort(byName) });
    return added;
  },
  async updateHost(name, host) {
    const updated = await api['hosts.update']({ name, host });
    set({
      hosts: [...get().hosts.filter((h) => h.name !== name && h.name !== updated.name), updated].sort(byName),
      // A changed address makes the old test result meaningless.
      probes: withoutKey(get().probes, name),
    });
    return updated;
  },
  async removeHost(name) {
    await api['hosts.remove']({ name });
    set({ hosts: get().hosts.filter((h) => h.name !== name), probes: withoutKey(get().probes, name) });
  },
  async testHost(name) {
    set({ probes: { ...get().probes, [name]: { phase: 'testing' } } });
    let result: ProbeState;
    try {
      result = { phase: 'done', probe: await api['hosts.test']({ name }) };
    } catch (error) {
      result = { phase: 'error', error: errorMessage(error) };
    }
    set({ probes: { ...get().probes, [name]: result } });
    await get().loadReachability();
    const at = get().reachability[name.toLowerCase()]?.at;
    const current = get().probes[name];
    if (current === result && result.phase === 'done' && at !== undefined) {
      set({ probes: { ...get().probes, [name]: { ...result, at } } });
    }
  },
  async loadReachability() {
    try {
      const entries = await api['doctor.reachability'](undefined);
      set({ reachability: Object.fromEntries(entries.map((entry) => [entry.host.toLowerCase(), entry])) });
    } catch {
      // The last reachability is a hint beside each host; the hosts themselves still show.
    }
  },
  noteReachability(entry) {
    set({ reachability: { ...get().reachability, [entry.host.toLowerCase()]: entry } });
  },
  wakeHost: (name) => api['hosts.wake']({ name }),
});
