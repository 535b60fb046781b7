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
