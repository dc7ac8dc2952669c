import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  CALL_NAMES,
  EVENT_NAMES,
  callChannel,
  eventChannel,
  type EventName,
  type EventPayload,
} from '../shared/ipc/contract.ts';
import type { HomegateBridge } from '../shared/ipc/ipc-reply.ts';

/**
 * `window.homegate`, built from the contract's names and nothing else: the page gets one function per call and a
 * way to listen to contract events, never `ipcRenderer` itself. A call answers main's reply envelope as it came:
 * the renderer's IPC transport maps it to a value or an error.
 */
const calls = Object.fromEntries(
  CALL_NAMES.map((name) => [name, (input: unknown): Promise<unknown> => ipcRenderer.invoke(callChannel(name), input)]),
);

const api = {
  ...calls,
  on: <N extends EventName>(event: N, listener: (payload: EventPayload<N>) => void) => {
    if (!EVENT_NAMES.includes(event)) throw new Error(`no event named "${String(event).slice(0, 64)}"`);
    const channel = eventChannel(event);
    const handler = (_event: IpcRendererEvent, payload: EventPayload<N>): void => listener(payload);
    ipcRenderer.on(channel, handler);
    return () => {
      ipcRenderer.removeListener(channel, handler);
    };
  },
} as HomegateBridge;

contextBridge.exposeInMainWorld('homegate', api);
