// The prelude's web APIs against Node's own implementations (differential, fuzzed) and the
// standards' edge cases the hand-written prelude got wrong.
/* eslint-disable @typescript-eslint/no-explicit-any -- the in-isolate globals are untyped */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { preludeGlobals } from './prelude-test-host.test-util.js';

const g = preludeGlobals();

test('TextEncoder matches the platform on any string, lone surrogates included; encodeInto', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (str) => assert.deepEqual([...new g.TextEncoder().encode(str)], [...new TextEncoder().encode(str)])), { numRuns: 500 });
  const dest = new g.Uint8Array(4);
  assert.deepEqual({ ...new g.TextEncoder().encodeInto('aé✓', dest) }, { read: 2, written: 3 });
});

test('TextDecoder matches the platform on any bytes (fatal too), streams, and decodes utf-16le and windows-1252', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(64), (bytes, cut) => {
    assert.equal(new g.TextDecoder().decode(bytes), new TextDecoder().decode(bytes));
    let ours: string | Error;
    let theirs: string | Error;
    try { ours = new g.TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch (e) { ours = e as Error; }
    try { theirs = new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch (e) { theirs = e as Error; }
    assert.equal(typeof ours, typeof theirs);
    const d = new g.TextDecoder();
    const k = Math.min(cut, bytes.length);
    assert.equal(d.decode(bytes.subarray(0, k), { stream: true }) + d.decode(bytes.subarray(k)), new TextDecoder().decode(bytes));
  }), { numRuns: 500 });
  assert.equal(new g.TextDecoder('utf-16le').decode(new Uint8Array([0x41, 0, 0x42, 0])), 'AB');
  assert.equal(new g.TextDecoder('latin1').encoding, 'windows-1252');
  assert.equal(new g.TextDecoder('latin1').decode(new Uint8Array([0x80, 0xe9])), '€é');
  assert.throws(() => new g.TextDecoder('nope'), g.RangeError);
  assert.equal(new g.TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), 'A', 'a BOM is dropped');
});

test('URL: fields and setters agree with the platform URL', () => {
  const u = new g.URL('https://user:pw@example.com:8443/a/b?x=1&y=2#frag');
  const n = new URL('https://user:pw@example.com:8443/a/b?x=1&y=2#frag');
  for (const k of ['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash', 'origin'] as const) assert.equal(u[k], n[k], k);
  u.pathname = 'c';
  u.searchParams.append('z', 'a b');
  n.pathname = 'c';
  n.searchParams.append('z', 'a b');
  assert.equal(u.href, n.href);
  assert.throws(() => new g.URL('not a url'), /Invalid URL/);
  assert.equal(g.JSON.stringify({ u: new g.URL('http://x/') }), '{"u":"http://x/"}');
});

test('URLSearchParams: parse, edit and serialize like the platform (fuzzed), has/delete with a value', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 6 }), fc.string(), (pairs, raw) => {
    const a = new g.URLSearchParams(pairs);
    const b = new URLSearchParams(pairs);
    assert.equal(a.toString(), b.toString());
    assert.deepEqual([...new g.URLSearchParams(raw)].map((x: any) => [...x]), [...new URLSearchParams(raw)]);
    a.sort();
    b.sort();
    assert.deepEqual([...a].map((x: any) => [...x]), [...b]);
  }), { numRuns: 300 });
  const p = new g.URLSearchParams('a=1&a=2&b=3');
  assert.equal(p.has('a', '2'), true);
  assert.equal(p.has('a', '9'), false);
  p.delete('a', '1');
  assert.equal(p.toString(), 'a=2&b=3');
});

test('Headers, Request and Response: platform-like combining, bodies read once, clone, formData both ways', async () => {
  const init: Array<[string, string]> = [['B', '2'], ['a', ' 1 '], ['a', '3'], ['Set-Cookie', 'x=1'], ['set-cookie', 'y=2']];
  assert.deepEqual([...new g.Headers(init)].map((x: any) => [...x]), [...new Headers(init)]);
  assert.deepEqual([...new g.Headers(init).getSetCookie()], new Headers(init).getSetCookie());
  assert.throws(() => new g.Headers({ 'bad name': 'x' }), g.TypeError);
  const r = new g.Request('http://h/p', { method: 'post', body: 'hi' });
  assert.equal(r.method, 'POST');
  assert.equal(await r.clone().text(), 'hi');
  assert.equal(await r.text(), 'hi');
  await assert.rejects(r.text(), /already been used/);
  assert.throws(() => new g.Request('http://h/', { body: 'x' }), /GET\/HEAD/);
  assert.throws(() => new g.Response(null, { status: 99 }), g.RangeError);
  assert.equal(g.Response.redirect('http://h/x', 301).headers.get('location'), 'http://h/x');
  const fd = new g.FormData();
  fd.append('a', 'x y');
  fd.append('f', new g.File(['file body'], 'f.txt', { type: 'text/plain' }));
  const back = await new g.Response(fd).formData();
  assert.equal(back.get('a'), 'x y');
  assert.equal(back.get('f').name, 'f.txt');
  assert.equal(await back.get('f').text(), 'file body');
  // Found by test/functions/conformance/prelude.fuzz.test.ts: a backslash in a file name was read as an escape.
  const bs = new g.FormData();
  bs.append('a\\b', new g.File([], '\\', { type: '' }));
  const bsBack = await new g.Response(bs).formData();
  assert.equal(bsBack.get('a\\b').name, '\\');
  const form = await new g.Request('http://h/', { method: 'POST', body: new g.URLSearchParams('k=v&k=w') }).formData();
  assert.deepEqual([...form.getAll('k')], ['v', 'w']);
});

test('structuredClone keeps types; atob/btoa refuse bad input; subtle digests and HMACs like Node', async () => {
  const v = new g.Map([[1, new g.Set([new g.Date(5)])]]);
  const c = g.structuredClone({ v, n: NaN, t: new g.Uint16Array([1, 2]) });
  assert.equal(c.v.get(1).values().next().value.getTime(), 5);
  assert.ok(Number.isNaN(c.n));
  assert.equal(c.t.constructor.name, 'Uint16Array');
  const cyc: any = new g.Object();
  cyc.self = cyc;
  assert.equal(g.structuredClone(cyc).self.self !== undefined, true);
  assert.throws(() => g.structuredClone(() => 1), (e: any) => e.name === 'DataCloneError');
  assert.throws(() => g.btoa('✓'), (e: any) => e.name === 'InvalidCharacterError');
  assert.throws(() => g.atob('a'), (e: any) => e.name === 'InvalidCharacterError');
  const d = await g.crypto.subtle.digest('SHA-256', new g.TextEncoder().encode('x'));
  assert.equal(Buffer.from(d).toString('hex'), Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('x'))).toString('hex'));
  const key = await g.crypto.subtle.importKey('raw', new g.TextEncoder().encode('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  assert.equal(key.type, 'secret');
  const sig = await g.crypto.subtle.sign('HMAC', key, new g.TextEncoder().encode('m'));
  assert.equal(await g.crypto.subtle.verify('HMAC', key, sig, new g.TextEncoder().encode('m')), true);
  await assert.rejects(g.crypto.subtle.exportKey('raw', key), (e: any) => e.name === 'InvalidAccessError');
});
