// End to end: a KV binding (`--kv NAME`) backed by the state store, as Workers KV: get with types,
// getWithMetadata, put with metadata and expirationTtl, delete, list with prefix, limit and cursor;
// shared by the functions of one namespace that declare it, invisible to others; kept across a restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';

let d: TestDaemon;
let dir: string;

const APP = `export default { async fetch(req, env) {
  const u = new URL(req.url); const q = (k) => u.searchParams.get(k);
  const kv = env.STORE;
  try {
    switch (u.pathname) {
      case '/put': await kv.put(q('k'), q('v'), { metadata: q('m') ? { m: q('m') } : undefined, expirationTtl: q('ttl') ? Number(q('ttl')) : undefined }); return new Response('ok');
      case '/bytes': await kv.put(q('k'), new Uint8Array([1, 2, 250])); return new Response(JSON.stringify([...new Uint8Array(await kv.get(q('k'), 'arrayBuffer'))]));
      case '/get': return Response.json({ text: await kv.get(q('k')), json: await kv.get(q('k'), { type: 'json' }).catch((e) => 'bad json'), meta: await kv.getWithMetadata(q('k')) });
      case '/del': await kv.delete(q('k')); return new Response('deleted');
      case '/list': return Response.json(await kv.list({ prefix: q('prefix') ?? undefined, limit: q('limit') ? Number(q('limit')) : undefined, cursor: q('cursor') ?? undefined }));
      case '/typeof': return new Response(typeof env.STORE + ' ' + typeof env.OTHER);
    }
  } catch (e) { return new Response('error: ' + e.message, { status: 400 }); }
  return new Response('?', { status: 404 });
} };`;

async function deploy(name: string, args: string[]): Promise<void> {
  const f = path.join(dir, 'app.js');
  await writeFile(f, APP);
  const r = await d.cli(['fn', 'deploy', name, '--code', f, ...args]);
  assert.equal(r.code, 0, r.stderr);
}

const call = async (fn: string, p: string) => {
  const r = await fetch(`${d.gateway}/fn/${fn}${p}`);
  return { status: r.status, text: await r.text() };
};

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-kv-'));
  d = await startDaemon();
  await deploy('kvapp', ['--kv', 'STORE']);
});

after(async () => {
  await d?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('KV bindings', () => {
  test('put, get as text/json/arrayBuffer, metadata, delete', async () => {
    assert.equal((await call('kvapp', '/typeof')).text, 'object undefined');
    assert.equal((await call('kvapp', '/put?k=a&v=%7B%22x%22%3A1%7D&m=meta1')).text, 'ok');
    const got = JSON.parse((await call('kvapp', '/get?k=a')).text);
    assert.deepEqual(got, { text: '{"x":1}', json: { x: 1 }, meta: { value: '{"x":1}', metadata: { m: 'meta1' } } });
    assert.equal((await call('kvapp', '/bytes?k=b')).text, '[1,2,250]');
    assert.equal((await call('kvapp', '/del?k=a')).text, 'deleted');
    assert.deepEqual(JSON.parse((await call('kvapp', '/get?k=a')).text), { text: null, json: null, meta: { value: null, metadata: null } });
  });

  test('list with prefix, limit and cursor; expirationTtl is validated', async () => {
    for (const k of ['user:1', 'user:2', 'user:3', 'other']) assert.equal((await call('kvapp', `/put?k=${k}&v=x`)).text, 'ok');
    const p1 = JSON.parse((await call('kvapp', '/list?prefix=user:&limit=2')).text);
    assert.deepEqual(p1, { keys: [{ name: 'user:1' }, { name: 'user:2' }], list_complete: false, cursor: 'user:2' });
    const p2 = JSON.parse((await call('kvapp', `/list?prefix=user:&limit=2&cursor=${p1.cursor}`)).text);
    assert.deepEqual(p2, { keys: [{ name: 'user:3' }], list_complete: true });
    const bad = await call('kvapp', '/put?k=t&v=x&ttl=5');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /expirationTtl must be at least 60 seconds/);
    assert.equal((await call('kvapp', '/put?k=t&v=x&ttl=120')).text, 'ok');
    const all = JSON.parse((await call('kvapp', '/list?prefix=t')).text) as { keys: Array<{ name: string; expiration?: number }> };
    assert.ok(all.keys[0]!.expiration! > Date.now() / 1000 + 100);
  });

  test('a binding is shared within its namespace only, and only by functions that declare it', async () => {
    await deploy('kvsame', ['--kv', 'STORE']);
    assert.equal(JSON.parse((await call('kvsame', '/get?k=user:1')).text).text, 'x');
    await deploy('kvother', ['--kv', 'STORE', '-n', 'elsewhere']);
    assert.equal(JSON.parse((await call('kvother', '/get?k=user:1')).text).text, null);
    await deploy('kvnone', []);
    assert.equal((await call('kvnone', '/typeof')).text, 'undefined undefined');
  });

  test('values survive a daemon restart (they are in the state store)', async () => {
    await d.stop({ keepData: true });
    d = await startDaemon({ dataDir: d.dataDir });
    assert.equal(JSON.parse((await call('kvapp', '/get?k=user:2')).text).text, 'x');
  });
});
