// bench/functions: the function-compute numbers of issue 6, in one run against a real daemon.
//  1. isolate cold invoke, end to end over HTTP through the gateway (target p50 < 5 ms)
//  2. warm invoke p50 and throughput vs a bare Node HTTP server running the same handler
//     in-process (target >= 0.5x its throughput), both driven by autocannon
//  3. image-function cold start: first request to a container function (target < 150 ms);
//     needs the containers module, root, and the registry tools (else reported as skipped)
//  4. 1,000 deployed isolate functions kept warm (--min 1): RSS of the daemon and its function
//     hosts per warm instance (target < 3 MB)
// Run: npm run build && node --no-node-snapshot dist/bench/functions/run.js [--functions 1000] [--cold 200] [--seconds 3]
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Agent, request } from 'undici';
import { projectRoot, startDaemon, type TestDaemon } from '../../test/support/daemon.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N_FUNCTIONS = arg('functions', 1000);
const N_COLD = arg('cold', 200);
const SECONDS = arg('seconds', 3);

const HANDLER = `export default { async fetch(request) { return new Response('hello ' + new URL(request.url).pathname); } };`;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
const agent = new Agent({ connections: 4, keepAliveTimeout: 30_000 });

async function timed(url: string): Promise<number> {
  const t0 = performance.now();
  const r = await request(url, { dispatcher: agent });
  const body = await r.body.text();
  const ms = performance.now() - t0;
  if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${body}`);
  return ms;
}

async function deployMany(d: TestDaemon, prefix: string, n: number, extra: Record<string, unknown> = {}): Promise<void> {
  const files = { 'index.js': HANDLER };
  const queue = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let name = queue.shift(); name; name = queue.shift()) {
        const r = await d.api('POST', '/v1/functions', { name, code: { files, entry: 'index.js' }, ...extra });
        if (r.status >= 300) throw new Error(`deploy ${name}: ${r.status} ${JSON.stringify(r.body)}`);
      }
    }),
  );
}

async function cannon(url: string): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const r = await autocannon({ url, connections: 32, pipelining: 1, duration: SECONDS });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

async function bareServer(): Promise<{ url: string; stop(): Promise<void> }> {
  // The same handler, in-process in a plain Node HTTP server with Node's own Request/Response.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-bench-bare-'));
  const file = path.join(dir, 'bare.mjs');
  await writeFile(
    file,
    `import { createServer } from 'node:http';
const handler = { async fetch(request) { return new Response('hello ' + new URL(request.url).pathname); } };
createServer(async (req, res) => {
  const chunks = []; for await (const c of req) chunks.push(c);
  const body = chunks.length ? Buffer.concat(chunks) : null;
  const request = new Request('http://' + req.headers.host + req.url, { method: req.method, headers: req.headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : body });
  const r = await handler.fetch(request, {});
  const b = Buffer.from(await r.arrayBuffer());
  res.writeHead(r.status, { ...Object.fromEntries(r.headers), 'content-length': b.length });
  res.end(b);
}).listen(0, '127.0.0.1', function () { console.log('listening ' + this.address().port); });`,
  );
  const p = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => p.stdout.on('data', (d: Buffer) => { const m = /listening (\d+)/.exec(String(d)); if (m) resolve(Number(m[1])); }));
  return {
    url: `http://127.0.0.1:${port}/bench`,
    async stop() {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function rssOf(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then((s) => Number(/VmRSS:\s+(\d+) kB/.exec(s)![1]) * 1024);
}

/** RSS of the daemon and its function-host processes (children running host-main.js), where the isolates live. */
async function rssWithHosts(pid: number): Promise<number> {
  let total = await rssOf(pid);
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/status`, 'utf8').includes(`PPid:\t${pid}\n`) && readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('host-main.js')) total += await rssOf(Number(e));
    } catch {
      continue; // gone meanwhile
    }
  }
  return total;
}

async function imageColdStart(d: TestDaemon, gw: string): Promise<{ p50: number; samples: number[]; firstP50: number } | string> {
  const mods = (await d.api<{ modules: Array<{ kind: string; state: string }> }>('GET', '/v1/modules')).body.modules;
  if (!mods.some((m) => m.kind === 'llmos.containers.v1' && m.state === 'loaded')) return 'containers module not loaded';
  const { registrySkipReason, startRegistry, pushBusyboxImage } = await import('../../test/support/registry.js');
  const skip = registrySkipReason();
  if (skip) return skip;
  const reg = await startRegistry();
  try {
    const img = await pushBusyboxImage(reg, 'bench/httpd', { cmd: ['/bin/httpd', '-f', '-p', '8080', '-h', '/www'], files: { 'www/index.html': 'hello\n' } });
    // A fresh function's first request (create + start), then cold starts after scale to zero
    // (keep-alive 1 s), which start the container prepared after the previous cold start.
    const first: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await d.api('POST', '/v1/functions', { name: `img${i}`, image: img.ref, port: 8080, keepAlive: 'fixed:1s' });
      if (r.status >= 300) throw new Error(`deploy img${i}: ${JSON.stringify(r.body)}`);
      const ms = await timed(`${gw}/fn/img${i}/index.html`);
      if (i > 0) first.push(ms); // img0's first request also pulled the image
    }
    const samples: number[] = [];
    for (let i = 0; i < 6; i++) {
      for (;;) {
        const { body } = await d.api<{ stats: { instances: number } }>('GET', '/v1/functions/img0');
        if (body.stats.instances === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 300)); // let the prepared container settle
      samples.push(await timed(`${gw}/fn/img0/index.html`));
    }
    for (let i = 0; i < 4; i++) await d.api('DELETE', `/v1/functions/img${i}`);
    return { p50: pct(samples, 50), samples, firstP50: pct(first, 50) };
  } finally {
    await reg.stop();
  }
}

async function main(): Promise<void> {
  process.chdir(projectRoot);
  const d = await startDaemon();
  const gw = d.gateway!;
  const out: Record<string, unknown> = { date: new Date().toISOString(), cpus: os.cpus().length, node: process.version };
  try {
    // 1. Cold: each function's first request starts its isolate.
    await deployMany(d, 'cold', N_COLD);
    await timed(`${gw}/fn/nope-warmup/`).catch(() => undefined);
    // Cold requests 20 ms apart (distinct functions): arrivals as they come in practice, with time
    // for the daemon to refill its spare isolates; a back-to-back burst is reported separately.
    const cold: number[] = [];
    for (let i = 0; i < N_COLD; i++) {
      await new Promise((r) => setTimeout(r, 20));
      cold.push(await timed(`${gw}/fn/cold${i}/x`));
    }
    const startLogs = (await d.api<{ logs: Array<{ function: string; text: string }> }>('GET', `/v1/functions/-/logs?tail=${N_COLD * 4}`)).body.logs;
    const serverStart = startLogs.filter((l) => l.function.startsWith('cold')).map((l) => /instance started in ([\d.]+) ms/.exec(l.text)).filter((m) => m).map((m) => Number(m![1]));
    await deployMany(d, 'burst', 50);
    const burst: number[] = [];
    for (let i = 0; i < 50; i++) burst.push(await timed(`${gw}/fn/burst${i}/x`));
    out.coldInvoke = { n: N_COLD, p50: pct(cold, 50), p90: pct(cold, 90), p99: pct(cold, 99), serverStartP50: pct(serverStart, 50), backToBackP50: pct(burst, 50), targetP50: 5 };
    console.log(`cold invoke over HTTP: p50 ${pct(cold, 50).toFixed(2)} ms, p90 ${pct(cold, 90).toFixed(2)} ms (n=${N_COLD}, 20 ms apart; instance start in the daemon p50 ${pct(serverStart, 50).toFixed(2)} ms); back to back p50 ${pct(burst, 50).toFixed(2)} ms; target p50 < 5 ms`);
    for (let i = 0; i < 50; i++) await d.api('DELETE', `/v1/functions/burst${i}`);
    for (let i = 0; i < N_COLD; i++) await d.api('DELETE', `/v1/functions/cold${i}`);

    // 2. Warm throughput vs bare Node.
    await deployMany(d, 'warm', 1, { max: 2, concurrency: 64 });
    await timed(`${gw}/fn/warm0/bench`);
    // Alternating rounds, medians: the machine is shared, so one long run of each would compare
    // different moments more than different servers.
    const bare = await bareServer();
    const rounds: Array<{ b: Awaited<ReturnType<typeof cannon>>; g: Awaited<ReturnType<typeof cannon>> }> = [];
    for (let i = 0; i < 3; i++) rounds.push({ b: await cannon(bare.url), g: await cannon(`${gw}/fn/warm0/bench`) });
    await bare.stop();
    const mid = <T>(xs: T[], key: (x: T) => number) => [...xs].sort((p, q) => key(p) - key(q))[1]!;
    const b = mid(rounds.map((r) => r.b), (x) => x.rps);
    const g = mid(rounds.map((r) => r.g), (x) => x.rps);
    out.warm = { gateway: g, bare: b, ratio: g.rps / b.rps, rounds, targetRatio: 0.5 };
    console.log(`warm: gateway ${g.rps.toFixed(0)} req/s p50 ${g.p50} ms p99 ${g.p99} ms (errors ${g.errors}); bare node ${b.rps.toFixed(0)} req/s p50 ${b.p50} ms; ratio ${(g.rps / b.rps).toFixed(2)} (target >= 0.5)`);
    await d.api('DELETE', '/v1/functions/warm0');

    // 3. Image-function cold start.
    const img = await imageColdStart(d, gw);
    out.imageColdStart = typeof img === 'string' ? { skipped: img } : { ...img, targetP50: 150 };
    console.log(typeof img === 'string' ? `image cold start: skipped (${img})` : `image cold start over HTTP after scale to zero: p50 ${img.p50.toFixed(1)} ms (samples ${img.samples.map((x) => x.toFixed(0)).join(', ')}); a new function's first request p50 ${img.firstP50.toFixed(1)} ms; target < 150 ms`);

    // 4. Memory per warm instance with N_FUNCTIONS functions deployed and kept warm.
    const pid = d.proc.pid!;
    global.gc?.();
    const before = await rssWithHosts(pid);
    await deployMany(d, 'idle', N_FUNCTIONS, { min: 1 });
    for (;;) {
      const { body } = await d.api<{ functions: Array<{ spec: { name: string }; stats: { ready: number } }> }>('GET', '/v1/functions');
      if (body.functions.filter((f) => f.spec.name.startsWith('idle') && f.stats.ready >= 1).length >= N_FUNCTIONS) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 2000));
    const after = await rssWithHosts(pid);
    const per = (after - before) / N_FUNCTIONS;
    out.memory = { functions: N_FUNCTIONS, rssBefore: before, rssAfter: after, perInstanceBytes: per, targetBytes: 3 * 2 ** 20 };
    console.log(`memory: ${N_FUNCTIONS} warm isolate functions, daemon + hosts RSS ${(before / 2 ** 20).toFixed(0)} -> ${(after / 2 ** 20).toFixed(0)} MiB = ${(per / 2 ** 20).toFixed(2)} MiB per warm instance (target < 3 MiB)`);
  } finally {
    await d.stop();
    await agent.close();
  }
  console.log(JSON.stringify(out));
}

await main();
