// Streams that web-streams-polyfill does not ship: TextEncoderStream, TextDecoderStream, and
// CompressionStream/DecompressionStream (chunk by chunk through a zlib stream on the host).
/* eslint-disable @typescript-eslint/no-explicit-any */
import { TransformStream } from 'web-streams-polyfill';
import { TextDecoder, utf8Encode, viewBytes } from './encoding.js';
import { host } from './host.js';

export class TextEncoderStream extends TransformStream<string, Uint8Array> {
  constructor() {
    let pendingHigh = '';
    super({
      transform(chunk, c) {
        let s = pendingHigh + String(chunk);
        pendingHigh = '';
        const last = s.charCodeAt(s.length - 1);
        // A lead surrogate at the end of a chunk pairs with the next chunk's first unit.
        if (last >= 0xd800 && last <= 0xdbff) {
          pendingHigh = s.slice(-1);
          s = s.slice(0, -1);
        }
        if (s) c.enqueue(utf8Encode(s));
      },
      flush(c) {
        if (pendingHigh) c.enqueue(utf8Encode('\ufffd'));
      },
    });
  }
  get encoding(): string { return 'utf-8'; }
}

export class TextDecoderStream extends TransformStream<any, string> {
  readonly #d: TextDecoder;
  constructor(label = 'utf-8', options: any = {}) {
    const d = new TextDecoder(label, options);
    super({
      transform(chunk, c) {
        const s = d.decode(viewBytes(chunk), { stream: true });
        if (s) c.enqueue(s);
      },
      flush(c) {
        const s = d.decode();
        if (s) c.enqueue(s);
      },
    });
    this.#d = d;
  }
  get encoding(): string { return this.#d.encoding; }
  get fatal(): boolean { return this.#d.fatal; }
  get ignoreBOM(): boolean { return this.#d.ignoreBOM; }
}

const formats = new Set(['gzip', 'deflate', 'deflate-raw']);
/** Chunk by chunk through a host zlib stream: each chunk's output is enqueued as zlib gives it. */
function zlibStream(dir: 'c' | 'd', format: unknown): Transformer<any, Uint8Array> {
  const f = String(format);
  if (!formats.has(f)) throw new TypeError(`Unsupported compression format: '${f}'`);
  const what = dir === 'c' ? 'compression' : 'decompression';
  let id = 0;
  const push = async (c: any, data: ArrayBuffer | null) => {
    if (!id) {
      const opened = host.zlibOpen(`${dir}:${f}`);
      if (typeof opened === 'string') throw new TypeError(`${what} failed: ${opened}`);
      id = opened;
    }
    const [err, out] = await host.zlibPush(id, data);
    if (err) {
      host.zlibClose(id);
      throw new TypeError(`${what} failed: ${err}`);
    }
    if (out && out.byteLength) c.enqueue(new Uint8Array(out));
  };
  return {
    async transform(chunk, c) {
      const b = viewBytes(chunk);
      if (b.byteLength) await push(c, b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
    },
    async flush(c) {
      await push(c, null);
      host.zlibClose(id);
    },
    cancel() {
      if (id) host.zlibClose(id);
    },
  } as Transformer<any, Uint8Array>;
}
type Transformer<I, O> = ConstructorParameters<typeof TransformStream<I, O>>[0] & object;

export class CompressionStream extends TransformStream<any, Uint8Array> {
  constructor(format: string) {
    super(zlibStream('c', format));
  }
}
export class DecompressionStream extends TransformStream<any, Uint8Array> {
  constructor(format: string) {
    super(zlibStream('d', format));
  }
}
