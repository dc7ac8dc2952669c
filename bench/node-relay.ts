/**
 * The least a Node relay can do, as a baseline beside nginx: `tls.createServer` with the bench's certificate and
 * nginx's TLS settings (TLS 1.2–1.3, Homegate's TLS 1.3 suites, the server's order; Node's own session tickets),
 * and for each connection a dial to the target and `pipe` both ways. Whatever Homegate costs above this row is
 * Homegate's own code; what this row costs above nginx is Node's TLS and streams.
 *
 * Run by the bench in its own process (`bench/lib/node-relay.ts`): `node --import tsx bench/node-relay.ts
 * TARGET_PORT CERT_FILE KEY_FILE`. Reports its port over IPC, answers `{ id }` with its CPU time (all threads),
 * and exits when the bench disconnects.
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

function main(): void {
  if (!process.send) throw new Error('node-relay runs as a child of the bench (it needs an IPC channel)');
  const [port, certFile, keyFile] = process.argv.slice(2);
  const targetPort = Number(port);
  if (!Number.isInteger(targetPort) || targetPort <= 0 || !certFile || !keyFile) {
    throw new Error('usage: node-relay.ts TARGET_PORT CERT_FILE KEY_FILE');
  }
  const server = createServer(
    {
      cert: readFileSync(certFile),
      key: readFileSync(keyFile),
      minVersion: 'TLSv1.2',
      ciphers: `${TLS13_SUITES}:${TLS12_CIPHERS}`,
      honorCipherOrder: true,
    },
    (client) => relay(client, targetPort),
  );
  server.maxConnections = 10_000;
  server.on('error', (error: Error) => {
    process.stderr.write(`node-relay: ${error.message}\n`);
    process.exit(1);
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  });
  process.on('message', (message: { id?: unknown }) => {
    const cpu = process.cpuUsage();
    process.send?.({ id: message.id, cpuMs: (cpu.user + cpu.system) / 1000 });
  });
  // The bench went away (ended or crashed): so does the relay.
  process.on('disconnect', () => process.exit(0));
}

main();
