import type { Host } from '../../shared/model/hosts.ts';
import type { HostReachability, WakeOnLanUse } from '../../shared/model/doctor.ts';
import type { Connector } from '../relay/connector.ts';
import { TypedEmitter } from '../util/typed-emitter.ts';
import type { Logger } from '../logging/logger.ts';

/** Hosts remembered at once (more than any allowlist a person keeps); the oldest entry goes first. */
export const MAX_REMEMBERED_HOSTS = 1024;

/** A dial error is kept to this many characters. */
const MAX_ERROR_CHARS = 500;

/** What is remembered of one host (and saved in reachability-file.ts). */
export interface ReachabilityRecord extends HostReachability {
  /** Whether Wake-on-LAN was used the last time the host did not answer at first. */
  readonly wakeOnLan: WakeOnLanUse;
}
type Entry = ReachabilityRecord;

/**
 * Each allowed host's last known reachability and its time, from every connection the gateway dials (both front
 * doors) and every Test from the UI, and whether Wake-on-LAN was used for it.
 */
export class ReachabilityBook {
  readonly #hosts = new Map<string, Entry>();
  readonly #now: () => Date;
  readonly #events: TypedEmitter<{ changed: HostReachability }>;

  constructor(options: { logger: Logger; now?: () => Date; initial?: readonly ReachabilityRecord[] }) {
    this.#now = options.now ?? (() => new Date());
    this.#events = new TypedEmitter((error) => options.logger.error('reachability listener failed', { error }));
    for (const entry of (options.initial ?? []).slice(-MAX_REMEMBERED_HOSTS)) {
      this.#hosts.set(entry.host.toLowerCase(), entry);
    }
  }

  note(host: string, reachable: boolean, options: { wakeOnLan?: WakeOnLanUse; error?: string } = {}): void {
    const key = host.toLowerCase();
    const wakeOnLan = options.wakeOnLan ?? 'off';
    const entry: Entry = {
      host,
      reachable,
      at: this.#now().toISOString(),
      woken: wakeOnLan === 'sent',
      wakeOnLan,
      ...(options.error === undefined ? {} : { error: options.error.slice(0, MAX_ERROR_CHARS) }),
    };
    this.#hosts.delete(key);
    this.#hosts.set(key, entry);
    if (this.#hosts.size > MAX_REMEMBERED_HOSTS) this.#hosts.delete(this.#hosts.keys().next().value as string);
    this.#events.emit('changed', publicEntry(entry));
  }

  get(host: string): HostReachability | undefined {
    const entry = this.#hosts.get(host.toLowerCase());
    return entry ? publicEntry(entry) : undefined;
  }

  /** Whether Wake-on-LAN was used when `host` last failed to answer; undefined when it never failed. */
  wakeOnLan(host: string): WakeOnLanUse | undefined {
    const entry = this.#hosts.get(host.toLowerCase());
    return entry && !entry.reachable ? entry.wakeOnLan : undefined;
  }

  list(): HostReachability[] {
    return [...this.#hosts.values()].map(publicEntry);
  }

  /** Every record, oldest change first, as reachability-file.ts saves them. */
  records(): ReachabilityRecord[] {
    return [...this.#hosts.values()];
  }

  onChange(listener: (entry: HostReachability) => void): () => void {
    return this.#events.on('changed', listener);
  }
}

function publicEntry(entry: Entry): HostReachability {
  return {
    host: entry.host,
    reachable: entry.reachable,
    at: entry.at,
    woken: entry.woken,
    ...(entry.error === undefined ? {} : { error: entry.error }),
  };
}

/**
 * The connector, noting in `book` what each dial found. `wakeEnabled` says whether the connector wakes hosts
 * (it sends a magic packet to every host with a MAC that did not answer).
 */
export function watchConnector(connector: Connector, book: ReachabilityBook, wakeEnabled: () => boolean): Connector {
  const wakeFor = (host: Host): WakeOnLanUse => (!wakeEnabled() ? 'off' : host.mac === undefined ? 'no-mac' : 'sent');
  return {
    async connect(hosts, signal, onread) {
      try {
        const connected = await connector.connect(hosts, signal, onread);
        for (const failure of connected.failures) {
          if (failure.host !== connected.host) book.note(failure.host.name, false, { error: failure.error.message });
        }
        book.note(connected.host.name, true, { wakeOnLan: connected.woken ? 'sent' : 'off' });
        return connected;
      } catch (error) {
        if (!signal?.aborted) {
          const message = error instanceof Error ? error.message : String(error);
          for (const host of hosts) book.note(host.name, false, { wakeOnLan: wakeFor(host), error: message });
        }
        throw error;
      }
    },
  };
}
