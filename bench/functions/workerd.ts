// bench/functions/workerd: LLMOS beside Cloudflare's workerd on the same handler (issue 15).
//  1. warm throughput: autocannon, the same client settings, alternating rounds, medians
//     (target: LLMOS >= 1.0x workerd), and the CPU time each side spent per request (LLMOS: the
//     daemon plus its function-host processes), which the other load on a shared machine disturbs less
//  2. cold invoke p50/p95: a new function's first request through the gateway (target < 5 ms); for
//     workerd, which loads every worker at start, the first request after it listens (--cold-w starts)
//  3. memory per warm instance: N functions each warm once; RSS growth of the daemon and its
//     function hosts / N, against workerd's RSS growth from 1 to N+1 workers / N (target: <= workerd's)
// Run: npm run build && node --no-node-snapshot dist/bench/functions/workerd.js [--functions 100] [--cold 100] [--cold-w 10] [--seconds 3] [--warmup 3]
import { readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import autocannon from 'autocannon';
import { Agent, request } from 'undici';
import { projectRoot, startDaemon, type TestDaemon } from '../../test/support/daemon.js';
import { startWorkerd } from '../../test/functions/workerd.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N_FUNCTIONS = arg('functions', 100);
const N_COLD = arg('cold', 100);
const SECONDS = arg('seconds', 3);
const N_COLD_W = arg('cold-w', 10);
// An unmeasured round per side first: both are measured warm (V8 has compiled node:http and the
// gateway's path on LLMOS, and the handler on both), as a long-running service is.
const WARMUP = arg('warmup', 3);

// A handler that uses the platform a little (URL, JSON, headers), not only a constant string.
const HANDLER = `export default { async fetch(request) { const u = new URL(request.url); return Response.json({ path: u.pathname, q: u.searchParams.get('q'), ua: request.headers.get('user-agent') }, { headers: { 'x-bench': '1' } }); } };`;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;
const agent = new Agent({ connections: 4, keepAliveTimeout: 30_000 });
const rssOf = (pid: number) => readFile(`/proc/${pid}/status`, 'utf8').then((s) => Number(/VmRSS:\s+(\d+) kB/.exec(s)![1]) * 1024);
const mib = (b: number) => (b / 2 ** 20).toFixed(2);

/** CPU ms (user + system) of a process so far. */
const cpuMs = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // clock ticks of 10 ms (USER_HZ 100)
};
/** The daemon and its function-host processes (children running host-main.js). */
function daemonPids(d: TestDaemon): number[] {
  const hosts = readdirSync('/proc').filter((e) => {
    if (!/^\d+$/.test(e)) return false;
    try {
      return readFileSync(`/proc/${e}/status`, 'utf8').includes(`PPid:\t${d.proc.pid}\n`) && readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('host-main.js');
    } catch {
      return false; // gone meanwhile
    }
  });
  return [d.proc.pid!, ...hosts.map(Number)];
}
const rssAll = async (pids: number[]) => (await Promise.all(pids.map(rssOf))).reduce((a, b) => a + b, 0);

