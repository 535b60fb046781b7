// Streamed bodies and WebSockets of an isolate instance, without a daemon: chunks leave as the
// function produces them, a cancel reaches the function's stream, the size cap holds, frames
// cross both ways, and an idle reap waits for an open socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSource } from '../source.js';
import { IsolateInstance } from './isolate.js';
import type { SocketPeer } from './instance.js';

const APP = `
let release; let gate = new Promise((r) => (release = r)); let cancelled = 'no';
export default { async fetch(req) {
  const p = new URL(req.url).pathname; const enc = new TextEncoder();
  if (p === '/stream') return new Response(new ReadableStream({ async start(c) { c.enqueue(enc.encode('one')); await gate; c.enqueue(enc.encode('two')); c.close(); } }));
  if (p === '/release') { release(); return new Response('ok'); }
  if (p === '/forever') return new Response(new ReadableStream({ pull(c) { return new Promise((r) => setTimeout(() => { try { c.enqueue(new Uint8Array(1024)); } catch {} r(); }, 1)); }, cancel(why) { cancelled = 'cancelled: ' + why; } }));
  if (p === '/cancelled') return new Response(cancelled);
  if (p === '/whole') return new Response(new Blob(['a', 'b', 'c']).stream());
  if (p === '/ws') {
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    server.send('hello');
    server.addEventListener('message', (e) => server.send(typeof e.data === 'string' ? 'echo:' + e.data : new Uint8Array(e.data).reverse()));
    server.addEventListener('close', (e) => { cancelled = 'closed ' + e.code + ' ' + e.reason; });
    return new Response(null, { status: 101, webSocket: client });
  }
  return new Response('?', { status: 404 });
} };`;

async function start(opts: { streamMaxBytes?: number } = {}) {
  const code = await compileSource({ entry: 'index.js', files: { 'index.js': APP } });
  const inst = await IsolateInstance.start({ id: 'c', functionName: 'c', code, memoryBytes: 64 * 2 ** 20, cpuMs: 1000, env: {}, onLog: () => undefined, ...opts });
  const call = (p: string) => inst.invoke({ method: 'GET', url: `http://gw${p}`, headers: [], body: null }, { timeoutMs: 5000 });
  const text = async (p: string) => new TextDecoder().decode((await call(p)).body ?? new Uint8Array());
  return { inst, call, text };
}

test('a stream body leaves chunk by chunk: chunk 2 only after a second request released it', async () => {
  const { inst, call, text } = await start();
  const res = await call('/stream');
  assert.equal(new TextDecoder().decode(res.body!), 'one');
  assert.ok(res.stream, 'the rest streams');
  const next = res.stream!.read();
  assert.equal(await text('/release'), 'ok');
  assert.equal(new TextDecoder().decode((await next)!), 'two');
  assert.equal(await res.stream!.read(), null);
  // A stream that is complete at once goes out whole, no pulls.
  const whole = await call('/whole');
  assert.equal(whole.stream, undefined);
  assert.equal(new TextDecoder().decode(whole.body!), 'abc');
  await inst.dispose('test');
});

test('cancel runs the function stream\'s cancel(); the size cap fails the stream', async () => {
  const { inst, call, text } = await start({ streamMaxBytes: 64 * 1024 });
  const res = await call('/forever');
  assert.ok(await res.stream!.read());
  res.stream!.cancel('client gone');
  for (let i = 0; i < 100 && (await text('/cancelled')) === 'no'; i++) await new Promise((r) => setImmediate(r));
  assert.equal(await text('/cancelled'), 'cancelled: client gone');
  const big = await call('/forever');
  await assert.rejects(async () => {
    while (await big.stream!.read());
  }, /streamed response passed the limit of 65536 bytes/);
  await inst.dispose('test');
});

test('WebSocketPair: frames both ways, text and binary; an idle reap waits for the socket to close', async () => {
  const { inst, call, text } = await start();
  const res = await call('/ws');
  assert.equal(res.status, 101);
  const got: unknown[] = [];
  let closed: [number, string] | undefined;
  const peer: SocketPeer = { send: (d) => got.push(typeof d === 'string' ? d : [...d]), close: (c, r) => (closed = [c, r]) };
  res.webSocket!.attach(peer);
  await res.webSocket!.message('hi');
  await res.webSocket!.message(new Uint8Array([1, 2, 3]));
  assert.deepEqual(got, ['hello', 'echo:hi', [3, 2, 1]]);
  let reaped = false;
  const reap = inst.dispose('idle: keep-alive expired').then(() => (reaped = true));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(reaped, false, 'not reaped while the socket is open');
  assert.equal(inst.dead, undefined);
  res.webSocket!.close(1000, 'bye');
  await reap;
  assert.ok(inst.dead);
  assert.equal(closed, undefined);
  void text;
});
