// Conformance: the same handlers (handlers/*.js, written from the web-platform-tests) run on
// LLMOS (deployed through a test daemon, invoked through the gateway) and on workerd; each answers
// { passed, failed, failures }. LLMOS must pass every case; both counts are printed side by side.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { projectRoot, startDaemon, type TestDaemon } from '../../support/daemon.js';
import { startWorkerd, workerdBin, type Workerd } from '../workerd.js';

const families = ['url', 'encoding', 'fetch', 'streams', 'clone', 'crypto', 'globals', 'channels'];
const handlersDir = path.join(projectRoot, 'test', 'functions', 'conformance', 'handlers');

interface Outcome {
  passed: number;
  failed: number;
  failures: string[];
}

let d: TestDaemon;
let w: Workerd | undefined;
let dir: string;
let server: http.Server;
let origin: string;
const bundles: Record<string, string> = {};

/** The loopback peer the fetch handler calls: /echo answers what it got, /redirect redirects, /slow never answers. */
function startPeer(): Promise<void> {
  server = http.createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    if (u.pathname === '/redirect') {
      res.writeHead(Number(u.searchParams.get('status') ?? 302), { location: u.searchParams.get('to') ?? '/' });
      return res.end();
    }
    if (u.pathname === '/slow') return void req.on('close', () => res.destroy());
    if (u.pathname === '/big') {
      // n bytes in 16 KiB writes, no content-length: the reader cannot know the size up front.
      let left = Number(u.searchParams.get('n') ?? 0);
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      const more = (): void => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!res.write(chunk.subarray(0, n))) return void res.once('drain', more);
        }
        res.end();
      };
      return more();
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString() }));
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => {
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    r();
  }));
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-conformance-'));
  for (const f of families) {
    const out = await build({ entryPoints: [path.join(handlersDir, `${f}.js`)], bundle: true, write: false, format: 'esm', platform: 'neutral', logLevel: 'silent' });
    bundles[f] = out.outputFiles[0]!.text;
    await writeFile(path.join(dir, `${f}.js`), bundles[f]!);
  }
  await startPeer();
  d = await startDaemon();
  assert.ok(d.gateway, `no gateway:\n${d.output()}`);
  if (existsSync(workerdBin)) w = await startWorkerd(bundles);
});

after(async () => {
  await w?.stop();
  await d?.stop();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await rm(dir, { recursive: true, force: true });
});

async function run(base: string): Promise<Outcome> {
  const res = await fetch(`${base}/?origin=${encodeURIComponent(origin)}`, { signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text) as Outcome;
}

test('every conformance handler passes on LLMOS; the counts beside workerd', { timeout: 300_000 }, async () => {
  const rows: string[] = [];
  const llmosFailures: string[] = [];
  for (const f of families) {
    const r = await d.cli(['fn', 'deploy', `conf-${f}`, '--code', path.join(dir, `${f}.js`), '--allow-net', new URL(origin).host]);
    assert.equal(r.code, 0, r.stderr);
    const ours = await run(`${d.gateway}/fn/conf-${f}`);
    const theirs = w ? await run(w.url[f]!) : undefined;
    llmosFailures.push(...ours.failures.map((x) => `${f}: ${x}`));
    rows.push(`| ${f} | ${ours.passed + ours.failed} | ${ours.passed} | ${theirs ? theirs.passed : '-'} | ${theirs ? theirs.failures.join('; ').slice(0, 400) || '' : 'workerd not installed'} |`);
  }
  console.log(['| family | cases | LLMOS passed | workerd passed | workerd failures |', '|---|---|---|---|---|', ...rows].join('\n'));
  assert.deepEqual(llmosFailures, []);
});

test('a fetch past the host\'s body cap fails in the function only; the daemon answers on', { timeout: 120_000 }, async () => {
  const f = path.join(dir, 'cap.js');
  await writeFile(f, `export default { async fetch(req) {
    const origin = new URL(req.url).searchParams.get('origin');
    try {
      const r = await fetch(origin + '/big?n=' + (40 * 1024 * 1024));
      let n = 0;
      for await (const c of r.body) n += c.byteLength;
      return new Response('read ' + n);
    } catch (e) {
      return new Response(e.name + ': ' + e.message);
    }
  } };`);
  // A 32 MiB read takes a few hundred pulls; on a loaded machine that is seconds.
  const r = await d.cli(['fn', 'deploy', 'conf-cap', '--code', f, '--memory', '256Mi', '--timeout', '60s', '--allow-net', new URL(origin).host]);
  assert.equal(r.code, 0, r.stderr);
  const res = await fetch(`${d.gateway}/fn/conf-cap/?origin=${encodeURIComponent(origin)}`, { signal: AbortSignal.timeout(60_000) });
  assert.match(await res.text(), /^TypeError: .*over the limit of 33554432 bytes/);
  assert.equal((await d.api('GET', '/v1/functions/conf-cap')).status, 200);
});
