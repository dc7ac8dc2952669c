/**
 * The renderer half of the electron stand-in: runs the window's preload script (the built CommonJS bundle) the way a
 * sandboxed preload runs, with a `require` that knows only `electron`, whose contextBridge and ipcRenderer are
 * modelled here. What preload exposes is served to the page by main-process.ts's binding: calls run here with the
 * calling frame as ipcRenderer's sender, values cross with structured clone, and an Error crosses as its message.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { compileFunction } from 'node:vm';
import type { Frame } from 'playwright-core';

type Invoke = (frame: Frame, channel: string, args: unknown[]) => Promise<unknown>;
type CallPage = (frame: Frame, id: number, args: unknown[]) => Promise<unknown>;

export interface PreloadWorld {
  /** The shape of what preload exposed, for the page side: 'function' where a function is, values as they are. */
  manifest(): Record<string, unknown>;
  /** A request from the page (the binding): a call of an exposed function, of a returned one, or a raw invoke. */
  handle(
    frame: Frame,
    request: unknown,
    callPage: CallPage,
  ): Promise<{ ok: boolean; value?: unknown; message?: string }>;
  /** webContents.send: to the preload's ipcRenderer listeners. */
  deliver(channel: string, args: unknown[]): void;
}

function strict<T extends object>(name: string, target: T): T {
  return new Proxy(target, {
    get(object, key, receiver) {
      if (typeof key === 'symbol' || key in object) return Reflect.get(object, key, receiver) as unknown;
      if (key === 'then' || key === 'toJSON') return undefined;
      throw new Error(
        `electron stand-in: ${name}.${key} is not modelled in the renderer (the preload calls something new)`,
      );
    },
  });
}

export function runPreload(path: string, main: { invoke: Invoke }): PreloadWorld {
  const caller = new AsyncLocalStorage<Frame>();
  const listeners = new EventEmitter();
  const exposed = new Map<string, unknown>();
  const returned = new Map<number, (...args: unknown[]) => unknown>();
  let nextReturned = 1;

  const ipcRenderer = strict('ipcRenderer', {
    invoke(channel: string, ...args: unknown[]): Promise<unknown> {
      const frame = caller.getStore();
      if (!frame)
        return Promise.reject(new Error('electron stand-in: ipcRenderer.invoke outside a call from the page'));
      return main.invoke(frame, channel, args);
    },
    on(channel: string, listener: (...args: unknown[]) => void) {
      listeners.on(channel, listener);
      return ipcRenderer;
    },
    removeListener(channel: string, listener: (...args: unknown[]) => void) {
      listeners.removeListener(channel, listener);
      return ipcRenderer;
    },
  });
  const contextBridge = strict('contextBridge', {
    exposeInMainWorld(key: string, api: unknown): void {
      if (exposed.has(key)) throw new Error(`Cannot bind an API on top of an existing property on the window: ${key}`);
      exposed.set(key, api);
    },
  });
  const electron = strict('electron (renderer)', { contextBridge, ipcRenderer });

  const sandboxedRequire = (name: string): unknown => {
    if (name === 'electron') return electron;
    throw new Error(`module not found: ${name} (a sandboxed preload can require only electron)`);
  };
  const module = { exports: {} };
  const code = readFileSync(path, 'utf8');
  const run = compileFunction(code, ['exports', 'require', 'module', '__filename', '__dirname'], {
    filename: path,
  }) as (...args: unknown[]) => void;
  run(module.exports, sandboxedRequire, module, path, '.');

  const describe = (value: unknown): unknown => {
    if (typeof value === 'function') return 'function';
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, describe(inner)]));
    }
    return value;
  };
  const toPage = (value: unknown): unknown => {
    if (typeof value === 'function') {
      const id = nextReturned++;
      returned.set(id, value as (...args: unknown[]) => unknown);
      return { __standInFunction: id };
    }
    return structuredClone(value);
  };
  const fromPage = (frame: Frame, callPage: CallPage) => (value: unknown) => {
    if (value && typeof value === 'object' && '__standInCallback' in value) {
      const id = (value as { __standInCallback: number }).__standInCallback;
      return (...args: unknown[]) => void callPage(frame, id, structuredClone(args)).catch(() => undefined);
    }
    return structuredClone(value);
  };

  return {
    manifest: () => Object.fromEntries([...exposed].map(([key, api]) => [key, describe(api)])),
    async handle(frame, request, callPage) {
      const {
        op,
        key,
        path: at,
        id,
        channel,
        args,
      } = request as {
        op: string;
        key?: string;
        path?: string[];
        id?: number;
        channel?: string;
        args?: unknown[];
      };
      const values = (args ?? []).map(fromPage(frame, callPage));
      try {
        let result: unknown;
        if (op === 'call') {
          let target: unknown = exposed.get(key ?? '');
          for (const name of at ?? []) target = (target as Record<string, unknown> | undefined)?.[name];
          if (typeof target !== 'function') throw new Error('not a function');
          const fn = target as (...args: unknown[]) => unknown;
          result = await caller.run(frame, () => fn(...values));
        } else if (op === 'function') {
          const fn = returned.get(id ?? 0);
          if (!fn) throw new Error('that function is gone');
          result = await caller.run(frame, () => fn(...values));
        } else if (op === 'ipc-invoke') {
          // What a compromised page could do with ipcRenderer itself: main's sender checks must stand alone.
          result = await main.invoke(frame, channel ?? '', values);
        } else {
          throw new Error(`unknown request ${String(op)}`);
        }
        return { ok: true, value: toPage(result) };
      } catch (error) {
        return { ok: false, message: error instanceof Error ? error.message : String(error) };
      }
    },
    deliver(channel, args) {
      listeners.emit(channel, strict('IpcRendererEvent', { sender: ipcRenderer }), ...args);
    },
  };
}
