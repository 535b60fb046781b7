/* eslint-disable @typescript-eslint/no-explicit-any -- the in-isolate globals are untyped */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { prelude, preludeSource } from './prelude.js';
import { testHost } from './prelude-test-host.test-util.js';

test('the source text is self-contained: in a bare context it defines the globals and the entry points', async () => {
  // A fresh V8 context (like an isolate) has only the ECMAScript built-ins and the host callbacks.
  const ctx = vm.createContext({ host: testHost() });
  vm.runInContext(`var __name = (f) => f; ${preludeSource}(globalThis, host);`, ctx);
  const g = vm.runInContext('globalThis', ctx);
  for (const k of ['TextEncoder', 'TextDecoder', 'URL', 'URLSearchParams', 'Headers', 'Request', 'Response', 'console', 'fetch', 'crypto', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'structuredClone', 'atob', 'btoa', 'self']) assert.ok(k in g, k);
  assert.equal(Object.keys(g).includes('Response'), false, 'not enumerable');
  assert.equal(vm.runInContext("btoa('hi') + atob('aGk=')", ctx), 'aGk=hi');
  const bind = vm.runInContext(`__llmos_bind({ default: { fetch: async (r, env) => new Response(env.A + ' ' + new URL(r.url).pathname + ' ' + (await r.text())) } }, { A: 'env' })`, ctx);
  assert.equal(bind, '');
  const [status, , headers, body] = await vm.runInContext(`__llmos_dispatch('POST', 'http://h/p', [['x', 'y']], new TextEncoder().encode('b'))`, ctx);
  assert.equal(status, 200);
  // Arrays made in the other context: compared by value.
  assert.equal(JSON.stringify(headers), JSON.stringify([['content-type', 'text/plain;charset=UTF-8']]));
  assert.equal(Buffer.from(body).toString(), 'env /p b');
});

test('bind refuses a module without a fetch handler; warm-up leaves no stand-in behind', async () => {
  const g: any = {};
  prelude(g, testHost());
  g.__llmos_warmup();
  assert.equal(g.__llmos_warmup, undefined);
  assert.match(g.__llmos_bind({}, {}), /no default export with a fetch/);
  await assert.rejects(g.__llmos_dispatch('GET', 'http://h/', [], null), /no default export/);
});
