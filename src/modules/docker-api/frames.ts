// Docker's multiplexed stream format (attach, logs and exec without a TTY): each frame is an
// 8-byte header [stream, 0, 0, 0, size as big-endian uint32] and then size bytes.
export const STDOUT = 1;
export const STDERR = 2;

export function frame(stream: typeof STDOUT | typeof STDERR, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

/** Splits a multiplexed byte stream back into frames; returns the frames and the incomplete rest. */
export function parseFrames(buf: Buffer): { frames: Array<{ stream: number; data: Buffer }>; rest: Buffer } {
  const frames: Array<{ stream: number; data: Buffer }> = [];
  let off = 0;
  while (buf.length - off >= 8) {
    const size = buf.readUInt32BE(off + 4);
    if (buf.length - off - 8 < size) break;
    frames.push({ stream: buf[off]!, data: buf.subarray(off + 8, off + 8 + size) });
    off += 8 + size;
  }
  return { frames, rest: buf.subarray(off) };
}