async function timed(url: string): Promise<number> {
  const t0 = performance.now();
  const r = await request(url, { dispatcher: agent });
  const body = await r.body.text();
  if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${body}`);
  return performance.now() - t0;
}

/** autocannon on url; `pids`: the processes serving it, whose CPU time per request is reported. */
async function cannon(url: string, pids: () => number[]): Promise<{ rps: number; p50: number; p99: number; errors: number; cpuUsPerReq: number }> {
  const ps = pids();
  const c0 = ps.map(cpuMs);
  const r = await autocannon({ url, connections: 32, pipelining: 1, duration: SECONDS });
  const used = ps.map(cpuMs).reduce((a, c, i) => a + c - c0[i]!, 0);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx, cpuUsPerReq: (used * 1000) / Math.max(1, r.requests.total) };
}

async function deploy(d: TestDaemon, name: string, extra: Record<string, unknown> = {}): Promise<void> {
  const r = await d.api('POST', '/v1/functions', { name, code: { files: { 'index.js': HANDLER }, entry: 'index.js' }, ...extra });
  if (r.status >= 300) throw new Error(`deploy ${name}: ${r.status} ${JSON.stringify(r.body)}`);
}

async function main(): Promise<void> {
  process.chdir(projectRoot);
  const out: Record<string, unknown> = { date: new Date().toISOString(), cpus: os.cpus().length, load: os.loadavg() };
  const d = await startDaemon();
  const gw = d.gateway!;
  const w = await startWorkerd({ bench: HANDLER });
  try {
    // 1. Warm throughput.
    await deploy(d, 'warm', { max: 2, concurrency: 64 });
    await timed(`${gw}/fn/warm/bench?q=1`);
    await timed(`${w.url.bench}/bench?q=1`);
    if (WARMUP > 0) for (const url of [`${w.url.bench}/bench?q=1`, `${gw}/fn/warm/bench?q=1`]) await autocannon({ url, connections: 32, duration: WARMUP });
    const rounds: Array<{ l: Awaited<ReturnType<typeof cannon>>; w: Awaited<ReturnType<typeof cannon>> }> = [];
    for (let i = 0; i < 3; i++) rounds.push({ w: await cannon(`${w.url.bench}/bench?q=1`, () => [w.pid]), l: await cannon(`${gw}/fn/warm/bench?q=1`, () => daemonPids(d)) });
    const mid = <T>(xs: T[], key: (x: T) => number) => [...xs].sort((p, q) => key(p) - key(q))[1]!;
    const l = mid(rounds.map((r) => r.l), (x) => x.rps);
    const wr = mid(rounds.map((r) => r.w), (x) => x.rps);
    out.warm = { llmos: l, workerd: wr, ratio: l.rps / wr.rps, rounds, targetRatio: 1 };
    console.log(`warm: LLMOS ${l.rps.toFixed(0)} req/s (p50 ${l.p50} ms, errors ${l.errors}, ${l.cpuUsPerReq.toFixed(0)} µs CPU/req); workerd ${wr.rps.toFixed(0)} req/s (p50 ${wr.p50} ms, ${wr.cpuUsPerReq.toFixed(0)} µs CPU/req); ratio ${(l.rps / wr.rps).toFixed(2)} (target >= 1.0); load ${os.loadavg()[0]!.toFixed(1)}`);

    // 2. Cold invoke.
    for (let i = 0; i < N_COLD; i++) await deploy(d, `cold${i}`);
    const cold: number[] = [];
    for (let i = 0; i < N_COLD; i++) {
      await new Promise((r) => setTimeout(r, 20));
      cold.push(await timed(`${gw}/fn/cold${i}/x`));
    }
    const firstW: number[] = [];
    for (let i = 0; i < N_COLD_W; i++) {
      const w2 = await startWorkerd({ first: HANDLER });
      firstW.push(await timed(`${w2.url.first}/x`));
      await w2.stop();
    }
    out.cold = { llmosP50: pct(cold, 50), llmosP90: pct(cold, 90), llmosP95: pct(cold, 95), workerdFirstRequestP50: pct(firstW, 50), workerdFirstRequestP95: pct(firstW, 95), targetP50: 5 };
    console.log(`cold invoke: LLMOS p50 ${pct(cold, 50).toFixed(2)} ms, p95 ${pct(cold, 95).toFixed(2)} ms (n=${N_COLD}; target p50 < 5 ms); workerd first request after start p50 ${pct(firstW, 50).toFixed(2)} ms, p95 ${pct(firstW, 95).toFixed(2)} ms (n=${N_COLD_W}); load ${os.loadavg()[0]!.toFixed(1)}`);
    for (let i = 0; i < N_COLD; i++) await d.api('DELETE', `/v1/functions/cold${i}`);

    // 3. Memory per warm instance.
    // The instances live in the function-host processes: their RSS counts with the daemon's.
    const before = await rssAll(daemonPids(d));
    for (let i = 0; i < N_FUNCTIONS; i++) await deploy(d, `idle${i}`, { min: 1 });
    for (let i = 0; i < N_FUNCTIONS; i++) await timed(`${gw}/fn/idle${i}/x`);
    await new Promise((r) => setTimeout(r, 2000));
    const after = await rssAll(daemonPids(d));
    const one = await startWorkerd({ w0: HANDLER });
    await timed(`${one.url.w0}/x`);
    const wOne = await rssOf(one.pid);
    await one.stop();
    const many = await startWorkerd(Object.fromEntries(Array.from({ length: N_FUNCTIONS + 1 }, (_, i) => [`w${i}`, HANDLER])));
    for (let i = 0; i <= N_FUNCTIONS; i++) await timed(`${many.url[`w${i}`]}/x`);
    await new Promise((r) => setTimeout(r, 2000));
    const wMany = await rssOf(many.pid);
    await many.stop();
    const perL = (after - before) / N_FUNCTIONS;
    const perW = (wMany - wOne) / N_FUNCTIONS;
    out.memory = { functions: N_FUNCTIONS, llmosPerInstance: perL, workerdPerInstance: perW, ratio: perL / perW };
    console.log(`memory per warm instance (${N_FUNCTIONS}): LLMOS ${mib(perL)} MiB (daemon + hosts RSS ${mib(before)} -> ${mib(after)}); workerd ${mib(perW)} MiB (RSS ${mib(wOne)} -> ${mib(wMany)}); ratio ${(perL / perW).toFixed(2)} (target <= 1.0)`);
  } finally {
    await w.stop();
    await d.stop();
    await agent.close();
  }
  console.log(JSON.stringify(out));
}

await main();
