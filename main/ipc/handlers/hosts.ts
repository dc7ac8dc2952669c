import { performance } from 'node:perf_hooks';
import { formatHostAndPort, type Host } from '../../../shared/model/hosts.ts';
import type { HostProbe } from '../../../shared/model/ui.ts';
import type { Settings } from '../../config/schema.ts';
import { SettingsError } from '../../config/settings-store.ts';
import { dialTarget } from '../../relay/dial.ts';
import { DialError } from '../../relay/errors.ts';
import { sendMagicPacket } from '../../relay/wake-on-lan.ts';
import { ContractCallError, actor, type CallHandlers, type HandlerDeps } from '../dispatch.ts';

/** A host test gives up after this long: it answers a person waiting in the UI, not a client. */
export const HOST_PROBE_TIMEOUT_MS = 3_000;

type HostEdits = 'hosts.list' | 'hosts.add' | 'hosts.update' | 'hosts.remove';
type HostReach = 'hosts.test' | 'hosts.wake';

/** The allowed host called `name` (names compare without regard to case, as the settings schema does). */
export function findHost(settings: Settings, name: string): Host | undefined {
  const wanted = name.toLowerCase();
  return settings.hosts.find((host) => host.name.toLowerCase() === wanted);
}

/** An allowed host by name, or a `not-found` error naming it. */
export function requireHost(settings: Settings, name: string): Host {
  const host = findHost(settings, name);
  if (!host) throw new ContractCallError('not-found', `no allowed host named "${name}"`);
  return host;
}

/** Only the fields of a host, in a fixed order (the input schema strips unknown keys already). */
function cleanHost(host: Host): Host {
  return { name: host.name, address: host.address, port: host.port, ...(host.mac ? { mac: host.mac } : {}) };
}

export function hostHandlers(deps: HandlerDeps): Pick<CallHandlers, HostEdits | HostReach> {
  return { ...hostEditHandlers(deps), ...hostReachHandlers(deps) };
}

function conflictIfTaken(hosts: readonly Host[], name: string, except?: Host): void {
  const wanted = name.toLowerCase();
  if (hosts.some((host) => host !== except && host.name.toLowerCase() === wanted)) {
    throw new ContractCallError('conflict', `a host named "${name}" already exists`);
  }
}

/** Listing, adding, changing and removing the allowed hosts; each change is audited. */
function hostEditHandlers({ service }: HandlerDeps): Pick<CallHandlers, HostEdits> {
  const { settings } = service.context;

  /**
   * Applies a change to the hosts. The change runs on the settings as they are on disk at that moment (the store
   * re-reads first), so a name check inside it cannot race an edit made by `homegate hosts add`.
   */
  async function changeHosts(change: (hosts: readonly Host[]) => Host[]): Promise<void> {
    try {
      await settings.update((current) => ({ ...current, hosts: change(current.hosts) }));
    } catch (error) {
      if (error instanceof SettingsError) throw new ContractCallError('invalid-input', error.message);
      throw error;
    }
  }

  return {
    'hosts.list': () => Promise.resolve(settings.get().hosts),
    'hosts.add': async (input, context) => {
      const host = cleanHost(input);
      await changeHosts((hosts) => {
        conflictIfTaken(hosts, host.name);
        return [...hosts, host];
      });
      service.audit.record({
        event: 'host.added',
        host: host.name,
        address: host.address,
        port: host.port,
        ...actor(context),
      });
      return host;
    },
    'hosts.update': async ({ name, host: input }, context) => {
      const host = cleanHost(input);
      await changeHosts((hosts) => {
        const existing = hosts.find((entry) => entry.name.toLowerCase() === name.toLowerCase());
        if (!existing) throw new ContractCallError('not-found', `no allowed host named "${name}"`);
        conflictIfTaken(hosts, host.name, existing);
        return hosts.map((entry) => (entry === existing ? host : entry));
      });
      service.audit.record({
        event: 'host.updated',
        host: name,
        ...(host.name === name ? {} : { newName: host.name }),
        address: host.address,
        port: host.port,
        ...actor(context),
      });
      return host;
    },
    'hosts.remove': async ({ name }, context) => {
      let removed = false;
      await changeHosts((hosts) => {
        const kept = hosts.filter((entry) => entry.name.toLowerCase() !== name.toLowerCase());
        removed = kept.length !== hosts.length;
        return kept;
      });
      if (removed) service.audit.record({ event: 'host.removed', host: name, ...actor(context) });
      return removed;
    },
  };
}

/** Whether an allowed host answers (a TCP probe), and waking it with a magic packet. */
function hostReachHandlers({ service, logger }: HandlerDeps): Pick<CallHandlers, HostReach> {
  const { settings } = service.context;
  return {
    'hosts.test': async ({ name }) => {
      const host = requireHost(settings.get(), name);
      const probe = await probeHost(host);
      service.reachability.note(host.name, probe.reachable, probe.error === undefined ? {} : { error: probe.error });
      return probe;
    },
    'hosts.wake': async ({ name }, context) => {
      const current = settings.get();
      const host = requireHost(current, name);
      if (host.mac === undefined) {
        throw new ContractCallError('invalid-input', `"${host.name}" has no MAC address to wake it with`);
      }
      const { broadcastAddress, port } = current.wakeOnLan;
      const sentTo = formatHostAndPort(broadcastAddress, port);
      // The MAC is written whole: it is no secret (any machine on the LAN sees it) and says which card was woken.
      const woken = { event: 'host.woken', host: host.name, mac: host.mac, sentTo, ...actor(context) } as const;
      try {
        await sendMagicPacket(host.mac, { address: broadcastAddress, port });
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        service.audit.record({ ...woken, result: 'failed', error: reason });
        throw new ContractCallError('internal', `cannot send the magic packet to ${sentTo}: ${reason}`);
      }
      service.audit.record({ ...woken, result: 'sent' });
      logger.info('sent a wake-on-LAN packet', { host: host.name, mac: host.mac, to: sentTo });
      return { host: host.name, mac: host.mac, sentTo };
    },
  };
}

/**
 * Whether the host's configured address accepts a TCP connection, and how fast: one connection, bounded by
 * HOST_PROBE_TIMEOUT_MS, closed at once. Only configured hosts can be probed, so this is no port scanner.
 */
export async function probeHost(host: Host, timeoutMs = HOST_PROBE_TIMEOUT_MS): Promise<HostProbe> {
  const started = performance.now();
  try {
    const socket = await dialTarget(host.address, host.port, { timeoutMs });
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    socket.destroy();
    return { reachable: true, latencyMs, error: undefined };
  } catch (error) {
    if (!(error instanceof DialError)) throw error;
    return { reachable: false, latencyMs: undefined, error: error.message };
  }
}
