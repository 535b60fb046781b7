import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodingPart } from './prelude-encoding.js';
import { globalsPart } from './prelude-globals.js';
import { httpPart } from './prelude-http.js';
import { scope, testHost } from './prelude-test-host.test-util.js';
import { urlPart } from './prelude-url.js';

test('console formats values and sends them to the host log; trace is debug', () => {
  const logs: Array<[string, string]> = [];
  const s = scope([urlPart, encodingPart, httpPart, globalsPart], testHost(logs));
  s.console.log('a', 1, { b: [2] }, new s.Headers({ x: 'y' }), new s.URL('http://h/'), 10n, undefined);
  s.console.trace(new Error('boom'));
  assert.deepEqual(logs[0], ['log', 'a 1 {"b":[2]} Headers {"x":"y"} URL http://h/ 10n undefined']);
  assert.equal(logs[1]![0], 'debug');
  assert.match(logs[1]![1], /^Error: boom/);
});

test('fetch goes through the host and answers a Response; timers fire, and cleared ones do not', async () => {
  const s = scope([urlPart, encodingPart, httpPart, globalsPart]);
  const res = await s.fetch('http://127.0.0.1:1/x', { method: 'PUT', body: 'b' });
  assert.equal(res.url, 'http://127.0.0.1:1/x');
  assert.equal(res.headers.get('x-method'), 'PUT');
  assert.equal(await res.text(), 'fetched');
  const fired: string[] = [];
  const cleared = s.setTimeout(() => fired.push('cleared'), 5);
  s.clearTimeout(cleared);
  await new Promise<void>((resolve) => s.setTimeout((v: string) => (fired.push(v), resolve()), 10, 'later'));
  let n = 0;
  await new Promise<void>((resolve) => {
    const id = s.setInterval(() => {
      if (++n < 3) return;
      s.clearTimeout(id);
      resolve();
    }, 1);
  });
  assert.deepEqual(fired, ['later']);
  assert.equal(n, 3);
  const a = s.crypto.getRandomValues(new Uint8Array(4));
  assert.deepEqual([...a], [7, 7, 7, 7]);
  assert.match(s.crypto.randomUUID(), /^[0-9a-f-]{36}$/);
});
