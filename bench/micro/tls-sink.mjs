// Child of bench/micro/transport.ts: a TLS server that reads and drops everything. Reports its port over IPC.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:tls';

const [cert, key] = process.argv.slice(2);
const server = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (socket) => {
  socket.on('error', () => undefined);
  socket.resume();
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
process.on('disconnect', () => process.exit(0));
