import { EVENT_NAMES, type EventName, type HomegateApi } from '../../../shared/ipc/contract.ts';
import { ADMIN_API, type EventMessage } from '../../../shared/web/protocol.ts';
import type { LinkState } from './transport.ts';
import { isRecord } from './web-http.ts';

/**
 * The web transport's events (shared/web/protocol.ts): one WebSocket carrying `{ event, payload }` messages to the
 * page's listeners, reopened with jittered exponential backoff after it drops, for as long as the page wants it.
 */

export interface SocketHandlers {
  readonly open: () => void;
  readonly message: (data: unknown) => void;
  readonly close: (code: number) => void;
}

/** Opens the events WebSocket; main.tsx adapts the browser's `WebSocket`, the tests adapt `ws`. */
export type SocketFactory = (url: string, handlers: SocketHandlers) => { close(): void };

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 15_000 };

export function eventsUrl(baseUrl: string): string {
  const url = new URL(ADMIN_API.events, baseUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

export interface EventLinkOptions {
  readonly baseUrl: string;
  readonly openSocket: SocketFactory;
  readonly backoff: BackoffOptions;
  readonly random: () => number;
  /** Whether the socket should be up: the page is signed in and not torn down. */
  readonly wanted: () => boolean;
  /** Asked before dialling again, since a socket that will not open may mean the session expired. */
  readonly recheck: () => Promise<boolean>;
}

export interface EventLink {
  /** Opens the socket if it is wanted and neither open nor waiting to reconnect. */
  readonly connect: () => void;
  /** Closes the socket and cancels any reconnect. */
  readonly stop: () => void;
  readonly on: HomegateApi['on'];
  readonly onLink: (listener: (state: LinkState) => void) => () => void;
}

type Listener = (payload: unknown) => void;

/** The page's event listeners, and the socket's messages handed to them. */
function createListeners(): { readonly on: HomegateApi['on']; readonly dispatch: (data: unknown) => void } {
  const listeners = new Map<EventName, Set<Listener>>();
  const on = (event: EventName, listener: Listener): (() => void) => {
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  };
  /** Anything that is not a known event is dropped. */
  const dispatch = (data: unknown): void => {
    if (typeof data !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (!isRecord(message)) return;
    const { event, payload } = message as unknown as EventMessage;
    if (!(EVENT_NAMES as readonly string[]).includes(event)) return;
    for (const listener of [...(listeners.get(event as EventName) ?? [])]) {
      try {
        listener(payload);
      } catch (error) {
        // One broken listener must not starve the others; surface it where the page reports errors.
        setTimeout(() => {
          throw error;
        });
      }
    }
  };
  return { on: on as HomegateApi['on'], dispatch };
}

export function createEventLink(options: EventLinkOptions): EventLink {
  let socket: { close(): void } | undefined;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let link: LinkState = 'closed';
  const linkListeners = new Set<(state: LinkState) => void>();
  const { on, dispatch } = createListeners();

  const setLink = (state: LinkState): void => {
    if (state === link) return;
    link = state;
    for (const listener of [...linkListeners]) listener(state);
  };

  const scheduleReconnect = (): void => {
    attempt += 1;
    setLink('reconnecting');
    const base = Math.min(options.backoff.maxMs, options.backoff.initialMs * 2 ** (attempt - 1));
    const delay = Math.round(base * (0.75 + 0.5 * options.random()));
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      options.recheck().then(
        (signedIn) => {
          if (signedIn) connect();
        },
        () => {
          if (options.wanted()) scheduleReconnect();
        },
      );
    }, delay);
  };

  const connect = (): void => {
    if (!options.wanted() || socket !== undefined || reconnectTimer !== undefined) return;
    if (link !== 'reconnecting') setLink('connecting');
    const current = options.openSocket(eventsUrl(options.baseUrl), {
      open: () => {
        if (socket !== current) return;
        attempt = 0;
        setLink('open');
      },
      message: (data) => {
        if (socket === current) dispatch(data);
      },
      close: () => {
        if (socket !== current) return;
        socket = undefined;
        if (options.wanted()) scheduleReconnect();
        else setLink('closed');
      },
    });
    socket = current;
  };

  const stop = (): void => {
    if (reconnectTimer !== undefined) clearTimeout(reconnectTimer);
    reconnectTimer = undefined;
    const current = socket;
    socket = undefined;
    current?.close();
    attempt = 0;
    setLink('closed');
  };

  const onLink = (listener: (state: LinkState) => void): (() => void) => {
    linkListeners.add(listener);
    listener(link);
    return () => {
      linkListeners.delete(listener);
    };
  };

  return { connect, stop, on, onLink };
}
