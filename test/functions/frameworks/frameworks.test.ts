// Framework apps as a Workers user deploys them: a Hono app and an itty-router app, each bundled by
// esbuild into one file, deployed on LLMOS and served by workerd; the same requests go to both and
// the responses (status, body, the headers that matter) must agree.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { projectRoot, startDaemon, type TestDaemon } from '../../support/daemon.js';
import { startWorkerd, workerdBin, type Workerd } from '../workerd.js';

const apps = ['hono-app', 'itty-app'];
let d: TestDaemon;
let w: Workerd;
let dir: string;
const bundles: Record<string, string> = {};

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-frameworks-'));
  for (const a of apps) {
    const out = await build({
      entryPoints: [path.join(projectRoot, 'test', 'functions', 'frameworks', 'apps', `${a}.ts`)],
      bundle: true, write: false, format: 'esm', platform: 'neutral', mainFields: ['module', 'main'], conditions: ['workerd', 'worker', 'import'], target: 'es2022', logLevel: 'silent',
    });
    bundles[a] = out.outputFiles[0]!.text;
    await writeFile(path.join(dir, `${a}.js`), bundles[a]!);
  }
  d = await startDaemon();
  assert.ok(d.gateway, `no gateway:\n${d.output()}`);
  for (const a of apps) {
    const r = await d.cli(['fn', 'deploy', a, '--code', path.join(dir, `${a}.js`)]);
    assert.equal(r.code, 0, r.stderr);
  }
  assert.ok(existsSync(workerdBin), 'workerd is installed from npm (@cloudflare/workerd-linux-64)');
  w = await startWorkerd(bundles);
});

after(async () => {
  await w?.stop();
  await d?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Req {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}
const compared = ['content-type', 'etag', 'location', 'www-authenticate', 'content-disposition'];

async function answer(base: string, r: Req): Promise<{ status: number; body: string; headers: Record<string, string | null> }> {
  const res = await fetch(base + r.path, { method: r.method ?? 'GET', headers: r.headers, body: r.body, redirect: 'manual', signal: AbortSignal.timeout(20_000) });
  const headers: Record<string, string | null> = {};
  // The request URL (host and port) shows in some values (Hono's jwt realm): the runtimes' differ.
  const host = new URL(base).host;
  for (const h of compared) headers[h] = res.headers.get(h)?.replaceAll(host, 'HOST') ?? null;
  return { status: res.status, body: (await res.text()).replaceAll(host, 'HOST'), headers };
}

async function same(app: string, reqs: Req[]): Promise<void> {
  for (const r of reqs) {
    const ours = await answer(`${d.gateway}/fn/${app}`, r);
    const theirs = await answer(w.url[app]!, r);
    assert.deepEqual(ours, theirs, `${app} ${r.method ?? 'GET'} ${r.path}`);
  }
}

const basic = (u: string, p: string) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');
const multipart = (b: string) =>
  new TextEncoder().encode(`--${b}\r\nContent-Disposition: form-data; name="title"\r\n\r\nnotes é\r\n--${b}\r\nContent-Disposition: form-data; name="doc"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nfile body\r\n--${b}--\r\n`);

test('a Hono app (etag, basicAuth, jwt, streamText, parseBody, redirects) answers as on workerd', { timeout: 120_000 }, async () => {
  const tokenRes = await answer(`${d.gateway}/fn/hono-app`, { path: '/token' });
  const token = (JSON.parse(tokenRes.body) as { token: string }).token;
  const tag = (await answer(w.url['hono-app']!, { path: '/etag/doc' })).headers.etag!;
  assert.ok(tag, 'workerd gave an etag');
  await same('hono-app', [
    { path: '/etag/doc' },
    { path: '/etag/doc', headers: { 'if-none-match': tag } },
    { path: '/admin/panel' },
    { path: '/admin/panel', headers: { authorization: basic('ada', 'wrong') } },
    { path: '/admin/panel', headers: { authorization: basic('ada', 'lovelace') } },
    { path: '/token' },
    { path: '/api/me' },
    { path: '/api/me', headers: { authorization: 'Bearer ' + token } },
    { path: '/api/me', headers: { authorization: 'Bearer ' + token.slice(0, -2) + 'xx' } },
    { path: '/stream' },
    { path: '/form', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=two+words&c=%E2%9C%93' },
    { path: '/form', method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=XyZ' }, body: multipart('XyZ') },
    { path: '/old' },
    { path: '/new' },
    { path: '/json/42?q=x' },
    { path: '/nowhere' },
  ]);
});

test('an itty-router app answers as on workerd', { timeout: 60_000 }, async () => {
  await same('itty-app', [
    { path: '/hello/ada?shout=1' },
    { path: '/echo', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: [1, 2] }) },
    { path: '/text' },
    { path: '/teapot' },
    { path: '/headers', headers: { 'x-client': 'c1' } },
    { path: '/missing' },
  ]);
});
