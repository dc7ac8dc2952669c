// Child of bench/micro/transport.ts: connects to the given TLS port and writes `count` masked binary frames of
// `size` bytes, as a WebSocket client does. 64 frames with random keys are built once and cycled, so the
// client's own masking is not what the parent measures.
import { randomFillSync } from 'node:crypto';
import { connect } from 'node:tls';

process.on('message', ({ port, size, count }) => {
  const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
    const frames = [];
    for (let f = 0; f < 64; f++) {
      const lengthBytes = size < 126 ? 0 : size < 65536 ? 2 : 8;
      const frame = randomFillSync(Buffer.alloc(2 + lengthBytes + 4 + size));
      frame[0] = 0x82;
      if (lengthBytes === 0) frame[1] = 0x80 | size;
      else if (lengthBytes === 2) {
        frame[1] = 0x80 | 126;
        frame.writeUInt16BE(size, 2);
      } else {
        frame[1] = 0x80 | 127;
        frame.writeBigUInt64BE(BigInt(size), 2);
      }
      frames.push(frame);
    }
    let sent = 0;
    const pump = () => {
      while (sent < count) {
        if (!socket.write(frames[sent++ % frames.length])) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
  socket.on('error', () => undefined);
});
process.on('disconnect', () => process.exit(0));
