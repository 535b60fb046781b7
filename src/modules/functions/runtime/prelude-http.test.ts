import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodingPart } from './prelude-encoding.js';
import { httpPart } from './prelude-http.js';
import { scope } from './prelude-test-host.test-util.js';
import { urlPart } from './prelude-url.js';

const s = scope([urlPart, encodingPart, httpPart]);

test('Headers: case-insensitive, combined like the platform, set-cookie kept apart, bad names refused', () => {
  const init: Array<[string, string]> = [['B', '2'], ['a', ' 1 '], ['a', '3'], ['Set-Cookie', 'x=1'], ['set-cookie', 'y=2']];
  const h = new s.Headers(init);
  const n = new Headers(init);
  assert.deepEqual([...h], [...n]);
  assert.equal(h.get('A'), n.get('A'));
  assert.deepEqual(h.getSetCookie(), n.getSetCookie());
  assert.throws(() => new s.Headers({ 'bad name': 'x' }), TypeError);
});

test('Request and Response: bodies are read once, GET has no body, JSON and redirects', async () => {
  const r = new s.Request('http://h/p', { method: 'post', body: 'hi' });
  assert.equal(r.method, 'POST');
  assert.equal(r.headers.get('content-type'), 'text/plain;charset=UTF-8');
  assert.equal(await r.text(), 'hi');
  await assert.rejects(r.text(), /already been consumed/);
  assert.throws(() => new s.Request('http://h/', { body: 'x' }), /GET\/HEAD/);
  const j = s.Response.json({ a: 1 }, { status: 201 });
  assert.equal(j.status, 201);
  assert.equal(j.statusText, 'Created');
  assert.equal(j.headers.get('content-type'), 'application/json');
  assert.deepEqual(await j.json(), { a: 1 });
  assert.equal(s.Response.redirect('http://h/x').headers.get('location'), 'http://h/x');
  assert.throws(() => new s.Response(null, { status: 99 }), RangeError);
  assert.equal(new s.Response(new s.URLSearchParams('a=1')).headers.get('content-type'), 'application/x-www-form-urlencoded;charset=UTF-8');
  const c = new s.Response('body').clone();
  assert.equal(await c.text(), 'body');
});
