/**
 * The least a Node relay can do, as a baseline beside nginx: `tls.createServer` with the bench's certificate and
 * nginx's TLS settings (TLS 1.2–1.3, Homegate's TLS 1.3 suites, the server's order; Node's own session tickets),
 * and for each connection a dial to the target and `pipe` both ways. Whatever Homegate costs above this row is
 * Homegate's own code; what this row costs above nginx is Node's TLS and streams.
 *
 * Run by the bench in its own process (`bench/lib/node-relay.ts`): `node --import tsx bench/node-relay.ts
 * TARGET_PORT PROBE_TARGET_PORT CERT_FILE KEY_FILE`. Two listeners in the one process, as nginx's two server
 * blocks in its one worker: one in front of the target, one in front of the probe target (the RDP-like phase's
 * interactive echo). Reports their ports over IPC, answers `{ id }` with its CPU time (all threads), and exits when
 * the bench disconnects.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import { TLS13_SUITES } from './lib/certificate.ts';

/** nginx's default TLS 1.2 list (`ssl_ciphers`), after the TLS 1.3 suites; the clients here speak TLS 1.3. */
const TLS12_CIPHERS = 'HIGH:!aNULL:!MD5';

/** One client and its target: either side's error or close ends the pair, and only the pair. */
function relay(client: TLSSocket, targetPort: number): void {
  client.setNoDelay(true);
  const target = connect({ host: '127.0.0.1', port: targetPort, noDelay: true });
  const end = (): void => {
    client.destroy();
    target.destroy();
  };
  client.on('error', end).on('close', end);
  target.on('error', end).on('close', end);
  client.pipe(target).pipe(client);
}

/** A TLS server with nginx's settings relaying each connection to `targetPort`; resolves with its port. */
function listen(tls: { cert: Buffer; key: Buffer }, targetPort: number): Promise<number> {
  const server = createServer(
    { ...tls, minVersion: 'TLSv1.2', ciphers: `${TLS13_SUITES}:${TLS12_CIPHERS}`, honorCipherOrder: true },
    (client) => relay(client, targetPort),
  );
  server.maxConnections = 10_000;
  server.on('error', (error: Error) => {
    process.stderr.write(`node-relay: ${error.message}\n`);
    process.exit(1);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    }),
  );
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('node-relay runs as a child of the bench (it needs an IPC channel)');
  const [target, probeTarget, certFile, keyFile] = process.argv.slice(2);
  const targetPorts = [Number(target), Number(probeTarget)];
  if (!targetPorts.every((p) => Number.isInteger(p) && p > 0) || !certFile || !keyFile) {
    throw new Error('usage: node-relay.ts TARGET_PORT PROBE_TARGET_PORT CERT_FILE KEY_FILE');
  }
  process.on('message', (message: { id?: unknown }) => {
    const cpu = process.cpuUsage();
    process.send?.({ id: message.id, cpuMs: (cpu.user + cpu.system) / 1000 });
  });
  // The bench went away (ended or crashed): so does the relay.
  process.on('disconnect', () => process.exit(0));
  const tls = { cert: readFileSync(certFile), key: readFileSync(keyFile) };
  const [port, probePort] = await Promise.all(targetPorts.map((targetPort) => listen(tls, targetPort)));
  process.send?.({ port, probePort });
}

await main();
