/* global Blob, ByteLengthQueuingStrategy, CompressionStream, CountQueuingStrategy, DecompressionStream, ReadableStream, TextDecoder, TextEncoder, TransformStream, WritableStream -- the web platform of the runtime under test */
// From web-platform-tests streams/ (readable-streams/general, tee, piping/, transform-streams/,
// writable-streams/) and compression/ (compression-stream, decompression-*).
import { harness } from './harness.js';

const readAll = async (s) => {
  const r = s.getReader();
  const out = [];
  for (;;) {
    const { done, value } = await r.read();
    if (done) return out;
    out.push(value);
  }
};
const bytesOf = async (s) => {
  const parts = await readAll(s);
  const n = parts.reduce((a, p) => a + p.byteLength, 0);
  const o = new Uint8Array(n);
  let i = 0;
  for (const p of parts) {
    o.set(p, i);
    i += p.byteLength;
  }
  return o;
};

export default {
  async fetch() {
    const { t, eq, ok, throws, rejects, result } = harness();
    await t('readable-streams general enqueue read close', async () => {
      const s = new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); c.close(); } });
      eq((await readAll(s)).join(), '1,2');
    });
    await t('readable-streams pull is called on demand', async () => {
      let n = 0;
      const s = new ReadableStream({ pull(c) { n++; c.enqueue(n); if (n === 3) c.close(); } }, { highWaterMark: 0 });
      eq((await readAll(s)).join(), '1,2,3');
    });
    await t('readable-streams locked and releaseLock', () => {
      const s = new ReadableStream();
      const r = s.getReader();
      eq(s.locked, true);
      throws(() => s.getReader(), 'TypeError');
      r.releaseLock();
      eq(s.locked, false);
    });
    await t('readable-streams cancel reason reaches the source', async () => {
      let why;
      const s = new ReadableStream({ cancel(r) { why = r; } });
      await s.cancel('stop');
      eq(why, 'stop');
    });
    await t('readable-streams error rejects read', async () => {
      const s = new ReadableStream({ start(c) { c.error(new TypeError('bad')); } });
      await rejects(s.getReader().read(), 'TypeError');
    });
    await t('readable-streams async iteration', async () => {
      const s = new ReadableStream({ start(c) { c.enqueue('a'); c.enqueue('b'); c.close(); } });
      const seen = [];
      for await (const x of s) seen.push(x);
      eq(seen.join(''), 'ab');
    });
    await t('readable-streams from an iterable', async () => {
      ok(typeof ReadableStream.from === 'function');
      eq((await readAll(ReadableStream.from(['x', 'y']))).join(''), 'xy');
    });
    await t('tee gives both branches every chunk', async () => {
      const [a, b] = new ReadableStream({ start(c) { c.enqueue('1'); c.enqueue('2'); c.close(); } }).tee();
      eq((await readAll(a)).join(''), '12');
      eq((await readAll(b)).join(''), '12');
    });
    await t('byte stream with a BYOB reader', async () => {
      const s = new ReadableStream({ type: 'bytes', start(c) { c.enqueue(new Uint8Array([1, 2, 3])); c.close(); } });
      const r = s.getReader({ mode: 'byob' });
      const { value } = await r.read(new Uint8Array(8));
      eq(value.byteLength, 3);
    });
    await t('transform-streams uppercase through pipeThrough', async () => {
      const up = new TransformStream({ transform(chunk, c) { c.enqueue(chunk.toUpperCase()); } });
      const s = new ReadableStream({ start(c) { c.enqueue('ab'); c.enqueue('c'); c.close(); } }).pipeThrough(up);
      eq((await readAll(s)).join(''), 'ABC');
    });
    await t('transform-streams flush runs at the end', async () => {
      const ts = new TransformStream({ flush(c) { c.enqueue('end'); } });
      const w = ts.writable.getWriter();
      w.write('x');
      w.close();
      eq((await readAll(ts.readable)).join(), 'x,end');
    });
    await t('piping pipeTo a WritableStream', async () => {
      const got = [];
      const ws = new WritableStream({ write(c) { got.push(c); } });
      await new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); c.close(); } }).pipeTo(ws);
      eq(got.join(), '1,2');
    });
    await t('writable-streams backpressure: desiredSize and ready', async () => {
      const ws = new WritableStream({}, new CountQueuingStrategy({ highWaterMark: 2 }));
      const w = ws.getWriter();
      eq(w.desiredSize, 2);
      await w.ready;
      await w.write('a');
      await w.close();
    });
    await t('writable-streams abort rejects later writes', async () => {
      const ws = new WritableStream();
      const w = ws.getWriter();
      await w.abort('no');
      await rejects(w.write('x'));
    });
    await t('queuing strategies size', () => {
      eq(new ByteLengthQueuingStrategy({ highWaterMark: 4 }).size(new Uint8Array(3)), 3);
      eq(new CountQueuingStrategy({ highWaterMark: 1 }).size(), 1);
    });
    for (const format of ['gzip', 'deflate', 'deflate-raw']) {
      await t(`compression-stream ${format} round trip`, async () => {
        const input = new TextEncoder().encode('hello hello hello hello'.repeat(20));
        const z = await bytesOf(new Blob([input]).stream().pipeThrough(new CompressionStream(format)));
        ok(z.byteLength < input.byteLength, 'smaller');
        const back = await bytesOf(new Blob([z]).stream().pipeThrough(new DecompressionStream(format)));
        eq(new TextDecoder().decode(back), 'hello hello hello hello'.repeat(20));
      });
    }
    await t('compression-stream gzip header', async () => {
      const z = await bytesOf(new Blob(['x']).stream().pipeThrough(new CompressionStream('gzip')));
      eq(z[0], 0x1f);
      eq(z[1], 0x8b);
    });
    await t('compression-bad-chunks unknown format is a TypeError', () => throws(() => new CompressionStream('brotli-no'), 'TypeError'));
    await t('decompression-corrupt-input rejects', async () => rejects(bytesOf(new Blob([new Uint8Array([1, 2, 3, 4])]).stream().pipeThrough(new DecompressionStream('gzip')))));
    return result();
  },
};
