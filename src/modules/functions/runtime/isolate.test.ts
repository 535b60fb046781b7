import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { compileSource } from '../source.js';
import type { EgressPolicy } from './egress.js';
import { IsolateInstance } from './isolate.js';
import { until } from '../../../../test/support/until.js';

async function run(body: string, opts: { env?: Record<string, string>; cpuMs?: number; memory?: number; fastPath?: boolean; egress?: EgressPolicy; backgroundMs?: number } = {}) {
  const code = await compileSource({ entry: 'index.js', files: { 'index.js': `export default { async fetch(request, env) { ${body} } };` } });
  const logs: string[] = [];
  const inst = await IsolateInstance.start({ id: 't', functionName: 't', code, memoryBytes: opts.memory ?? 32 * 2 ** 20, cpuMs: opts.cpuMs ?? 1000, env: opts.env ?? {}, fastPath: opts.fastPath, egress: opts.egress, backgroundMs: opts.backgroundMs, onLog: (l, t) => logs.push(`${l}: ${t}`) });
  return {
    inst,
    logs,
    async call(init: { method?: string; url?: string; headers?: [string, string][]; body?: string } = {}) {
      const r = await inst.invoke({ method: init.method ?? 'GET', url: init.url ?? 'http://gw/p?a=1', headers: init.headers ?? [], body: init.body ? new TextEncoder().encode(init.body) : null }, { timeoutMs: 2000 });
      return { ...r, text: new TextDecoder().decode(r.body ?? new Uint8Array()) };
    },
  };
}

test('web globals behave like the platform ones', async () => {
  const { inst, call, logs } = await run(`
    const u = new URL(request.url);
    u.searchParams.append('b', 'x y');
    u.pathname = '/q';
    const h = new Headers({ 'X-A': '1' });
    h.append('x-a', '2');
    const enc = new TextEncoder().encode('héllo ✓ 😀');
    const rnd = crypto.getRandomValues(new Uint8Array(8));
    await new Promise((r) => setTimeout(r, 5));
    const sp = new URLSearchParams({ k: 'v&w' });
    const req = new Request('http://x/y', { method: 'post', body: 'abc' });
    console.log('obj', { a: 1 }, [1, 2]);
    return Response.json({
      href: u.href, search: u.search, a: u.searchParams.get('a'), ha: h.get('x-a'),
      bytes: enc.length, back: new TextDecoder().decode(enc), rnd: rnd.length,
      sp: sp.toString(), b64: btoa('hi'), unb64: atob('aGk='), method: req.method, reqText: await req.clone().text(),
      ct: req.headers.get('content-type'), uuid: /^[0-9a-f-]{36}$/.test(crypto.randomUUID()), env: env.K,
    });`, { env: { K: 'v' } });
  const r = await call();
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.text), {
    href: 'http://gw/q?a=1&b=x+y', search: '?a=1&b=x+y', a: '1', ha: '1, 2',
    bytes: Buffer.byteLength('héllo ✓ 😀'), back: 'héllo ✓ 😀', rnd: 8,
    sp: 'k=v%26w', b64: 'aGk=', unb64: 'hi', method: 'POST', reqText: 'abc',
    ct: 'text/plain;charset=UTF-8', uuid: true, env: 'v',
  });
  assert.deepEqual(logs, ['log: obj {"a":1} [1,2]']);
  await inst.dispose('done');
});

test('request body, headers and method reach the handler; status and headers come back', async () => {
  const { inst, call } = await run(`return new Response(request.method + ' ' + (await request.text()) + ' ' + request.headers.get('x-b'), { status: 418, headers: { 'x-out': 'o' } });`);
  const r = await call({ method: 'PUT', body: 'data', headers: [['x-b', 'B']] });
  assert.equal(r.status, 418);
  assert.equal(r.text, 'PUT data B');
  assert.deepEqual(r.headers, [['content-type', 'text/plain;charset=UTF-8'], ['x-out', 'o']]);
  await inst.dispose('done');
});

