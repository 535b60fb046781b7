/* global CompressionStream, DecompressionStream, Response, TextDecoder, TextEncoder, WebSocketPair, MessageEvent, CloseEvent, crypto -- the web platform of the runtime under test */
// Workers' WebSocketPair surface (developers.cloudflare.com/workers/runtime-apis/websockets) and
// incremental CompressionStream/DecompressionStream, from web-platform-tests compression/
// (decompression-split-chunk, compression-large-flush-output): output comes as input arrives.
import { harness } from './harness.js';

const before = (p, ms, what) => Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms))]);

async function compress(format, bytes) {
  const cs = new CompressionStream(format);
  const w = cs.writable.getWriter();
  void w.write(bytes);
  void w.close();
  const parts = [];
  for await (const c of cs.readable) parts.push(...c);
  return new Uint8Array(parts);
}

const text = (n) => new TextEncoder().encode(Array.from({ length: n }, (_, i) => `line ${i} ${i * 7919 % 1000}\n`).join(''));

export default {
  async fetch() {
    const { t, eq, ok, throws, result } = harness();
    await t('WebSocketPair gives two WebSockets as 0 and 1', () => {
      const pair = new WebSocketPair();
      const [a, b] = Object.values(pair);
      ok(a && b && a !== b, 'two ends');
      eq(typeof a.accept, 'function');
      eq(typeof b.send, 'function');
      eq(Object.keys(pair).join(','), '0,1');
    });
    await t('send before accept() throws', () => {
      const [, server] = Object.values(new WebSocketPair());
      throws(() => server.send('x'));
    });
    await t('a 101 response needs a webSocket', () => throws(() => new Response(null, { status: 101 }), 'RangeError'));
    await t('a 101 response carries the client end', () => {
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      const r = new Response(null, { status: 101, webSocket: client });
      eq(r.status, 101);
      ok(r.webSocket === client, 'same socket');
    });
    await t('an ordinary response has webSocket null', () => eq(new Response('x').webSocket, null));
    await t('close() with a reserved code throws', () => {
      const [, server] = Object.values(new WebSocketPair());
      server.accept();
      throws(() => server.close(1005));
    });
    await t('MessageEvent and CloseEvent carry data, code and reason', () => {
      eq(new MessageEvent('message', { data: 'd' }).data, 'd');
      const c = new CloseEvent('close', { code: 4001, reason: 'r', wasClean: true });
      eq(`${c.code} ${c.reason} ${c.wasClean}`, '4001 r true');
    });
    for (const format of ['gzip', 'deflate', 'deflate-raw']) {
      await t(`decompression-split-chunk ${format}: output before the input ended`, async () => {
        const plain = text(20000);
        const z = await compress(format, plain);
        const ds = new DecompressionStream(format);
        const w = ds.writable.getWriter();
        const r = ds.readable.getReader();
        void w.write(z.slice(0, z.length >> 1));
        const { value } = await before(r.read(), 3000, 'decompressed output');
        ok(value.byteLength > 0, 'some output');
        eq(new TextDecoder().decode(value.slice(0, 7)), 'line 0 ');
        void w.write(z.slice(z.length >> 1));
        void w.close();
        let n = value.byteLength;
        for (;;) {
          const x = await r.read();
          if (x.done) break;
          n += x.value.byteLength;
        }
        eq(n, plain.byteLength);
      });
      await t(`compression-large-flush-output ${format}: output before close`, async () => {
        const cs = new CompressionStream(format);
        const w = cs.writable.getWriter();
        const r = cs.readable.getReader();
        for (let i = 0; i < 16; i++) void w.write(crypto.getRandomValues(new Uint8Array(65536)));
        const { value } = await before(r.read(), 3000, 'compressed output');
        ok(value.byteLength > 0, 'some output');
        void w.close();
        for (;;) if ((await r.read()).done) break;
      });
      await t(`decompression one byte at a time ${format}`, async () => {
        const plain = text(300);
        const z = await compress(format, plain);
        const ds = new DecompressionStream(format);
        const w = ds.writable.getWriter();
        void (async () => {
          for (const b of z) await w.write(new Uint8Array([b]));
          await w.close();
        })();
        const parts = [];
        for await (const c of ds.readable) parts.push(...c);
        eq(new TextDecoder().decode(new Uint8Array(parts)), new TextDecoder().decode(plain));
      });
    }
    await t('decompression-corrupt-input mid-stream errors the readable', async () => {
      const z = await compress('gzip', text(2000));
      z[z.length >> 1] ^= 0xff;
      z[(z.length >> 1) + 1] ^= 0xff;
      const ds = new DecompressionStream('gzip');
      const w = ds.writable.getWriter();
      void w.write(z).catch(() => undefined);
      void w.close().catch(() => undefined);
      let failed = false;
      try {
        for await (const c of ds.readable) void c;
      } catch {
        failed = true;
      }
      ok(failed, 'errored');
    });
    return result();
  },
};
