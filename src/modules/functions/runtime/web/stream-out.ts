// A response body that is a ReadableStream leaves the isolate chunk by chunk: dispatch hands out
// what is ready at once and a stream id, and the host pulls the rest with __llmos_read (one chunk
// per pull, so the function's stream sees the client's backpressure) or cancels it (client gone).
/* eslint-disable @typescript-eslint/no-explicit-any */
import { concat } from './body.js';
import { utf8Encode, viewBytes } from './encoding.js';

interface Open {
  reader: any;
  /** A read started by a pull that returned before it settled: the next pull takes it. */
  pending?: Promise<any>;
}

const open = new Map<number, Open>();
let nextId = 1;
/** What dispatch sends at once before handing the rest to pulls. */
const FIRST_BYTES = 1 << 20;

const toBytes = (value: unknown): Uint8Array => (typeof value === 'string' ? utf8Encode(value) : viewBytes(value));
const buf = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** Settles after a few microtask turns: long enough for chunks already queued in the stream to be read. */
function soon(): Promise<typeof SOON> {
  let p: Promise<unknown> = Promise.resolve();
  for (let i = 0; i < 8; i++) p = p.then(() => undefined);
  return p.then(() => SOON);
}
const SOON = Symbol('soon');

/**
 * Reads what the stream has ready now (up to FIRST_BYTES): [bytes, id], id 0 when the stream ended
 * meanwhile (the whole body is in bytes), else the id the host pulls the rest by.
 */
export async function takeReady(stream: any): Promise<[Uint8Array | null, number]> {
  const o: Open = { reader: stream.getReader() };
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < FIRST_BYTES) {
    const read = o.reader.read();
    const r = await Promise.race([read, soon()]);
    if (r === SOON) {
      o.pending = read;
      break;
    }
    if (r.done) return [total ? concat(chunks, total) : null, 0];
    const b = toBytes(r.value);
    chunks.push(b);
    total += b.byteLength;
  }
  const id = nextId++;
  open.set(id, o);
  return [total ? concat(chunks, total) : null, id];
}

/** The next non-empty chunk of stream `id`, or null at its end. */
export async function readChunk(id: number): Promise<ArrayBuffer | null> {
  const o = open.get(id);
  if (!o) return null;
  for (;;) {
    const read = o.pending ?? o.reader.read();
    o.pending = undefined;
    let r: any;
    try {
      r = await read;
    } catch (e) {
      open.delete(id);
      throw e;
    }
    if (r.done) {
      open.delete(id);
      return null;
    }
    const b = toBytes(r.value);
    if (b.byteLength) return buf(b);
  }
}

/** The client went away: the stream's cancel() runs with the reason. */
export function cancelChunks(id: number, reason: string): void {
  const o = open.get(id);
  open.delete(id);
  o?.pending?.catch(() => undefined);
  o?.reader.cancel(reason).catch(() => undefined);
}
