/** Client-side RFC 6455 frames for tests of the gateway's frame parser. */

/** RFC 6455 §5.3, one byte at a time from key byte `phase`: the reference the word-wise version must match. */
export function unmaskReference(data: Buffer, mask: Buffer, phase = 0): Buffer {
  const out = Buffer.from(data);
  for (let i = 0; i < out.length; i++) out[i] ^= mask[(phase + i) & 3];
  return out;
}

/** One masked client frame (FIN set unless `fin` is false). */
export function maskedFrame(opcode: number, payload: Buffer, mask: Buffer, fin = true): Buffer {
  const extended = payload.length < 126 ? 0 : payload.length < 0x10000 ? 2 : 8;
  const header = Buffer.alloc(2 + extended + 4);
  header[0] = (fin ? 0x80 : 0) | opcode;
  if (extended === 0) header[1] = 0x80 | payload.length;
  else if (extended === 2) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(payload.length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  mask.copy(header, 2 + extended);
  return Buffer.concat([header, unmaskReference(payload, mask)]);
}
