// Streams that web-streams-polyfill does not ship: TextEncoderStream, TextDecoderStream, and
// CompressionStream/DecompressionStream (the bytes go to the host's zlib, one shot, at the end).
/* eslint-disable @typescript-eslint/no-explicit-any */
import { TransformStream } from 'web-streams-polyfill';
import { concat } from './body.js';
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
function zlibStream(dir: 'c' | 'd', format: unknown): Transformer<any, Uint8Array> {
  const f = String(format);
  if (!formats.has(f)) throw new TypeError(`Unsupported compression format: '${f}'`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  return {
    transform(chunk) {
      const b = viewBytes(chunk).slice();
      chunks.push(b);
      total += b.byteLength;
    },
    async flush(c) {
      const all = concat(chunks, total);
      const [err, out] = await host.zlib(`${dir}:${f}`, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer);
      if (err) throw new TypeError(`${dir === 'c' ? 'compression' : 'decompression'} failed: ${err}`);
      if (out && out.byteLength) c.enqueue(new Uint8Array(out));
    },
  };
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
