/* eslint-disable @typescript-eslint/no-explicit-any -- the in-isolate globals are untyped */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dispatchOut, preludeGlobals, testHost } from './prelude-test-host.test-util.js';

const globalsList = ['TextEncoder', 'TextDecoder', 'URL', 'URLSearchParams', 'URLPattern', 'Headers', 'Request', 'Response', 'console', 'fetch', 'crypto', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'structuredClone', 'atob', 'btoa', 'self',
  'ReadableStream', 'WritableStream', 'TransformStream', 'TextEncoderStream', 'TextDecoderStream', 'CompressionStream', 'DecompressionStream', 'Blob', 'File', 'FormData', 'Event', 'EventTarget', 'AbortController', 'AbortSignal', 'DOMException', 'CryptoKey', 'performance', 'navigator', 'reportError'];

test('the bundled prelude in a bare context defines the globals (not enumerable) and the entry points', async () => {
  const g = preludeGlobals();
  for (const k of globalsList) assert.ok(k in g, k);
  assert.equal(Object.keys(g).includes('Response'), false, 'not enumerable');
  assert.equal(g.btoa('hi') + g.atob('aGk='), 'aGk=hi');
  const bind = g.__llmos_bind({ default: { fetch: async (r: any, env: any) => new g.Response(env.A + ' ' + new g.URL(r.url).pathname + ' ' + (await r.text())) } }, { A: 'env' });
  assert.equal(bind, '');
  const [status, , headers, body] = await dispatchOut(g, 'POST', 'http://h/p', [['x', 'y']], new g.TextEncoder().encode('b'));
  assert.equal(status, 200);
  assert.equal(JSON.stringify(headers), JSON.stringify([['content-type', 'text/plain;charset=UTF-8']]));
  assert.equal(Buffer.from(body!).toString(), 'env /p b');
});

test('bind refuses a module without a fetch handler; warm-up leaves no stand-in behind', async () => {
  const g = preludeGlobals();
  g.__llmos_warmup();
  assert.equal(g.__llmos_warmup, undefined);
  assert.match(g.__llmos_bind({}, {}), /no default export with a fetch/);
  await assert.rejects(dispatchOut(g, 'GET', 'http://h/', [], null), /no default export/);
  // A function bound right after the warm-up never gets one of its stand-in requests.
  const h = preludeGlobals();
  const seen: string[] = [];
  h.__llmos_warmup();
  h.__llmos_bind({ fetch: (r: any) => (seen.push(r.url), new h.Response('real')) }, {});
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(seen, []);
});

test('a streamed Response is read out whole; ctx.waitUntil work is awaited by __llmos_settled', async () => {
  const g = preludeGlobals();
  let done = false;
  g.__llmos_bind({ fetch: (_r: any, _e: any, ctx: any) => {
    ctx.waitUntil(new Promise<void>((r) => g.setTimeout(() => ((done = true), r()), 20)));
    ctx.passThroughOnException();
    const { readable, writable } = new g.TransformStream();
    const w = writable.getWriter();
    void w.write(new g.TextEncoder().encode('a')).then(() => w.write(new g.TextEncoder().encode('b'))).then(() => w.close());
    return new g.Response(readable);
  } }, {});
  const [, , , body] = await dispatchOut(g, 'GET', 'http://h/', [], null);
  assert.equal(Buffer.from(body!).toString(), 'ab');
  assert.equal(done, false);
  assert.equal(await g.__llmos_settled(), 1);
  assert.equal(done, true);
});

test('cron: scheduled() runs when defined, else the cron posts to fetch; the gateway cannot carry the method', async () => {
  const g = preludeGlobals();
  const seen: string[] = [];
  g.__llmos_bind({ fetch: () => new g.Response('f'), scheduled: (ev: any) => void seen.push(ev.cron) }, {});
  const [status] = await dispatchOut(g, 'LLMOS-SCHEDULED', 'http://h/', [['x-llmos-schedule', '* * * * *']], null);
  assert.equal(status, 204);
  assert.deepEqual(seen, ['* * * * *']);
  const h = preludeGlobals();
  h.__llmos_bind({ fetch: (r: any) => new h.Response(r.method) }, {});
  const [, , , body] = await dispatchOut(h, 'LLMOS-SCHEDULED', 'http://h/', [], null);
  assert.equal(Buffer.from(body!).toString(), 'POST');
});

test('console formats values and sends them to the host log; trace is debug', () => {
  const logs: Array<[string, string]> = [];
  const g = preludeGlobals(testHost(logs));
  g.console.log('a', 1, { b: [2] }, new g.Headers({ x: 'y' }), new g.URL('http://h/'), 10n, undefined);
  g.console.trace(new g.Error('boom'));
  assert.deepEqual(logs[0], ['log', 'a 1 {"b":[2]} Headers {"x":"y"} URL http://h/ 10n undefined']);
  assert.equal(logs[1]![0], 'debug');
  assert.match(logs[1]![1], /^Error: boom/);
});

