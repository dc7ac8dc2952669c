/**
 * Micro-benchmark of the WebSocket transport alone (the A/B behind bench/README.md's optimisation table): CPU µs
 * per frame of this process for
 *   send:    `send(encodeDataPacket(payload))` — and `sendData(payload)` or `sendDataWithRoom(room + payload)` where
 *            the tree has them — into a TLS socket whose peer (a child process) reads and drops;
 *   receive: masked client frames from a child process, through `WebSocketTransport` to a no-op handler.
 * TLS is in the measured process, as in the gateway. Compare trees (checkouts or copies with main/) side by side:
 *
 *   node --import tsx bench/micro/transport.ts [--rounds=3] [TREE ...]      (default: this checkout)
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer, connect, type TLSSocket } from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

interface TransportModule {
  WebSocketTransport: new (
    socket: TLSSocket,
    head: Buffer,
    remoteAddress: string,
  ) => {
    start(handlers: { data(chunk: Buffer): void; drain(): void; closed(): void }): void;
    send(packet: Buffer): boolean;
    sendData?(payload: Buffer): boolean;
    sendDataWithRoom?(buffer: Buffer): boolean;
    destroy(): void;
  };
}
interface CodecModule {
  encodeDataPacket(payload: Buffer): Buffer;
}

const HERE = fileURLToPath(new URL('.', import.meta.url));
const SEND_CASES = [
  [64, 100_000],
  [16_384, 20_000],
  [65_535, 8_000],
] as const;
const RECEIVE_CASES = [
  [64, 100_000],
  [16_400, 16_000],
  [65_545, 4_000],
] as const;
const TIMEOUT_MS = 60_000;
/** The room in front of a payload that `sendDataWithRoom` takes (packet-transport.ts's DATA_HEADROOM_BYTES). */
const HEADROOM_BYTES = 20;
const SEND_VARIANTS = ['send', 'sendData', 'sendDataWithRoom'] as const;
type SendVariant = (typeof SEND_VARIANTS)[number];

const { values, positionals } = parseArgs({ options: { rounds: { type: 'string' } }, allowPositionals: true });
const rounds = Number(values.rounds ?? 3);
const trees = positionals.length ? positionals.map((tree) => resolve(tree)) : [resolve(HERE, '../..')];

const work = mkdtempSync(join(tmpdir(), 'homegate-micro-'));
const cert = join(work, 'cert.pem');
const key = join(work, 'key.pem');
execFileSync('openssl', [
  ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
  ...['-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'],
]);
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});
setTimeout(() => {
  process.stderr.write('micro: time limit reached\n');
  process.exit(1);
}, 10 * 60_000).unref();

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolvePromise(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

const sink = fork(join(HERE, 'tls-sink.mjs'), [cert, key]);
children.push(sink);
const sinkPort = await within(
  new Promise<number>((done) => sink.once('message', (message: { port: number }) => done(message.port))),
  'the sink starting',
);

let onSecureSocket: (socket: TLSSocket) => void = () => undefined;
const server = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (socket) => onSecureSocket(socket));
await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
const serverAddress = server.address();
const serverPort = typeof serverAddress === 'object' && serverAddress ? serverAddress.port : 0;

const cpuMicros = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return used.user + used.system;
};

async function measureSend(
  ws: TransportModule,
  codec: CodecModule,
  variant: SendVariant,
  size: number,
  count: number,
): Promise<number> {
  const socket = connect({ host: '127.0.0.1', port: sinkPort, rejectUnauthorized: false });
  await within(new Promise((done) => socket.once('secureConnect', done)), 'connecting to the sink');
  let drained: (() => void) | undefined;
  const transport = new ws.WebSocketTransport(socket, Buffer.alloc(0), '127.0.0.1');
  transport.start({ data: () => undefined, drain: () => drained?.(), closed: () => undefined });
  const payload = Buffer.alloc(size, 7);
  // One buffer sent over and over, like `payload`: its headers are rewritten with the same bytes each time.
  const withRoom = Buffer.alloc(HEADROOM_BYTES + size, 7);
  const sendOne = (): boolean => {
    if (variant === 'sendDataWithRoom' && transport.sendDataWithRoom) return transport.sendDataWithRoom(withRoom);
    if (variant === 'sendData' && transport.sendData) return transport.sendData(payload);
    return transport.send(codec.encodeDataPacket(payload));
  };
  const since = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const writable = sendOne();
    if (!writable) await within(new Promise<void>((done) => (drained = done)), 'the transport draining');
  }
  if (socket.writableLength > 0) await within(new Promise((done) => socket.once('drain', done)), 'the socket draining');
  const micros = cpuMicros(since);
  transport.destroy();
  return micros / count;
}

async function measureReceive(ws: TransportModule, size: number, count: number): Promise<number> {
  const sender = fork(join(HERE, 'masked-sender.mjs'));
  children.push(sender);
  const socket = await within(
    new Promise<TLSSocket>((done) => {
      onSecureSocket = done;
      sender.send({ port: serverPort, size, count });
    }),
    'the sender connecting',
  );
  const transport = new ws.WebSocketTransport(socket, Buffer.alloc(0), '127.0.0.1');
  let received = 0;
  const since = process.cpuUsage();
  await within(
    new Promise<void>((done) =>
      transport.start({
        data: (chunk) => {
          received += chunk.length;
          if (received >= size * count) done();
        },
        drain: () => undefined,
        closed: () => undefined,
      }),
    ),
    'receiving every frame',
  );
  const micros = cpuMicros(since);
  transport.destroy();
  sender.kill();
  return micros / count;
}

const samples = new Map<string, number[]>();
const record = (name: string, value: number): void => {
  samples.set(name, [...(samples.get(name) ?? []), value]);
};
const modules = await Promise.all(
  trees.map(async (tree) => ({
    tree,
    ws: (await import(pathToFileURL(join(tree, 'main/gateway/transport/websocket.ts')).href)) as TransportModule,
    codec: (await import(pathToFileURL(join(tree, 'main/gateway/tsgu/codec.ts')).href)) as CodecModule,
  })),
);
for (let round = 0; round < rounds; round++) {
  for (const { tree, ws, codec } of modules) {
    const prototype = ws.WebSocketTransport.prototype as Partial<Record<SendVariant, unknown>>;
    for (const variant of SEND_VARIANTS.filter((name) => typeof prototype[name] === 'function')) {
      for (const [size, count] of SEND_CASES) {
        record(`${tree} ${variant} ${size} B`, await measureSend(ws, codec, variant, size, count));
      }
    }
    for (const [size, count] of RECEIVE_CASES)
      record(`${tree} receive ${size} B`, await measureReceive(ws, size, count));
  }
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
for (const [name, values] of samples) {
  process.stdout.write(
    `${name.padEnd(60)} ${median(values).toFixed(2).padStart(8)} µs/frame  (${values.map((v) => v.toFixed(1)).join(' ')})\n`,
  );
}
server.close();
process.exit(0);
