/**
 * The RDP target for e2e tests: freerdp-shadow-cli (FreeRDP 2.11's shadow server) sharing its own private
 * Xvfb. With `/sec:tls -auth` it accepts any credentials, which makes it the simplest reliable target.
 */
import { once, runCleanupSteps } from './cleanup.ts';
import { HarnessError } from './errors.ts';
import { LOOPBACK, freePort, waitForTcpPort } from './ports.ts';
import { ManagedProcess, describeExit } from './processes.ts';
import { makeTempDir, type TempDir } from './temp-dirs.ts';
import { startXvfb, type XvfbHandle } from './xvfb.ts';

export const SHADOW_SERVER_TOOLS: readonly string[] = ['freerdp-shadow-cli', 'Xvfb'];
/**
 * Security arguments used unless the caller passes others: TLS only, no server-side authentication.
 * (For credential checks, pass for example `['/sec:nla', '/sam-file:PATH']`; see test/e2e/README.md.)
 */
export const SHADOW_DEFAULT_SECURITY_ARGS: readonly string[] = ['/sec:tls', '-auth'];
/** Xvfb plus the server (which generates its TLS key at start) were listening after 0.45–0.6 s here. */
export const SHADOW_START_TIMEOUT_MS = 15_000;
/** The free port can be taken by someone else before the server binds it; try again with a new one. */
const PORT_ATTEMPTS = 3;

export interface ShadowServerHandle {
  readonly host: typeof LOOPBACK;
  readonly port: number;
  /** The display the server shares (its private Xvfb). */
  readonly display: string;
  readonly process: ManagedProcess;
  /** Stops the server, then its Xvfb, and removes its config directory (idempotent). */
  stop(): Promise<void>;
}

export interface StartShadowServerOptions {
  /** Replaces SHADOW_DEFAULT_SECURITY_ARGS. */
  readonly securityArgs?: readonly string[];
  /** Bound for the whole start (Xvfb plus every port attempt). */
  readonly timeoutMs?: number;
}

/**
 * Starts `freerdp-shadow-cli /port:P /bind-address:127.0.0.1 /sec:tls -auth` under a new Xvfb and
 * resolves once the port accepts TCP connections. On failure everything started so far is stopped.
 *
 * Its environment gets a private `XDG_CONFIG_HOME`: the server writes its generated certificate to
 * `$XDG_CONFIG_HOME/freerdp/shadow/`, and servers started concurrently must not race on one shared file.
 */
export async function startShadowServer(options: StartShadowServerOptions = {}): Promise<ShadowServerHandle> {
  const timeoutMs = options.timeoutMs ?? SHADOW_START_TIMEOUT_MS;
  const deadline = performance.now() + timeoutMs;
  const securityArgs = options.securityArgs ?? SHADOW_DEFAULT_SECURITY_ARGS;

  const xvfb = await startXvfb();
  let configHome: TempDir | undefined;
  const failures: string[] = [];
  try {
    configHome = await makeTempDir('shadow');
    for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt += 1) {
      const remainingMs = Math.max(0, deadline - performance.now());
      if (remainingMs === 0) break;
      const port = await freePort(LOOPBACK);
      const server = await ManagedProcess.start(
        'freerdp-shadow-cli',
        [`/port:${port}`, `/bind-address:${LOOPBACK}`, ...securityArgs],
        {
          name: `freerdp-shadow-cli:${port}`,
          env: { ...process.env, DISPLAY: xvfb.display, XDG_CONFIG_HOME: configHome.path },
        },
      );
      try {
        await waitForTcpPort(LOOPBACK, port, {
          timeoutMs: remainingMs,
          abortIf: () => (server.running ? undefined : `the server ${server.describe()}`),
        });
      } catch (error) {
        const exit = server.exitStatus === undefined ? 'still running' : describeExit(server.exitStatus);
        failures.push(
          `attempt ${attempt} on port ${port} (${exit}): ${(error as Error).message}\n${server.outputTail()}`,
        );
        await server.stop({ signal: 'SIGKILL' });
        continue;
      }
      return shadowHandle(server, port, xvfb, configHome);
    }
    throw new HarnessError(`freerdp-shadow-cli did not start within ${timeoutMs} ms:\n${failures.join('\n')}`);
  } catch (error) {
    await runCleanupSteps([() => xvfb.stop(), async () => configHome?.remove()]);
    throw error;
  }
}

function shadowHandle(server: ManagedProcess, port: number, xvfb: XvfbHandle, configHome: TempDir): ShadowServerHandle {
  // Server first: it is an X client of the Xvfb.
  const stop = once(() => runCleanupSteps([() => server.stop(), () => xvfb.stop(), () => configHome.remove()]));
  return {
    host: LOOPBACK,
    port,
    display: xvfb.display,
    process: server,
    stop,
  };
}
