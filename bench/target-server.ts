/**
 * The bench's loopback target (an RDP host stand-in), run in its own process so that neither the gateway nor the
 * load generator pays for it. Reports its port over IPC and exits when the bench disconnects.
 *
 * Each connection speaks a tiny command protocol, the same through every transport (the bytes are tunnel payload):
 *   'U' u64be n   upload: read n bytes, then answer one byte 'K'
 *   'D' u64be n   download: write n bytes (backpressure honoured)
 *   'E'           echo everything from here on (latency, light traffic)
 *   'P'           answer one byte 'P' (proves the path is open, for carriers that do not say so themselves)
 *   'R' u64be r   RDP-like: from here on write r bytes per second in writes of 200–1,500 bytes, paced every 10 ms
 *                 (skipping while the socket is full), and drop whatever arrives; until the connection closes
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';

export const Command = { UPLOAD: 0x55, DOWNLOAD: 0x44, ECHO: 0x45, PING: 0x50, PACED: 0x52 } as const;
/** Command byte + u64be length. */
export const COMMAND_BYTES = 9;
export const UPLOAD_ACK = 0x4b;

const BLOCK = randomBytes(64 * 1024);
const ACK = Buffer.from([UPLOAD_ACK]);
const PONG = Buffer.from([Command.PING]);

function download(socket: Socket, total: number): void {
  let left = total;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, BLOCK.length);
      left -= n;
      if (!socket.write(n === BLOCK.length ? BLOCK : BLOCK.subarray(0, n))) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

/** Sizes of RDP-like writes: 200–1,500 bytes. */
export function rdpPacketBytes(): number {
  return 200 + Math.floor(Math.random() * 1301);
}

/** Writes `rate` bytes per second as RDP-like packets, by elapsed time (a late timer catches up), until closed. */
function paced(socket: Socket, rate: number): void {
  const started = process.hrtime.bigint();
  let sent = 0;
  const timer = setInterval(() => {
    const due = (Number(process.hrtime.bigint() - started) / 1e9) * rate;
    while (sent < due && socket.writableLength === 0) {
      const n = rdpPacketBytes();
      sent += n;
      socket.write(BLOCK.subarray(0, n));
    }
    // Never queue more than one tick behind: a full socket drops the backlog rather than bursting later.
    if (sent < due - rate / 10) sent = due;
  }, 10);
  socket.once('close', () => clearInterval(timer));
}

function serve(socket: Socket): void {
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  let header = Buffer.alloc(0);
  let uploadLeft = 0;
  let echo = false;
  let sink = false;
  socket.on('data', (chunk: Buffer) => {
    if (sink) return;
    if (echo) {
      if (!socket.write(chunk)) {
        socket.pause();
        socket.once('drain', () => socket.resume());
      }
      return;
    }
    let offset = 0;
    while (offset < chunk.length) {
      if (uploadLeft > 0) {
        const take = Math.min(uploadLeft, chunk.length - offset);
        uploadLeft -= take;
        offset += take;
        if (uploadLeft === 0) socket.write(ACK);
        continue;
      }
      if (chunk[offset] === Command.ECHO && header.length === 0) {
        echo = true;
        const rest = chunk.subarray(offset + 1);
        if (rest.length > 0) socket.write(rest);
        return;
      }
      if (chunk[offset] === Command.PING && header.length === 0) {
        socket.write(PONG);
        offset++;
        continue;
      }
      const need = COMMAND_BYTES - header.length;
      header = Buffer.concat([header, chunk.subarray(offset, offset + need)]);
      offset += Math.min(need, chunk.length - offset);
      if (header.length < COMMAND_BYTES) return;
      const command = header[0];
      const length = Number(header.readBigUInt64BE(1));
      header = Buffer.alloc(0);
      if (command === Command.UPLOAD) {
        uploadLeft = length;
        if (length === 0) socket.write(ACK);
      } else if (command === Command.DOWNLOAD) {
        download(socket, length);
      } else if (command === Command.PACED) {
        sink = true;
        paced(socket, length);
        return;
      } else {
        socket.destroy();
        return;
      }
    }
  });
}

function main(): void {
  if (!process.send) throw new Error('target-server runs as a child of the bench (it needs an IPC channel)');
  const server = createServer({ noDelay: true }, serve);
  server.maxConnections = 10_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  });
  // The bench went away (ended or crashed): so does the target.
  process.on('disconnect', () => process.exit(0));
}

if (process.argv[1]?.endsWith('target-server.ts')) main();