test('fetch goes through the host and answers a Response; timers fire, and cleared ones do not', async () => {
  const g = preludeGlobals();
  const res = await g.fetch('http://127.0.0.1:1/x', { method: 'PUT', body: 'b' });
  assert.equal(res.url, 'http://127.0.0.1:1/x');
  assert.equal(res.headers.get('x-method'), 'PUT');
  assert.equal(await res.text(), 'fetched');
  const fired: string[] = [];
  const cleared = g.setTimeout(() => fired.push('cleared'), 5);
  g.clearTimeout(cleared);
  await new Promise<void>((resolve) => g.setTimeout((v: string) => (fired.push(v), resolve()), 10, 'later'));
  let n = 0;
  await new Promise<void>((resolve) => {
    const id = g.setInterval(() => {
      if (++n < 3) return;
      g.clearTimeout(id);
      resolve();
    }, 1);
  });
  assert.deepEqual(fired, ['later']);
  assert.equal(n, 3);
  assert.deepEqual([...g.crypto.getRandomValues(new g.Uint8Array(4))], [7, 7, 7, 7]);
  assert.throws(() => g.crypto.getRandomValues(new g.Uint8Array(65537)), (e: any) => e.name === 'QuotaExceededError' && e.code === 22);
  assert.match(g.crypto.randomUUID(), /^[0-9a-f-]{36}$/);
});

test('a request the gateway received keeps any method Node accepts (TRACE), with a body too', async () => {
  // Found by test/functions/gateway.fuzz.test.ts: TRACE through the gateway was a 500.
  const g = preludeGlobals();
  g.__llmos_bind({ fetch: async (r: any) => new g.Response(r.method + ' ' + (await r.text())) }, {});
  const [status, , , body] = await dispatchOut(g, 'TRACE', 'http://h/?a=%zz&b', [], new Uint8Array([0x61]));
  assert.equal(status, 200);
  assert.equal(Buffer.from(body!).toString(), 'TRACE a');
});

test('answers cross as a string when their body is text or none, else by take(); packed request headers arrive whole', async () => {
  const g = preludeGlobals();
  g.__llmos_bind({ fetch: async (r: any) => {
    const u = new g.URL(r.url);
    if (u.pathname === '/bytes') return new g.Response(new Uint8Array([1, 2, 3]), { headers: { 'x-b': '1' } });
    if (u.pathname === '/none') return new g.Response(null, { status: 204, statusText: 'Nothing Here' });
    const h = new g.Headers({ 'set-cookie': 'a=1' });
    h.append('Set-Cookie', 'b=2');
    h.append('x-multi', 'p');
    h.append('x-multi', 'q');
    h.append('x-empty', ''); // an empty value line is not the end of the headers
    return new g.Response(`${r.headers.get('x-one')}|${r.headers.get('x-two')}|${[...r.headers].length} ✓ \ud800`, { headers: h });
  } }, {});
  const text = await g.__llmos_dispatch('GET', 'http://h/t', 'x-one\n1\nx-two\na, b\nx-two\nc', null);
  assert.equal(typeof text, 'string');
  const [status, , headers, body] = await dispatchOut(g, 'GET', 'http://h/t', 'x-one\n1\nx-two\na, b\nx-two\nc', null);
  assert.equal(status, 200);
  assert.deepEqual(headers, [['content-type', 'text/plain;charset=UTF-8'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x-empty', ''], ['x-multi', 'p, q']]);
  assert.equal(Buffer.from(body!).toString(), '1|a, b, c|2 ✓ \ufffd', 'a lone surrogate is encoded as U+FFFD, as TextEncoder does');
  assert.equal(typeof (await g.__llmos_dispatch('GET', 'http://h/bytes', '', null)), 'number');
  const [, , bh, bytes] = await dispatchOut(g, 'GET', 'http://h/bytes', '', null);
  assert.deepEqual([...new Uint8Array(bytes!)], [1, 2, 3]);
  assert.deepEqual(bh, [['x-b', '1']]);
  assert.deepEqual((await dispatchOut(g, 'GET', 'http://h/none', '', null)).slice(0, 4), [204, 'Nothing Here', [], null]);
  assert.throws(() => new g.Response('x', { statusText: 'a\nb' }), /statusText/);
});

test('a string body read back with text() is the string, as a UTF-8 round trip gives it', async () => {
  const g = preludeGlobals();
  const r = new g.Response('a\ud800b');
  assert.equal(await r.text(), 'a\ufffdb');
  assert.equal(r.bodyUsed, true);
  await assert.rejects(r.text(), /already been used/);
  const c = new g.Response('héllo');
  const copy = c.clone();
  assert.deepEqual([...new Uint8Array(await c.arrayBuffer())], [...Buffer.from('héllo')]);
  assert.equal(await copy.text(), 'héllo');
});
