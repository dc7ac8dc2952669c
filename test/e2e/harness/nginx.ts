/**
 * A private NGINX for e2e tests: its own prefix directory (config, logs, temp files), `daemon off` and
 * `master_process off` (one foreground process in its own group, running as the test's user, so nothing needs
 * root and `stop()` leaves nothing behind), listening on a loopback port picked here.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once, runCleanupSteps } from './cleanup.ts';
import { HarnessError } from './errors.ts';
import { LOOPBACK, freePort, waitForTcpPort } from './ports.ts';
import { ManagedProcess, describeExit } from './processes.ts';
import { makeTempDir, type TempDir } from './temp-dirs.ts';
import { findTool } from './tools.ts';

export const NGINX_TOOLS: readonly string[] = ['nginx'];
export const NGINX_START_TIMEOUT_MS = 10_000;
/** The free port can be taken by someone else before NGINX binds it; try again with a new one. */
const PORT_ATTEMPTS = 3;

export interface NginxHandle {
  /** Where the site listens (127.0.0.1 unless `listenAddress` said otherwise). */
  readonly host: string;
  readonly port: number;
  /** The prefix directory: nginx.conf, site.conf, logs/. */
  readonly prefix: string;
  readonly process: ManagedProcess;
  /** The access log so far (one line per request, format `homegate_test`, see below). */
  accessLog(): Promise<string>;
  /** Stops NGINX and removes its prefix (idempotent). */
  stop(): Promise<void>;
}

export interface StartNginxOptions {
  /** The site configuration (http {} context) for the address NGINX should listen on. */
  readonly site: (listen: { readonly host: string; readonly port: number }) => string;
  /** Where to listen (each attempt asks again); default a free port on 127.0.0.1. */
  readonly listenAddress?: () => Promise<{ readonly host: string; readonly port: number }>;
  /** Directives added to the http {} block before the site, for example `proxy_bind 127.0.0.2;`. */
  readonly httpDirectives?: readonly string[];
  readonly timeoutMs?: number;
}

/** The wrapper around a site: everything NGINX would otherwise read from or write to /etc, /var and /run. */
function mainConfig(prefix: string, httpDirectives: readonly string[]): string {
  const path = (name: string): string => join(prefix, name);
  return [
    'daemon off;',
    'master_process off;',
    `pid ${path('nginx.pid')};`,
    `error_log ${path('logs/error.log')} info;`,
    'events { worker_connections 256; }',
    'http {',
    `  log_format homegate_test '$remote_addr "$request_method $request_uri" $status upstream=$upstream_addr';`,
    `  access_log ${path('logs/access.log')} homegate_test;`,
    `  client_body_temp_path ${path('temp/body')};`,
    `  proxy_temp_path ${path('temp/proxy')};`,
    `  fastcgi_temp_path ${path('temp/fastcgi')};`,
    `  uwsgi_temp_path ${path('temp/uwsgi')};`,
    `  scgi_temp_path ${path('temp/scgi')};`,
    ...httpDirectives.map((directive) => `  ${directive}`),
    `  include ${path('site.conf')};`,
    '}',
    '',
  ].join('\n');
}

/** Writes the configuration, starts NGINX and resolves once its port accepts connections. */
export async function startNginx(options: StartNginxOptions): Promise<NginxHandle> {
  const binary = findTool('nginx');
  if (binary === undefined) throw new HarnessError('nginx is not installed; see scripts/setup-system.sh');
  const timeoutMs = options.timeoutMs ?? NGINX_START_TIMEOUT_MS;
  const deadline = performance.now() + timeoutMs;
  const prefix: TempDir = await makeTempDir('nginx');
  const failures: string[] = [];
  try {
    for (const dir of ['logs', 'temp']) await mkdir(join(prefix.path, dir));
    await writeFile(join(prefix.path, 'nginx.conf'), mainConfig(prefix.path, options.httpDirectives ?? []));
    for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt += 1) {
      const remainingMs = Math.max(0, deadline - performance.now());
      if (remainingMs === 0) break;
      const { host, port } = (await options.listenAddress?.()) ?? { host: LOOPBACK, port: await freePort(LOOPBACK) };
      await writeFile(join(prefix.path, 'site.conf'), options.site({ host, port }));
      const nginx = await ManagedProcess.start(
        binary,
        ['-p', prefix.path, '-c', join(prefix.path, 'nginx.conf'), '-e', join(prefix.path, 'logs/error.log')],
        { name: `nginx:${port}` },
      );
      try {
        await waitForTcpPort(host, port, {
          timeoutMs: remainingMs,
          abortIf: () => (nginx.running ? undefined : `nginx ${nginx.describe()}`),
        });
      } catch (error) {
        const exit = nginx.exitStatus === undefined ? 'still running' : describeExit(nginx.exitStatus);
        const errorLog = await readFile(join(prefix.path, 'logs/error.log'), 'utf8').catch(() => '');
        failures.push(`attempt ${attempt} on port ${port} (${exit}): ${(error as Error).message}\n${errorLog}`);
        await nginx.stop({ signal: 'SIGKILL' });
        continue;
      }
      return nginxHandle(nginx, host, port, prefix);
    }
    throw new HarnessError(`nginx did not start within ${timeoutMs} ms:\n${failures.join('\n')}`);
  } catch (error) {
    await prefix.remove();
    throw error;
  }
}

function nginxHandle(nginx: ManagedProcess, host: string, port: number, prefix: TempDir): NginxHandle {
  // SIGTERM is NGINX's fast shutdown (SIGQUIT would wait for every tunnel to end).
  const stop = once(() => runCleanupSteps([() => nginx.stop({ signal: 'SIGTERM' }), () => prefix.remove()]));
  return {
    host,
    port,
    prefix: prefix.path,
    process: nginx,
    accessLog: () => readFile(join(prefix.path, 'logs/access.log'), 'utf8').catch(() => ''),
    stop,
  };
}
