// The Body mixin of Request and Response: a body is bytes (the common case, kept as bytes so the
// gateway path copies once) or a ReadableStream; `body` turns bytes into a stream on first use.
// Reading (text, json, arrayBuffer, bytes, blob, formData) consumes it once.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { Blob } from 'fetch-blob';
import { FormData, formDataToBlob } from 'formdata-polyfill/esm.min.js';
import { ReadableStream } from 'web-streams-polyfill';
import { isArrayBuffer, utf8Decode, utf8Encode, viewBytes } from './encoding.js';
import { boundaryOf, parseMultipart, parseUrlencoded } from './multipart.js';
import { URLSearchParams } from './url.js';

export interface BodyInit {
  bytes: Uint8Array | null;
  /** A string body not yet encoded: most answers are text, which then crosses to the host as a string (no UTF-8 loop here, no copy of bytes). */
  text?: string;
  stream: ReadableStream<Uint8Array> | null;
  type: string | null;
}

/** The fetch standard's "extract a body": the bytes or stream and the implied content type. */
export function extractBody(v: any): BodyInit {
  if (v === null || v === undefined) return { bytes: null, stream: null, type: null };
  if (typeof v === 'string') return { bytes: null, text: v, stream: null, type: 'text/plain;charset=UTF-8' };
  if (isArrayBuffer(v) || ArrayBuffer.isView(v)) return { bytes: viewBytes(v).slice(), stream: null, type: null };
  if (v instanceof URLSearchParams) return { bytes: utf8Encode(v.toString()), stream: null, type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  if (v instanceof FormData) {
    const blob = formDataToBlob(v, Blob);
    return { bytes: null, stream: blob.stream() as any, type: blob.type };
  }
  if (v instanceof Blob) return { bytes: null, stream: v.stream() as any, type: v.type || null };
  if (v instanceof ReadableStream) return { bytes: null, stream: v, type: null };
  // A stream from another implementation (e.g. a library's own polyfill): read it through its reader.
  if (typeof v.getReader === 'function') return { bytes: null, stream: (ReadableStream as any).from(v), type: null };
  return { bytes: null, text: String(v), stream: null, type: 'text/plain;charset=UTF-8' };
}

export function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.byteLength;
  }
  return out;
}

export async function readAll(stream: ReadableStream<any>): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const b = typeof value === 'string' ? utf8Encode(value) : viewBytes(value);
    chunks.push(b);
    total += b.byteLength;
  }
  return concat(chunks, total);
}

const bytesStream = (b: Uint8Array): ReadableStream<Uint8Array> =>
  new ReadableStream<Uint8Array>({
    type: 'bytes',
    start(c: any) {
      if (b.byteLength) c.enqueue(b.slice());
      c.close();
    },
  } as any);

export class Body {
  #bytes: Uint8Array | null = null;
  #text: string | null = null;
  #stream: ReadableStream<Uint8Array> | null = null;
  #used = false;
  /** Subclasses call this from their constructors (after validating the body is allowed). */
  protected _initBody(b: BodyInit): void {
    this.#bytes = b.bytes;
    this.#text = b.text ?? null;
    this.#stream = b.stream;
  }
  /** The held bytes, encoding a string body the first time they are needed. */
  #held(): Uint8Array | null {
    if (this.#text !== null) {
      this.#bytes = utf8Encode(this.#text);
      this.#text = null;
    }
    return this.#bytes;
  }
  #contentType(): string {
    return (this as any).headers?.get('content-type') ?? '';
  }
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#stream) return this.#stream;
    const held = this.#held();
    if (held === null) return null;
    this.#stream = this.#used ? bytesStream(new Uint8Array(0)) : bytesStream(held);
    this.#bytes = null;
    return this.#stream;
  }
  get bodyUsed(): boolean {
    // A stream read through its own reader counts as used once it is locked.
    return this.#used || !!this.#stream?.locked;
  }
  /** The body's bytes when they are held as bytes (not a stream), without consuming: the host's fast path. */
  _peekBytes(): Uint8Array | null | undefined {
    if (this.#stream) return undefined;
    return this.#held();
  }
  /** The body when it is an unread string not yet encoded (the host encodes it natively), else undefined. */
  _peekText(): string | undefined {
    return this.#text !== null && !this.#used ? this.#text : undefined;
  }
  _stream(): ReadableStream<Uint8Array> | null {
    return this.#stream;
  }
  /** A copy of the body for clone(): bytes are shared (immutable here), a stream is teed. */
  _cloneBody(): BodyInit {
    if (this.#used) throw new TypeError('Cannot clone: body has already been used');
    if (this.#stream) {
      if (this.#stream.locked) throw new TypeError('Cannot clone: body stream is locked');
      const [a, b] = this.#stream.tee();
      this.#stream = a;
      return { bytes: null, stream: b, type: null };
    }
    return this.#text !== null ? { bytes: null, text: this.#text, stream: null, type: null } : { bytes: this.#bytes, stream: null, type: null };
  }
  async #consume(): Promise<Uint8Array> {
    if (this.#used) throw new TypeError('Body has already been used');
    if (this.#stream?.locked) throw new TypeError('Body stream is locked');
    this.#used = true;
    if (this.#stream) return readAll(this.#stream);
    return this.#held() ?? new Uint8Array(0);
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = await this.#consume();
    return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? (b.buffer as ArrayBuffer) : (b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
  }
  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer());
  }
  async text(): Promise<string> {
    const t = this.#text;
    if (t !== null && !this.#used) {
      this.#used = true;
      this.#text = null;
      return (t as any).toWellFormed(); // what a UTF-8 round trip gives: lone surrogates become U+FFFD
    }
    return utf8Decode(await this.#consume());
  }
  async json(): Promise<any> {
    return JSON.parse(await this.text());
  }
  async blob(): Promise<Blob> {
    const b = await this.#consume();
    return new Blob([b], { type: this.#contentType() });
  }
  async formData(): Promise<FormData> {
    const type = this.#contentType();
    if (/^multipart\/form-data/i.test(type)) {
      const boundary = boundaryOf(type);
      if (!boundary) throw new TypeError('Failed to parse body as FormData: no boundary in the content type');
      return parseMultipart(await this.#consume(), boundary);
    }
    if (/^application\/x-www-form-urlencoded/i.test(type)) return parseUrlencoded(await this.text());
    throw new TypeError('Failed to parse body as FormData: content type is not multipart/form-data or application/x-www-form-urlencoded');
  }
}
