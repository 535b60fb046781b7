// Layer decompression chosen by the stream's magic bytes (gzip, zstd, or plain tar), so a
// mislabelled media type or a docker-save layer of either kind still unpacks. gzip runs in zlib's
// thread pool; zstd uses fzstd (pure JS: Node 20's zlib has no zstd).
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { InvalidArgument } from '../../kernel/errors.js';

export type Compression = 'gzip' | 'zstd' | 'none';

export function sniff(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/** A transform from compressed layer bytes to tar bytes. */
export function createDecompressor(kind: Compression): Transform {
  if (kind === 'gzip') {
    const gz = createGunzip({ chunkSize: 256 * 1024 });
    return gz;
  }
  if (kind === 'zstd') {
    // The decoder writes into t (declared next); it is called only once chunks flow.
    const z = new Decompress((data) => {
      t.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    });
    const t = new Transform({
      transform(chunk: Buffer, _e, cb: TransformCallback) {
        try {
          z.push(chunk);
          cb();
        } catch (e) {
          cb(new InvalidArgument(`layer is not valid zstd: ${(e as Error).message}`));
        }
      },
      flush(cb: TransformCallback) {
        try {
          z.push(new Uint8Array(0), true);
          cb();
        } catch (e) {
          cb(new InvalidArgument(`layer is not valid zstd: ${(e as Error).message}`));
        }
      },
    });
    return t;
  }
  return new PassThrough();
}

/** Reads the first bytes of a stream to choose its decompressor, then replays them. */
export async function withSniffedCompression(source: AsyncIterable<Buffer>): Promise<{ kind: Compression; stream: AsyncIterable<Buffer> }> {
  const it = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let len = 0;
  let done = false;
  while (len < 4) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    head.push(r.value);
    len += r.value.length;
  }
  const kind = sniff(Buffer.concat(head));
  async function* replay() {
    try {
      yield* head;
      if (done) return;
      for (;;) {
        const r = await it.next();
        if (r.done) {
          done = true;
          return;
        }
        yield r.value;
      }
    } finally {
      // Stopped early (an error downstream): let the source close its file or socket.
      if (!done) await it.return?.();
    }
  }
  return { kind, stream: replay() };
}
