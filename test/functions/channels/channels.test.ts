// WebSockets and streamed responses end to end: the same apps (apps.ts) deployed on LLMOS and
// served by workerd; a `ws` client and node:http readers get the same messages from both.
// Streaming is checked by order (chunk 2 is released by a second request), not by timing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import WebSocket from 'ws';
import { projectRoot, startDaemon, type TestDaemon } from '../../support/daemon.js';
import { untilNoLeaks } from '../../support/leaks.js';
import { until } from '../../support/until.js';
import { startWorkerd, workerdBin, type Workerd } from '../workerd.js';
import { CHANNELS_APP, HONO_WS_APP } from './apps.js';

let d: TestDaemon;
let w: Workerd | undefined;
let dir: string;
let hono: string | undefined;
let peer: http.Server;
let origin: string;
/** Answers of the peer's /wait, held until the test releases them. */
const waiting: http.ServerResponse[] = [];
const release = () => waiting.splice(0).forEach((r) => r.end('go'));

/** Base URLs of the channels app on each runtime under test. */
const bases = (): Array<[string, string]> => [['llmos', `${d.gateway}/fn/chan`], ...(w ? [['workerd', w.url.chan!] as [string, string]] : [])];

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-channels-'));
  await writeFile(path.join(dir, 'chan.js'), CHANNELS_APP);
  await writeFile(path.join(dir, 'hono-src.js'), HONO_WS_APP);
  try {
    const out = await build({ entryPoints: [path.join(dir, 'hono-src.js')], bundle: true, write: false, format: 'esm', platform: 'neutral', mainFields: ['module', 'main'], conditions: ['workerd', 'worker', 'import'], nodePaths: [path.join(projectRoot, 'node_modules')], target: 'es2022', logLevel: 'silent' });
    hono = out.outputFiles[0]!.text;
    await writeFile(path.join(dir, 'hono.js'), hono);
  } catch {
    hono = undefined;
  }
  peer = http.createServer((req, res) => (req.url === '/wait' ? waiting.push(res) : res.end('?')));
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(peer.address() as { port: number }).port}`;
  d = await startDaemon();
  assert.ok(d.gateway, `no gateway:\n${d.output()}`);
  for (const [name, file] of [['chan', 'chan.js'], ...(hono ? [['hono-ws', 'hono.js']] : [])] as const) {
    const r = await d.cli(['fn', 'deploy', name, '--code', path.join(dir, file), '--max', '1', '--allow-net', new URL(origin).host]);
    assert.equal(r.code, 0, r.stderr);
  }
  if (existsSync(workerdBin)) w = await startWorkerd({ chan: CHANNELS_APP, ...(hono ? { 'hono-ws': hono } : {}) });
});

after(async () => {
  await w?.stop();
  const dataDir = d?.dataDir;
  await d?.stop({ keepData: true });
  if (dataDir) {
    await untilNoLeaks(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  }
  release();
  peer?.closeAllConnections();
  await new Promise((r) => peer?.close(r));
  await rm(dir, { recursive: true, force: true });
});

/** Opens a ws client; `messages` collects text frames as strings and binary ones as byte arrays. */
async function connect(url: string): Promise<{ ws: WebSocket; messages: unknown[]; next(n: number): Promise<unknown[]>; closed: Promise<[number, string]> }> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'));
  const messages: unknown[] = [];
  ws.on('message', (data: Buffer, binary: boolean) => messages.push(binary ? [...data] : data.toString()));
  const closed = new Promise<[number, string]>((r) => ws.on('close', (code, reason) => r([code, reason.toString()])));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
  });
  return { ws, messages, closed, next: (n) =>
    until(`${n} messages from ${url}`, async () => messages.length >= n && messages.slice(0, n), 10_000, 10).catch((e: Error) => {
      throw new Error(`${e.message}; got ${JSON.stringify(messages).slice(0, 300)}`);
    }) };
}

/** GETs url and resolves with the response once its first body bytes arrived (the rest keeps coming). */
function firstBytes(url: string): Promise<{ res: http.IncomingMessage; first: string; rest: Promise<string>; req: http.ClientRequest }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      let rest = '';
      const restP = new Promise<string>((r) => res.on('end', () => r(rest)));
      res.once('data', (c: Buffer) => {
        res.on('data', (more: Buffer) => (rest += more.toString()));
        resolve({ res, first: c.toString(), rest: restP, req });
      });
    });
    req.on('error', reject);
  });
}

describe('WebSockets through the gateway, beside workerd', () => {
  test('echo: text and binary frames, the function\'s close code, identical on both runtimes', { timeout: 60_000 }, async () => {
    const seen: Record<string, unknown> = {};
    for (const [rt, base] of bases()) {
      const c = await connect(`${base}/echo`);
      c.ws.send('hello');
      c.ws.send(Buffer.from([1, 2, 3]));
      c.ws.send('x'.repeat(70_000));
      const msgs = await c.next(4);
      c.ws.send('close');
      seen[rt] = { msgs: msgs.map((m) => (typeof m === 'string' && m.length > 100 ? `${m.slice(0, 10)}…${m.length}` : m)), closed: await c.closed };
    }
    assert.deepEqual(seen.llmos, { msgs: ['welcome', 'echo:hello', [3, 2, 1], `echo:xxxxx…${70_005}`], closed: [4000, 'asked to'] });
    if (w) assert.deepEqual(seen.llmos, seen.workerd);
  });

  // LLMOS only: workerd lets no request use another request's socket (that needs a Durable Object).
  test('chat: a message reaches every socket of the instance; a closed one is dropped', { timeout: 60_000 }, async () => {
    const seen: Record<string, unknown> = {};
    for (const [rt, base] of bases().slice(0, 1)) {
      const a = await connect(`${base}/chat?name=a`);
      const b = await connect(`${base}/chat?name=b`);
      a.ws.send('hi');
      await a.next(1);
      await b.next(1);
      b.ws.close(1000, 'bye');
      await b.closed;
      a.ws.send('alone');
      seen[rt] = { a: await a.next(2), b: b.messages };
      a.ws.close();
      await a.closed;
    }
    assert.deepEqual(seen.llmos, { a: ['a: hi', 'a: alone'], b: ['a: hi'] });
  });

  test('an upgrade the function does not take gets its ordinary response', { timeout: 60_000 }, async () => {
    for (const [, base] of bases()) {
      const ws = new WebSocket(`${base}/plain`.replace(/^http/, 'ws'));
      ws.on('error', () => undefined);
      const status = await new Promise<number>((r) => {
        ws.once('unexpected-response', (_q, res) => r(res.statusCode ?? 0));
        ws.once('error', () => r(-1));
      });
      assert.equal(status, 403);
      ws.terminate();
    }
    // An upgrade to a function that does not exist: a 404, the daemon answers on.
    const ws = new WebSocket(`${d.gateway}/fn/nope/x`.replace(/^http/, 'ws'));
    ws.on('error', () => undefined);
    const status = await new Promise<number>((r) => ws.once('unexpected-response', (_q, res) => r(res.statusCode ?? 0)));
    assert.equal(status, 404);
    ws.terminate();
  });

  test('an instance reaped while idle keeps serving its open socket; closing it lets the instance go', { timeout: 90_000 }, async () => {
    const r = await d.cli(['fn', 'deploy', 'chan-ka', '--code', path.join(dir, 'chan.js'), '--keepalive', 'fixed:1s']);
    assert.equal(r.code, 0, r.stderr);
    const c = await connect(`${d.gateway}/fn/chan-ka/echo`);
    assert.deepEqual(await c.next(1), ['welcome']);
    // The pool lets the idle instance go (keep-alive 1 s)...
    await until('the pool to reap the idle instance', async () => (await d.api<{ instances: unknown[] }>('GET', '/v1/functions/chan-ka')).body.instances.length === 0, 30_000, 100);
    // ...but its isolate lives on for the socket.
    c.ws.send('still there?');
    assert.deepEqual(await c.next(2), ['welcome', 'echo:still there?']);
    c.ws.send('close');
    assert.deepEqual(await c.closed, [4000, 'asked to']);
  });

  test('a Hono app with upgradeWebSocket from hono/cloudflare-workers', { timeout: 60_000 }, async () => {
    assert.ok(hono, 'the Hono app bundled');
    const urls = [`${d.gateway}/fn/hono-ws`, ...(w ? [w.url['hono-ws']!] : [])];
    for (const u of urls) {
      const c = await connect(`${u}/ws`);
      c.ws.send('ping');
      assert.deepEqual(await c.next(1), ['hono:ping']);
      c.ws.terminate();
    }
  });
});

describe('streamed responses, beside workerd', () => {
  test('chunk 1 reaches the client before chunk 2 exists (the peer answers the function only then): ReadableStream and SSE', { timeout: 60_000 }, async () => {
    for (const [rt, base] of bases()) {
      for (const [p, one, two] of [['/stream', 'chunk 1\n', 'chunk 2\n'], ['/sse', 'data: one\n\n', 'data: two\n\n']] as const) {
        const r = await firstBytes(`${base}${p}?origin=${encodeURIComponent(origin)}`);
        assert.equal(r.first, one, `${rt} ${p}`);
        assert.equal(r.res.headers['content-length'], undefined);
        await until(`${rt}: the function to wait on the peer`, async () => waiting.length > 0, 10_000, 10);
        release();
        assert.equal(await r.rest, two, `${rt} ${p}`);
      }
    }
  });

  test('a client that goes away cancels the function\'s stream (its cancel() runs)', { timeout: 60_000 }, async () => {
    for (const [rt, base] of bases()) {
      const r = await firstBytes(`${base}/forever`);
      assert.equal(r.first.slice(0, 5), 'tick\n');
      r.req.destroy();
      await until(`${rt}: cancel() ran`, async () => (await (await fetch(`${base}/cancelled`)).text()) === 'cancelled', 20_000, 50);
    }
  });

  test('backpressure: an endless stream the client stops reading is pulled only as far as the socket buffers', { timeout: 60_000 }, async () => {
    for (const [rt, base] of bases()) {
      const r = await firstBytes(`${base}/big`);
      r.res.pause();
      let last = -1;
      let same = 0;
      // Wait until the pulls stop (five reads in a row see the same count).
      const n = await until(`${rt}: pulls to stop`, async () => {
        const now = Number(await (await fetch(`${base}/pulled`)).text());
        same = now === last ? same + 1 : 0;
        last = now;
        return same >= 5 && now;
      }, 30_000, 100);
      r.req.destroy();
      // 64 KiB chunks: a stream read to its end regardless would pass this at once (it is endless).
      assert.ok(n * 64 * 1024 < 64 * 2 ** 20, `${rt}: ${n} chunks pulled`);
    }
  });
});
