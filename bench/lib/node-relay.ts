/**
 * The bare Node TLS relay (`bench/node-relay.ts`) in its own process group, like the target and the gateway: its
 * own certificate of the gateway's key type, its port and CPU time over IPC.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { CertificateKeyType } from '../../main/certs/local-ca.ts';
import { makeCertificate } from './certificate.ts';
import { ROOT, spawnChild, stopChild } from './children.ts';
import type { CpuMeter } from './cpu.ts';

const START_TIMEOUT_MS = 20_000;
const CPU_TIMEOUT_MS = 10_000;

export class NodeRelay {
  readonly child: ChildProcess;
  readonly port: number;
  /** The same relay's listener in front of the probe target (the RDP-like phase's interactive echo). */
  readonly probePort: number;
  readonly certPem: string;
  #nextId = 1;
  readonly #pending = new Map<number, (cpuMs: number) => void>();

  private constructor(child: ChildProcess, ports: { port: number; probePort: number }, certPem: string) {
    this.child = child;
    this.port = ports.port;
    this.probePort = ports.probePort;
    this.certPem = certPem;
    child.on('message', (message: { id?: number; cpuMs?: number }) => {
      if (message.id === undefined || message.cpuMs === undefined) return;
      this.#pending.get(message.id)?.(message.cpuMs);
      this.#pending.delete(message.id);
    });
  }

  /** Makes the certificate in `dir` and starts the relay in front of the target and of the probe target. */
  static async start(
    dir: string,
    targets: { readonly port: number; readonly probePort: number },
    keyType: CertificateKeyType,
  ): Promise<NodeRelay> {
    const { certFile, keyFile, certPem } = await makeCertificate(dir, keyType);
    const child = spawnChild(
      process.execPath,
      [
        ...['--import', 'tsx', join(ROOT, 'bench/node-relay.ts')],
        ...[String(targets.port), String(targets.probePort), certFile, keyFile],
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
    );
    const ports = await new Promise<{ port: number; probePort: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the Node relay did not start within 20 s')), START_TIMEOUT_MS);
      child.once('message', (message: { port: number; probePort: number }) => {
        clearTimeout(timer);
        resolve(message);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the Node relay exited (status ${code}) before it was ready`));
      });
    });
    return new NodeRelay(child, ports, certPem);
  }

  /** A stopwatch of the relay's CPU time (`process.cpuUsage`, every thread), read over IPC. */
  cpuMeter(): CpuMeter {
    const since = this.#cpuMs();
    return async () => (await this.#cpuMs()) - (await since);
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }

  #cpuMs(): Promise<number> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`the Node relay did not report its CPU within ${CPU_TIMEOUT_MS} ms`));
      }, CPU_TIMEOUT_MS);
      this.#pending.set(id, (cpuMs) => {
        clearTimeout(timer);
        resolve(cpuMs);
      });
      this.child.send({ id });
    });
  }
}
