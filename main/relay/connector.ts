import type { OnReadOpts, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatHostAndPort, type Host } from '../../shared/model/hosts.ts';
import type { Logger } from '../logging/logger.ts';
import { dialTarget, type DialOptions } from './dial.ts';
import { DialError } from './errors.ts';
import { sendMagicPacket, type WakeTarget } from './wake-on-lan.ts';

/** Pause between dial attempts while a woken host boots. */
export const WAKE_RETRY_INTERVAL_MS = 2_000;
/** Each dial while waiting for a woken host gives up after this (a booting host refuses or stays silent). */
export const WAKE_DIAL_TIMEOUT_MS = 3_000;

export interface WakeSettings extends WakeTarget {
  /** How long after the magic packet the host may take to answer. */
  readonly bootWaitMs: number;
}

export type Dial = (address: string, port: number, options?: DialOptions) => Promise<Socket>;

export interface ConnectorDeps {
  readonly logger: Logger;
  /** Read at each connection, so settings changes apply at once; undefined disables Wake-on-LAN. */
  readonly wake: () => WakeSettings | undefined;
  readonly dial?: Dial;
  readonly sendMagicPacket?: (mac: string, target: WakeTarget) => Promise<void>;
  readonly retryIntervalMs?: number;
  readonly wakeDialTimeoutMs?: number;
}

export interface Connected {
  readonly socket: Socket;
  /** The host that answered. */
  readonly host: Host;
  /** The hosts tried before it, and why each failed. */
  readonly failures: readonly { readonly host: Host; readonly error: DialError }[];
  /** True when the host answered only after a magic packet. */
  readonly woken: boolean;
}

/** Dials allowed hosts for both front doors (MS-TSGU and the relay). */
export interface Connector {
  /**
   * Connects to the first of `hosts` that answers, in order. When none does, the ones with a MAC are sent a
   * magic packet and retried, in order, until one answers or the boot wait is over. Throws the last DialError.
   * With `onread`, every socket is opened with it (dial.ts: it comes back paused).
   */
  connect(hosts: readonly Host[], signal?: AbortSignal, onread?: OnReadOpts): Promise<Connected>;
}

/**
 * The shared connector: every host is dialled at its configured address (never a name a client sent), resolved
 * once per attempt, with Nagle off (dial.ts). Alternates are tried before anyone is woken, so a sleeping primary
 * does not delay a session an awake alternate can serve.
 */
export function createConnector(deps: ConnectorDeps): Connector {
  const dial: Dial = deps.dial ?? ((address, port, options) => dialTarget(address, port, options));
  const wakeHost = deps.sendMagicPacket ?? sendMagicPacket;
  const retryIntervalMs = deps.retryIntervalMs ?? WAKE_RETRY_INTERVAL_MS;
  const wakeDialTimeoutMs = deps.wakeDialTimeoutMs ?? WAKE_DIAL_TIMEOUT_MS;

  return {
    async connect(hosts, signal, onread) {
      if (hosts.length === 0) throw new DialError('error', 'no host to connect to');
      const failures: { host: Host; error: DialError }[] = [];
      for (const host of hosts) {
        try {
          const socket = await dial(host.address, host.port, { signal, ...(onread ? { onread } : {}) });
          return { socket, host, failures, woken: false };
        } catch (error) {
          if (!(error instanceof DialError)) throw error;
          signal?.throwIfAborted();
          failures.push({ host, error });
          deps.logger.info('target did not answer', { host: host.name, failure: error.failure });
        }
      }

      const wake = deps.wake();
      const sleepers = hosts.filter((host) => host.mac !== undefined);
      if (!wake || sleepers.length === 0) throw lastError(failures);

      for (const host of sleepers) {
        try {
          await wakeHost(host.mac as string, wake);
          deps.logger.info('sent a wake-on-LAN packet', {
            host: host.name,
            mac: host.mac,
            to: formatHostAndPort(wake.address, wake.port),
          });
        } catch (error) {
          deps.logger.warn('cannot send a wake-on-LAN packet', { host: host.name, error });
        }
      }
      const deadline = Date.now() + wake.bootWaitMs;
      for (;;) {
        for (const host of sleepers) {
          const timeoutMs = Math.max(1, Math.min(wakeDialTimeoutMs, deadline - Date.now()));
          try {
            const socket = await dial(host.address, host.port, { signal, timeoutMs, ...(onread ? { onread } : {}) });
            deps.logger.info('woken target answered', { host: host.name });
            return { socket, host, failures, woken: true };
          } catch (error) {
            if (!(error instanceof DialError)) throw error;
            signal?.throwIfAborted();
            failures.push({ host, error });
          }
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) break;
        await sleep(Math.min(retryIntervalMs, remaining), undefined, { signal });
      }
      const names = sleepers.map((host) => host.name).join(', ');
      throw new DialError(
        'timeout',
        `${names} did not answer within ${wake.bootWaitMs / 1000} s of a wake-on-LAN packet`,
      );
    },
  };
}

function lastError(failures: readonly { error: DialError }[]): DialError {
  const last = failures.at(-1)?.error;
  if (!last) return new DialError('error', 'no host to connect to');
  if (failures.length === 1) return last;
  return new DialError(last.failure, `no target answered: ${failures.map((f) => f.error.message).join('; ')}`);
}
