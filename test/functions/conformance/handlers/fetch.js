/* global AbortController, AbortSignal, Blob, File, FormData, Headers, ReadableStream, Request, Response, TextDecoder, TextEncoder, TransformStream, URLSearchParams -- the web platform of the runtime under test */
// From web-platform-tests fetch/api/: headers/*, request/*, response/*, body/formdata, redirect/*,
// abort/*; dom/abort/. `?origin=` names the test's loopback server (redirects, echo).
import { harness } from './harness.js';

export default {
  async fetch(request) {
    const { t, eq, ok, throws, rejects, result } = harness();
    const origin = new URL(request.url).searchParams.get('origin');
    await t('headers-basic combine and sort', () => {
      const h = new Headers([['b', '1'], ['A', '2'], ['a', '3']]);
      eq([...h].map((x) => x.join(':')).join(), 'a:2, 3,b:1');
    });
    await t('headers-normalize trims whitespace', () => eq(new Headers({ a: ' \t v \t' }).get('a'), 'v'));
    await t('headers-errors invalid name', () => throws(() => new Headers({ 'a b': 'x' }), 'TypeError'));
    await t('headers-errors invalid value', () => throws(() => new Headers({ a: 'x\ny' }), 'TypeError'));
    await t('headers-casing get is case-insensitive', () => eq(new Headers({ 'Content-Type': 'x' }).get('content-TYPE'), 'x'));
    await t('header-setcookie getSetCookie', () => {
      const h = new Headers([['set-cookie', 'a=1'], ['Set-Cookie', 'b=2']]);
      eq(h.getSetCookie().join('|'), 'a=1|b=2');
      eq([...h].filter(([k]) => k === 'set-cookie').length, 2);
    });
    await t('headers delete and has', () => {
      const h = new Headers({ a: '1' });
      h.delete('A');
      eq(h.has('a'), false);
    });
    await t('request-structure method normalisation', () => {
      eq(new Request('http://h/', { method: 'post' }).method, 'POST');
      eq(new Request('http://h/', { method: 'patch' }).method, 'patch');
    });
    await t('request-error GET with body', () => throws(() => new Request('http://h/', { body: 'x' }), 'TypeError'));
    await t('request-error forbidden method', () => throws(() => new Request('http://h/', { method: 'CONNECT' }), 'TypeError'));
    await t('request-error credentials in URL', () => throws(() => new Request('http://u:p@h/'), 'TypeError'));
    await t('request-init redirect mode kept', () => eq(new Request('http://h/', { redirect: 'manual' }).redirect, 'manual'));
    await t('request-clone bodies are independent', async () => {
      const r = new Request('http://h/', { method: 'POST', body: 'abc' });
      const c = r.clone();
      eq(await r.text(), 'abc');
      eq(await c.text(), 'abc');
    });
    await t('request-consume bodyUsed', async () => {
      const r = new Request('http://h/', { method: 'POST', body: 'x' });
      eq(r.bodyUsed, false);
      await r.arrayBuffer();
      eq(r.bodyUsed, true);
      await rejects(r.text(), 'TypeError');
    });
    await t('request body is a ReadableStream', async () => {
      const r = new Request('http://h/', { method: 'POST', body: 'stream me' });
      ok(r.body instanceof ReadableStream);
      const reader = r.body.getReader();
      const { value } = await reader.read();
      eq(new TextDecoder().decode(value), 'stream me');
    });
    await t('request content-type from body', () => {
      eq(new Request('http://h/', { method: 'POST', body: 's' }).headers.get('content-type'), 'text/plain;charset=UTF-8');
      eq(new Request('http://h/', { method: 'POST', body: new URLSearchParams('a=1') }).headers.get('content-type'), 'application/x-www-form-urlencoded;charset=UTF-8');
    });
    await t('response-init-001 defaults', () => {
      const r = new Response();
      eq(r.status, 200);
      eq(r.ok, true);
      eq(r.type, 'default');
    });
    await t('response-init-002 status range', () => {
      throws(() => new Response('', { status: 199 }), 'RangeError');
      throws(() => new Response('', { status: 600 }), 'RangeError');
    });
    await t('response-error null body status with body', () => throws(() => new Response('x', { status: 204 }), 'TypeError'));
    await t('response-static-json', async () => {
      const r = Response.json({ a: [1] }, { status: 201 });
      eq(r.status, 201);
      eq(r.headers.get('content-type'), 'application/json');
      eq((await r.json()).a[0], 1);
    });
    await t('response-static-redirect', () => {
      const r = Response.redirect('http://h/x', 307);
      eq(r.status, 307);
      eq(r.headers.get('location'), 'http://h/x');
      throws(() => Response.redirect('http://h/', 200), 'RangeError');
    });
    await t('response-static-error', () => {
      const r = Response.error();
      eq(r.type, 'error');
      eq(r.status, 0);
    });
    await t('response-clone tee', async () => {
      const r = new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('tee')); c.close(); } }));
      const c = r.clone();
      eq(await c.text(), 'tee');
      eq(await r.text(), 'tee');
    });
    await t('response-from-stream', async () => {
      const { readable, writable } = new TransformStream();
      const w = writable.getWriter();
      w.write(new TextEncoder().encode('a'));
      w.write(new TextEncoder().encode('b'));
      w.close();
      eq(await new Response(readable).text(), 'ab');
    });
    await t('body blob and arrayBuffer', async () => {
      const b = await new Response('xyz', { headers: { 'content-type': 'text/x' } }).blob();
      eq(b.size, 3);
      eq(b.type, 'text/x');
      eq(await b.text(), 'xyz');
      eq(new Uint8Array(await new Response('q').arrayBuffer())[0], 0x71);
    });
    await t('body formdata urlencoded', async () => {
      const f = await new Response('a=1&b=x+y', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }).formData();
      eq(f.get('b'), 'x y');
    });
    await t('body formdata multipart round trip', async () => {
      const fd = new FormData();
      fd.append('name', 'v\u00e9');
      fd.append('file', new File(['hello'], 'h.txt', { type: 'text/plain' }));
      const back = await new Request('http://h/', { method: 'POST', body: fd }).formData();
      eq(back.get('name'), 'v\u00e9');
      const f = back.get('file');
      eq(f.name, 'h.txt');
      eq(f.type, 'text/plain');
      eq(await f.text(), 'hello');
    });
    await t('body formdata multipart by hand', async () => {
      const body = '--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--B\r\nContent-Disposition: form-data; name="f"; filename="x.bin"\r\nContent-Type: application/octet-stream\r\n\r\n\u0001\u0002\r\n--B--\r\n';
      const f = await new Response(body, { headers: { 'content-type': 'multipart/form-data; boundary=B' } }).formData();
      eq(f.get('a'), '1');
      eq(f.get('f').size, 2);
    });
    await t('formdata methods', () => {
      const f = new FormData();
      f.append('a', '1');
      f.append('a', '2');
      f.set('b', '3');
      eq(f.getAll('a').join(), '1,2');
      f.delete('a');
      eq(f.has('a'), false);
      eq([...f.keys()].join(), 'b');
    });
    await t('blob slice and type', async () => {
      const b = new Blob(['abc', new Uint8Array([100])], { type: 'Text/Plain' });
      eq(b.size, 4);
      eq(await b.slice(1, 3).text(), 'bc');
      eq(b.type, 'text/plain');
    });
    await t('abortcontroller abort event and reason', () => {
      const c = new AbortController();
      let fired = 0;
      c.signal.addEventListener('abort', () => fired++);
      c.abort('why');
      c.abort('again');
      eq(fired, 1);
      eq(c.signal.aborted, true);
      eq(c.signal.reason, 'why');
    });
    await t('abortsignal default reason is AbortError', () => {
      const c = new AbortController();
      c.abort();
      eq(c.signal.reason.name, 'AbortError');
      throws(() => c.signal.throwIfAborted(), 'AbortError');
    });
    await t('abortsignal static abort and any', () => {
      eq(AbortSignal.abort().aborted, true);
      const c = new AbortController();
      const any = AbortSignal.any([c.signal, new AbortController().signal]);
      c.abort('x');
      eq(any.reason, 'x');
    });
    await t('abortsignal timeout fires TimeoutError', async () => {
      const s = AbortSignal.timeout(5);
      await new Promise((r) => s.addEventListener('abort', r));
      eq(s.reason.name, 'TimeoutError');
    });
    if (origin) {
      await t('fetch echo with body and headers', async () => {
        const r = await fetch(origin + '/echo', { method: 'POST', body: 'ping', headers: { 'x-a': 'b' } });
        const j = await r.json();
        eq(j.body, 'ping');
        eq(j.headers['x-a'], 'b');
      });
      await t('redirect-method 302 follow', async () => {
        const r = await fetch(origin + '/redirect?to=/echo');
        eq(r.status, 200);
        eq(r.redirected, true);
        eq(new URL(r.url).pathname, '/echo');
      });
      await t('redirect-method 303 POST becomes GET', async () => {
        const r = await fetch(origin + '/redirect?status=303&to=/echo', { method: 'POST', body: 'x' });
        eq((await r.json()).method, 'GET');
      });
      await t('redirect-method 307 keeps POST and body', async () => {
        const r = await fetch(origin + '/redirect?status=307&to=/echo', { method: 'POST', body: 'keep' });
        const j = await r.json();
        eq(j.method, 'POST');
        eq(j.body, 'keep');
      });
      await t('redirect-mode manual', async () => {
        const r = await fetch(origin + '/redirect?to=/echo', { redirect: 'manual' });
        eq(r.status, 302);
        eq(new URL(r.headers.get('location'), origin).pathname, '/echo');
      });
      await t('redirect-mode error', async () => rejects(fetch(origin + '/redirect?to=/echo', { redirect: 'error' }), 'TypeError'));
      await t('abort fetch with a signal', async () => {
        const c = new AbortController();
        const p = fetch(origin + '/slow', { signal: c.signal });
        c.abort();
        await rejects(p, 'AbortError');
      });
      await t('fetch streams a request body', async () => {
        const body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('s1')); c.enqueue(new TextEncoder().encode('s2')); c.close(); } });
        const r = await fetch(origin + '/echo', { method: 'POST', body, duplex: 'half' });
        eq((await r.json()).body, 's1s2');
      });
      await t('fetch streams a long response body in chunks', async () => {
        const r = await fetch(origin + '/big?n=300000');
        let n = 0;
        let chunks = 0;
        for await (const c of r.body) {
          n += c.byteLength;
          chunks++;
        }
        eq(n, 300000);
        ok(chunks > 1, 'more than one chunk');
      });
      await t('cancelling a streamed body', async () => {
        const r = await fetch(origin + '/big?n=300000');
        const reader = r.body.getReader();
        await reader.read();
        await reader.cancel();
      });
      await t('fetch response body is a stream', async () => {
        const r = await fetch(origin + '/echo');
        ok(r.body instanceof ReadableStream);
        const { value } = await r.body.getReader().read();
        ok(value.byteLength > 0);
      });
    }
    return result();
  },
};
