/**
 * Records the bytes real FreeRDP 2.11 sends to the gateway, for the fuzz tests' seeds (test/fixtures/freerdp/).
 * Not a test: run it by hand (`node --import tsx test/fuzz/capture-seeds.ts`) after `npm run build`, with xfreerdp,
 * freerdp-shadow-cli and Xvfb installed.
 *
 * How: `homegate serve` with a plain listener (`--plain-listen`, as behind a TLS-terminating proxy) and its relay;
 * in front of each, a recording proxy of our own. The one for the gateway terminates TLS with the gateway's own
 * certificate, so what it records is exactly what xfreerdp writes after TLS; the one for the relay is plain TCP.
 * xfreerdp then connects to the shadow server through each door with `+auth-only`. Each client → gateway stream is
 * saved, cut to its first MAX_CAPTURE_BYTES bytes.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { fileURLToPath } from 'node:url';
import {
  XFREERDP_AUTH_ONLY,
  XFREERDP_BASE_ARGS,
  allowHost,
  describeXfreerdpResult,
  homegateOk,
  makeTempDir,
  reachedActive,
  runXfreerdp,
  startHomegateServe,
  startShadowServer,
  xfreerdpTarget,
} from '../e2e/harness/index.ts';

const OUT_DIR = fileURLToPath(new URL('../fixtures/freerdp/', import.meta.url));
const MAX_CAPTURE_BYTES = 6 * 1024;
const CLIENT_TIMEOUT_MS = 30_000;

interface Recorder {
  readonly port: number;
  /** Every accepted connection's client → upstream bytes, in accept order. */
  readonly streams: Buffer[][];
  close(): Promise<void>;
}

/** Pipes every accepted (already decrypted) socket to `upstreamPort`, keeping a copy of what the client sent. */
function record(server: Server, accepted: 'connection' | 'secureConnection', upstreamPort: number): Promise<Recorder> {
  const streams: Buffer[][] = [];
  const sockets = new Set<Socket>();
  server.on(accepted, (client: Socket) => {
    const chunks: Buffer[] = [];
    streams.push(chunks);
    const upstream = connect(upstreamPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      chunks.push(Buffer.from(chunk));
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        streams,
        close: () => {
          for (const socket of sockets) socket.destroy();
          return new Promise((done) => server.close(() => done()));
        },
      }),
    );
  });
}

async function main(): Promise<void> {
  const shadow = await startShadowServer();
  const data = await makeTempDir('fuzz-capture');
  const serve = await startHomegateServe(data.path, {
    extraArgs: ['--plain-listen', '127.0.0.1:0', '--relay-listen', '127.0.0.1:0'],
  });
  try {
    await allowHost(data.path, 'shadow', shadow.port);
    const tls = createTlsServer({
      cert: await readFile(join(data.path, 'tls/server.pem')),
      key: await readFile(join(data.path, 'tls/server-key.pem')),
    });
    const gateway = await record(tls, 'secureConnection', serve.plainPort as number);
    const relay = await record(createTcpServer(), 'connection', serve.relayPort as number);
    const target = xfreerdpTarget('127.0.0.1', shadow.port);
    const runs: Array<{ name: string; recorder: Recorder; args: (token: string) => string[]; kind: string }> = [
      {
        name: 'websocket',
        recorder: gateway,
        kind: 'paa',
        args: (token) => [target, `/g:127.0.0.1:${gateway.port}`, '/gt:http', `/gat:${token}`],
      },
      {
        name: 'legacy',
        recorder: gateway,
        kind: 'paa',
        args: (token) => [target, `/g:127.0.0.1:${gateway.port}`, '/gt:http,no-websockets', `/gat:${token}`],
      },
      {
        name: 'relay',
        recorder: relay,
        kind: 'association',
        args: (token) => [xfreerdpTarget('127.0.0.1', relay.port), `/pcb:${token}`],
      },
    ];
    await mkdir(OUT_DIR, { recursive: true });
    for (const run of runs) {
      const token = (await homegateOk(data.path, ['token', run.kind, '--host', 'shadow'])).trim();
      const before = run.recorder.streams.length;
      const result = await runXfreerdp([...run.args(token), ...XFREERDP_BASE_ARGS, XFREERDP_AUTH_ONLY], {
        timeoutMs: CLIENT_TIMEOUT_MS,
      });
      if (result.exitCode !== 0 || !reachedActive(result)) {
        throw new Error(`${run.name}: ${describeXfreerdpResult(result)}`);
      }
      const streams = run.recorder.streams.slice(before);
      for (const [index, chunks] of streams.entries()) {
        const bytes = Buffer.concat(chunks);
        const file = join(OUT_DIR, `${run.name}-${index}.bin`);
        await writeFile(file, bytes.subarray(0, MAX_CAPTURE_BYTES));
        console.log(`${file}: ${bytes.length} bytes sent, ${Math.min(bytes.length, MAX_CAPTURE_BYTES)} kept`);
      }
    }
    await gateway.close();
    await relay.close();
  } finally {
    await serve.stop();
    await shadow.stop();
    await data.remove();
  }
}

await main();
