// The frames of the API's stdio upgrade (attach, exec-stdio; api/routes/stdio.ts): an 8-byte
// header [type, 0, 0, 0, length as big-endian uint32] and its bytes. Declared once here for the
// daemon's both ends (the API serving them, the Docker socket relaying a node's session).
//   client -> daemon: 0 stdin bytes, 3 end of stdin, 4 resize {"rows","cols"}
//   daemon -> client: 1 stdout, 2 stderr, 3 the end {"exitCode"?, "detached"?, "error"?}
export const StdioFrame = { stdin: 0, stdout: 1, stderr: 2, end: 3, resize: 4 } as const;

export function frameOf(type: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}

/** Splits incoming bytes into frames; keeps the incomplete rest. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  push(d: Buffer): Array<{ type: number; data: Buffer }> {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    const out: Array<{ type: number; data: Buffer }> = [];
    while (this.buf.length >= 8) {
      const n = this.buf.readUInt32BE(4);
      // Contracts import nothing: a plain error, and both ends drop the connection on it.
      if (n > 1 << 20) throw new RangeError('frame larger than 1 MiB');
      if (this.buf.length < 8 + n) break;
      out.push({ type: this.buf[0]!, data: this.buf.subarray(8, 8 + n) });
      this.buf = this.buf.subarray(8 + n);
    }
    return out;
  }
}
