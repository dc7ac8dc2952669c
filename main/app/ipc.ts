import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { CALL_NAMES, callChannel, eventChannel, type EventName, type EventPayload } from '../../shared/ipc/contract.ts';
import { ContractCallError, dispatchCall, type CallHandlers } from '../ipc/dispatch.ts';
import type { Logger } from '../logging/logger.ts';
import { isAppUrl } from './window-options.ts';
import type { IpcReply } from '../../shared/ipc/ipc-reply.ts';

/**
 * Serves the contract over Electron IPC. A call is answered only when it comes from the main frame of one of our
 * own windows showing our own page (a foreign frame, an iframe or a page navigated elsewhere gets nothing), and
 * its input is validated before the handler runs. The answer is always an envelope (the handler never throws), so
 * that a refusal reaches the page as `{ code, message }` rather than as Electron's wrapped error text.
 */
export function serveContractOverIpc(
  handlers: CallHandlers,
  isTrustedSender: (sender: WebContents) => boolean,
  logger: Logger,
): () => void {
  for (const name of CALL_NAMES) {
    ipcMain.handle(callChannel(name), async (event: IpcMainInvokeEvent, input: unknown): Promise<IpcReply> => {
      const frame = event.senderFrame;
      if (!isTrustedSender(event.sender) || !frame || frame !== event.sender.mainFrame || !isAppUrl(frame.url)) {
        logger.warn('refused an IPC call from an untrusted sender', { call: name, url: frame?.url });
        return { ok: false, error: { code: 'forbidden', message: 'forbidden' } };
      }
      try {
        return { ok: true, result: await dispatchCall(handlers, name, input, logger, { via: 'app' }) };
      } catch (error) {
        if (error instanceof ContractCallError) return { ok: false, error: error.toJSON() };
        logger.error('IPC call failed', { call: name, error });
        return { ok: false, error: { code: 'internal', message: 'the call failed' } };
      }
    });
  }
  return () => {
    for (const name of CALL_NAMES) ipcMain.removeHandler(callChannel(name));
  };
}

export function sendEvent<N extends EventName>(target: WebContents, name: N, payload: EventPayload<N>): void {
  if (!target.isDestroyed()) target.send(eventChannel(name), payload);
}
