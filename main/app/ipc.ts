import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { CALL_NAMES, callChannel, eventChannel, type EventName, type EventPayload } from '../../shared/ipc/contract.ts';
import { dispatchCall, type CallHandlers } from '../ipc/dispatch.ts';
import type { Logger } from '../logging/logger.ts';

/**
 * Serves the contract over Electron IPC. A call is answered only when it comes from one of our own windows'
 * main frames (a compromised or foreign frame gets nothing), and its input is validated before the handler runs.
 */
export function serveContractOverIpc(
  handlers: CallHandlers,
  isTrustedSender: (sender: WebContents) => boolean,
  logger: Logger,
): () => void {
  for (const name of CALL_NAMES) {
    ipcMain.handle(callChannel(name), (event: IpcMainInvokeEvent, input: unknown) => {
      if (!isTrustedSender(event.sender) || event.senderFrame !== event.sender.mainFrame) {
        logger.warn('refused an IPC call from an untrusted sender', { call: name, url: event.senderFrame?.url });
        throw new Error('forbidden');
      }
      return dispatchCall(handlers, name, input, logger);
    });
  }
  return () => {
    for (const name of CALL_NAMES) ipcMain.removeHandler(callChannel(name));
  };
}

export function sendEvent<N extends EventName>(target: WebContents, name: N, payload: EventPayload<N>): void {
  if (!target.isDestroyed()) target.send(eventChannel(name), payload);
}
