// The host half of CompressionStream/DecompressionStream: one-shot zlib on the libuv pool (so the
// daemon's event loop stays free), with decompressed output capped (a bomb fails, not the host).
import { promisify } from 'node:util';
import zlib from 'node:zlib';

/** Largest decompressed output one DecompressionStream may produce. */
export const MAX_INFLATE_BYTES = 64 * 2 ** 20;

const fns = {
  'c:gzip': promisify(zlib.gzip),
  'c:deflate': promisify(zlib.deflate),
  'c:deflate-raw': promisify(zlib.deflateRaw),
  'd:gzip': promisify(zlib.gunzip),
  'd:deflate': promisify(zlib.inflate),
  'd:deflate-raw': promisify(zlib.inflateRaw),
} as const;

export async function zlibHost(op: string, data: ArrayBuffer): Promise<[string, ArrayBuffer | null]> {
  const fn = Object.hasOwn(fns, op) ? fns[op as keyof typeof fns] : undefined;
  if (!fn) return [`unsupported compression format ${op.slice(2)}`, null];
  try {
    const out: Buffer = await fn(Buffer.from(data), { maxOutputLength: MAX_INFLATE_BYTES });
    return ['', out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer];
  } catch (e) {
    return [(e as Error).message, null];
  }
}

/** zlib streams one isolate may hold open at once. */
export const MAX_ZLIB_STREAMS = 64;

const makers: Record<string, () => zlib.Gzip | zlib.Gunzip | zlib.Deflate | zlib.Inflate | zlib.DeflateRaw | zlib.InflateRaw> = {
  'c:gzip': () => zlib.createGzip(),
  'c:deflate': () => zlib.createDeflate(),
  'c:deflate-raw': () => zlib.createDeflateRaw(),
  'd:gzip': () => zlib.createGunzip(),
  'd:deflate': () => zlib.createInflate(),
  'd:deflate-raw': () => zlib.createInflateRaw(),
};

interface Open {
  z: ReturnType<(typeof makers)[string]>;
  out: Buffer[];
  total: number;
  err?: string;
  ended: Promise<void>;
  /** Settles when the stream errors or closes (a write's callback may then never come). */
  stopped: Promise<void>;
}

const buf = (chunks: Buffer[]): ArrayBuffer | null => {
  if (!chunks.length) return null;
  const b = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

/**
 * Incremental CompressionStream/DecompressionStream for one isolate: a zlib stream per handle on
 * the libuv pool; each pushed chunk answers with what zlib produced for it (no flush forced, so
 * the output is what one-shot zlib gives). Decompressed output past MAX_INFLATE_BYTES fails the
 * stream. closeAll() runs when the isolate goes.
 */
export function zlibStreams() {
  const open = new Map<number, Open>();
  let next = 1;
  const close = (id: number) => {
    open.get(id)?.z.destroy();
    open.delete(id);
  };
  return {
    open(op: string): number | string {
      const make = Object.hasOwn(makers, op) ? makers[op] : undefined;
      if (!make) return `unsupported compression format ${op.slice(2)}`;
      if (open.size >= MAX_ZLIB_STREAMS) return `more than ${MAX_ZLIB_STREAMS} compression streams open at once`;
      const z = make();
      const o: Open = { z, out: [], total: 0, ended: new Promise((r) => z.once('end', r)), stopped: new Promise((r) => (z.once('error', () => r()), z.once('close', () => r()))) };
      const inflate = op.startsWith('d:');
      z.on('data', (b: Buffer) => {
        o.total += b.length;
        if (inflate && o.total > MAX_INFLATE_BYTES) {
          o.err = `Cannot create a Buffer larger than ${MAX_INFLATE_BYTES} bytes`;
          z.destroy();
        } else o.out.push(b);
      });
      z.on('error', (e: Error) => (o.err ??= e.message));
      z.on('close', () => (o.err ??= o.z.writableEnded ? undefined : 'stream closed'));
      const id = next++;
      open.set(id, o);
      return id;
    },
    async push(id: number, data: ArrayBuffer | null): Promise<[string, ArrayBuffer | null]> {
      const o = open.get(id);
      if (!o) return ['stream closed', null];
      if (!o.err) {
        if (data) await Promise.race([new Promise<void>((r) => o.z.write(Buffer.from(data), () => r())), o.stopped]);
        else await Promise.race([(o.z.end(), o.ended), o.stopped]);
      }
      if (o.err) return [o.err, null];
      return ['', buf(o.out.splice(0))];
    },
    close,
    closeAll(): void {
      for (const id of [...open.keys()]) close(id);
    },
  };
}