test('fetch reaches loopback only when listed with --allow-net; other private addresses are refused', async () => {
  const srv = createServer((req, res) => res.end(`upstream ${req.method} ${req.url}`));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  const body = `
      const ok = await fetch('http://127.0.0.1:${port}/x?y=1', { method: 'POST', body: 'z' }).then((r) => r.text(), (e) => e.message);
      let refused = '';
      try { await fetch('http://192.168.1.1/'); } catch (e) { refused = e.message; }
      return new Response(ok + ' | ' + refused);`;
  try {
    const listed = await run(body, { egress: { allow: [`127.0.0.1:${port}`], maxResponseBytes: 2 ** 20 } });
    assert.match((await listed.call()).text, /^upstream POST \/x\?y=1 \| fetch: 192\.168\.1\.1 is a private, loopback or reserved address/);
    await listed.inst.dispose('done');
    const unlisted = await run(body, { egress: { allow: [], maxResponseBytes: 2 ** 20 } });
    assert.match((await unlisted.call()).text, /^fetch: 127\.0\.0\.1 is a private, loopback or reserved address: deploy the function with --allow-net 127\.0\.0\.1:\d+/);
    await unlisted.inst.dispose('done');
  } finally {
    srv.close();
  }
});

test('limits: CPU time, memory, and a thrown error are reported by reason', async () => {
  const loop = await run(`while (true) {}`, { cpuMs: 50 });
  await assert.rejects(loop.call(), (e: Error & { reason?: string }) => e.reason === 'cpu-limit');
  assert.ok(loop.inst.dead);
  const bomb = await run(`const a = []; for (;;) a.push(new Array(1e5).fill(1));`, { memory: 16 * 2 ** 20, cpuMs: 10_000 });
  await assert.rejects(bomb.call(), (e: Error & { reason?: string }) => e.reason === 'memory-limit');
  assert.ok(bomb.inst.dead);
  const thrower = await run(`throw new TypeError('nope')`);
  await assert.rejects(thrower.call(), (e: Error & { reason?: string }) => e.reason === 'handler-error' && /nope/.test(e.message));
  assert.equal(thrower.inst.dead, undefined, 'a thrown error keeps the instance');
  await thrower.inst.dispose('done');
});

test('the fast path for cheap requests answers the same and still enforces the CPU limit', async () => {
  const { inst, call } = await run(`const u = new URL(request.url); if (u.pathname === '/spin') { while (true) {} } await null; return new Response('n=' + u.searchParams.get('n'));`, { fastPath: true, cpuMs: 100 });
  for (let i = 0; i < 20; i++) assert.equal((await call({ url: `http://gw/?n=${i}` })).text, `n=${i}`); // past 16: fast path
  await assert.rejects(call({ url: 'http://gw/spin' }), (e: Error & { reason?: string }) => e.reason === 'cpu-limit');
  assert.ok(inst.dead);
});

test('a function that replaces the entry points the host calls gets a failed request, not a broken host', async () => {
  // The module's own code runs before the host takes its references: it can swap them for its own.
  const code = await compileSource({ entry: 'index.js', files: { 'index.js': `
    const swap = (name, fn) => Object.defineProperty(globalThis, name, { value: fn, configurable: true });
    swap('__llmos_dispatch', async () => 'not an answer');
    swap('__llmos_dispatch_now', () => (console.log('same-thread path'), 7));
    swap('__llmos_outcome', () => ({ not: 'transferable' }));
    export default { fetch: () => new Response('never') };` } });
  const logs: string[] = [];
  const inst = await IsolateInstance.start({ id: 'h', functionName: 'h', code, memoryBytes: 32 * 2 ** 20, cpuMs: 1000, env: {}, fastPath: true, onLog: (_l, t) => logs.push(t) });
  try {
    // The first requests take isolated-vm's pool (__llmos_dispatch), the later ones the same-thread path.
    for (let i = 0; i < 20; i++) {
      await assert.rejects(inst.invoke({ method: 'GET', url: 'http://gw/', headers: [], body: null }, { timeoutMs: 2000 }), (e: { reason?: string }) => e.reason === 'handler-error');
    }
    // The isolate's console reaches the host a moment later.
    await until('the later requests to take the same-thread path', async () => logs.includes('same-thread path'), 5000, 10);
    assert.equal(inst.dead, undefined, 'the instance is still there for the next request');
  } finally {
    await inst.dispose('test done');
  }
});
