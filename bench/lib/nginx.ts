/**
 * nginx as a stream relay, the yardstick for Homegate's relay cost: TLS termination → TCP (for the MS-TSGU
 * carriers, which terminate TLS too) and plain TCP → TCP (for Homegate's TCP relay, which carries RDP's own TLS
 * untouched). Its own temporary prefix, `daemon off`, one worker (Homegate is one Node thread), loopback ports, and
 * a certificate of the gateway's key type with TLS 1.3 suites in Homegate's order (`certificate.ts`).
 */
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import type { CertificateKeyType } from '../../main/certs/local-ca.ts';
import { makeCertificate, TLS13_SUITES } from './certificate.ts';
import { spawnChild, stopChild } from './children.ts';

const NGINX_CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'];
const STREAM_MODULE_CANDIDATES = [
  '/usr/lib/nginx/modules/ngx_stream_module.so',
  '/usr/lib64/nginx/modules/ngx_stream_module.so',
];
const START_TIMEOUT_MS = 10_000;

export interface NginxInfo {
  readonly binary: string;
  readonly version: string;
  /** The stream module's .so when it is built as a dynamic module; undefined when it is built in. */
  readonly streamModule: string | undefined;
}

/** Finds nginx and its stream module; the reason as a string when the relay cannot be run. */
export function findNginx(): NginxInfo | string {
  const binary = NGINX_CANDIDATES.find((path) => existsSync(path));
  if (!binary) return 'nginx not found (scripts/setup-system.sh installs it)';
  // `nginx -V` prints its version and configure arguments on stderr.
  const result = spawnSync(binary, ['-V'], { encoding: 'utf8', timeout: 10_000 });
  const text = `${result.stdout}${result.stderr}`;
  const name = /nginx version: (\S+)/.exec(text)?.[1] ?? 'nginx';
  if (/--with-stream(\s|$)/.test(text)) return { binary, version: name, streamModule: undefined };
  if (!/--with-stream=dynamic/.test(text)) return `${name} has no stream module`;
  const streamModule = STREAM_MODULE_CANDIDATES.find((path) => existsSync(path));
  if (!streamModule) {
    return `${name} builds the stream module as a dynamic module, but it is not installed (Debian: libnginx-mod-stream; scripts/setup-system.sh installs it)`;
  }
  return { binary, version: name, streamModule };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

export class NginxRelay {
  readonly child: ChildProcess;
  /** TLS termination → TCP. */
  readonly port: number;
  /** Plain TCP → TCP. */
  readonly tcpPort: number;
  /** The same two, relaying to the probe target (the RDP-like phase's interactive echo). */
  readonly probe: { readonly port: number; readonly tcpPort: number };
  readonly certPem: string;

  private constructor(child: ChildProcess, ports: readonly number[], certPem: string) {
    this.child = child;
    [this.port, this.tcpPort] = ports;
    this.probe = { port: ports[2], tcpPort: ports[3] };
    this.certPem = certPem;
  }

  static async start(
    info: NginxInfo,
    prefix: string,
    targets: { readonly port: number; readonly probePort: number },
    keyType: CertificateKeyType,
  ): Promise<NginxRelay> {
    const { certFile: cert, keyFile: key, certPem } = await makeCertificate(prefix, keyType);
    // TLS and TCP to the target, then the same two to the probe target: one server block each, alike.
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    const upstreams = [targets.port, targets.port, targets.probePort, targets.probePort];
    const tls = [
      `    ssl_certificate ${cert};`,
      `    ssl_certificate_key ${key};`,
      '    ssl_protocols TLSv1.2 TLSv1.3;',
      '    ssl_prefer_server_ciphers on;',
      `    ssl_conf_command Ciphersuites ${TLS13_SUITES};`,
    ];
    const servers = ports.flatMap((port, i) => [
      '  server {',
      `    listen 127.0.0.1:${port}${i % 2 === 0 ? ' ssl' : ''};`,
      ...(i % 2 === 0 ? tls : []),
      `    proxy_pass 127.0.0.1:${upstreams[i]};`,
      '    tcp_nodelay on;',
      '  }',
    ]);
    const conf = join(prefix, 'nginx.conf');
    await writeFile(
      conf,
      [
        ...(info.streamModule ? [`load_module ${info.streamModule};`] : []),
        'daemon off;',
        'worker_processes 1;',
        `pid ${join(prefix, 'nginx.pid')};`,
        `error_log ${join(prefix, 'error.log')} warn;`,
        'events { worker_connections 8192; }',
        'stream {',
        ...servers,
        '}',
        '',
      ].join('\n'),
    );
    const child = spawnChild(info.binary, ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log')], {
      stdio: 'ignore',
    });
    for (const port of ports) await waitForListen(port, child);
    return new NginxRelay(child, ports, certPem);
  }

  /** The worker processes (children of the master), for their CPU time. */
  workerPids(): number[] {
    const pid = this.child.pid;
    if (pid === undefined) return [];
    try {
      return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
        .split('\n')
        .filter((line) => line.length > 0)
        .map(Number);
    } catch {
      return [];
    }
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}

/** Polls until something accepts on `port`, bounded; fails early if nginx exits. */
async function waitForListen(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nginx exited with status ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx did not listen on ${port} within ${START_TIMEOUT_MS} ms`);
}
