/**
 * A private X display per call. FreeRDP's X11 client cannot run without a display (even `+auth-only` and
 * `/help` fail with "failed to open display"), and freerdp-shadow-cli shares a display; giving each its own
 * Xvfb keeps concurrent tests (and other sessions on the machine) from seeing each other's windows.
 */
import { HarnessError, HarnessTimeoutError } from './errors.ts';
import { ManagedProcess } from './processes.ts';

export const XVFB_TOOLS: readonly string[] = ['Xvfb'];
export const XVFB_SCREEN = '1024x768x24';
export const XVFB_START_TIMEOUT_MS = 10_000;
/** The fd on which Xvfb reports the display number it picked (`-displayfd`). */
const DISPLAY_FD = 3;

export interface XvfbHandle {
  /** Value for `DISPLAY`, for example ":3". */
  readonly display: string;
  readonly displayNumber: number;
  readonly process: ManagedProcess;
  /** Stops the server (idempotent). */
  stop(): Promise<void>;
}

export interface StartXvfbOptions {
  /** WxHxD of screen 0. */
  readonly screen?: string;
  readonly timeoutMs?: number;
}

/**
 * Starts Xvfb on a display number it picks itself (`-displayfd`: Xvfb takes the first free number using
 * its own lock files, so there is no race between concurrent starts) and resolves once that display
 * accepts clients — Xvfb writes the number only when it is ready.
 *
 * `-nolisten tcp`: unix socket only, nothing on the network. `-noreset`: do not reset the server when its
 * last client disconnects, which would disturb a shadow server sharing the display.
 */
export async function startXvfb(options: StartXvfbOptions = {}): Promise<XvfbHandle> {
  const timeoutMs = options.timeoutMs ?? XVFB_START_TIMEOUT_MS;
  const args = [
    '-displayfd',
    String(DISPLAY_FD),
    '-nolisten',
    'tcp',
    '-noreset',
    '-screen',
    '0',
    options.screen ?? XVFB_SCREEN,
  ];
  const xvfb = await ManagedProcess.start('Xvfb', args, { name: 'Xvfb', extraPipes: 1 });
  try {
    const displayNumber = await readDisplayNumber(xvfb, timeoutMs);
    return {
      display: `:${displayNumber}`,
      displayNumber,
      process: xvfb,
      stop: async () => {
        await xvfb.stop();
      },
    };
  } catch (error) {
    await xvfb.stop({ signal: 'SIGKILL' });
    throw error;
  }
}

function readDisplayNumber(xvfb: ManagedProcess, timeoutMs: number): Promise<number> {
  const pipe = xvfb.extraPipe(DISPLAY_FD);
  pipe.setEncoding('utf8');
  return new Promise<number>((resolve, reject) => {
    let received = '';
    let done = false;
    const finish = (): void => {
      done = true;
      clearTimeout(timer);
      pipe.off('data', onData);
    };
    const onData = (chunk: string): void => {
      received += chunk;
      const newline = received.indexOf('\n');
      if (done || newline === -1) return;
      finish();
      const text = received.slice(0, newline).trim();
      const value = Number(text);
      if (/^\d+$/.test(text) && Number.isSafeInteger(value)) resolve(value);
      else reject(new HarnessError(`${xvfb.describe()}: unexpected -displayfd output ${JSON.stringify(text)}`));
    };
    const timer = setTimeout(() => {
      if (done) return;
      finish();
      reject(
        new HarnessTimeoutError(
          `${xvfb.describe()}: no display within ${timeoutMs} ms; last output:\n${xvfb.outputTail()}`,
          timeoutMs,
        ),
      );
    }, timeoutMs);
    pipe.on('data', onData);
    void xvfb.ended.then(() => {
      if (done) return;
      finish();
      reject(new HarnessError(`${xvfb.describe()} before reporting a display; last output:\n${xvfb.outputTail()}`));
    });
  });
}
