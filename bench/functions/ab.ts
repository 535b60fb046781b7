// bench/functions/ab: this build against another (e.g. main's) and workerd, in one run, rounds
// alternating, so that the load of a shared machine falls on all of them alike:
//  - warm: autocannon on the bench handler (as workerd.ts), req/s and CPU µs per request of the
//    daemon + its function hosts (workerd: its process), medians of the rounds
//  - cold: a new function's first request through the gateway (as cold-probe.ts), 20 ms apart,
//    alternating between the two daemons, p50/p95
//  - host replaced: the first request after a namespace's host process was killed (a new process
//    is spawned, or with --spare-hosts N on this build a pre-spawned one is taken)
// Run: npm run build && node --no-node-snapshot dist/bench/functions/ab.js --base /path/to/other/checkout [--rounds 5] [--seconds 3] [--cold 60] [--ns 10] [--spare-hosts 1] [--warmup 3]
// (the other checkout built, with its node_modules; its bin/llmos starts its daemon)
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Agent, request } from 'undici';
import type { TestDaemon } from '../../test/support/daemon.js';
import { startWorkerd } from '../../test/functions/workerd.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const bi = process.argv.indexOf('--base');
if (bi < 0) throw new Error('--base DIR: the other checkout (built) to compare with');
const BASE = path.resolve(process.argv[bi + 1]!);
const ROUNDS = arg('rounds', 5);
const SECONDS = arg('seconds', 3);
const N_COLD = arg('cold', 60);
const N_NS = arg('ns', 10);
const SPARE_HOSTS = arg('spare-hosts', 0);
const WARMUP = arg('warmup', 3);
const HANDLER = `export default { async fetch(request) { const u = new URL(request.url); return Response.json({ path: u.pathname, q: u.searchParams.get('q'), ua: request.headers.get('user-agent') }, { headers: { 'x-bench': '1' } }); } };`;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? NaN;
const agent = new Agent({ connections: 4, keepAliveTimeout: 30_000 });

// Two copies of the harness, each with its own llmos binary (read when the module loads).
const mine = await import('../../test/support/daemon.js');
process.env.LLMOS_TEST_BIN = path.join(BASE, 'bin', 'llmos');
const again = '../../test/support/daemon.js?base'; // a second instance of the module (its own llmosBin)
const theirs = (await import(again)) as typeof mine;
delete process.env.LLMOS_TEST_BIN;
process.chdir(mine.projectRoot);

const cpuMs = (pid: number): number => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0; // gone
  }
};
function daemonPids(d: TestDaemon): number[] {
  const hosts = readdirSync('/proc').filter((e) => {
    if (!/^\d+$/.test(e)) return false;
    try {
      return readFileSync(`/proc/${e}/status`, 'utf8').includes(`PPid:\t${d.proc.pid}\n`) && readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('host-main.js');
    } catch {
      return false;
    }
  });
  return [d.proc.pid!, ...hosts.map(Number)];
}
interface Round { rps: number; cpuUsPerReq: number; p50: number; errors: number }
async function cannon(url: string, pids: number[]): Promise<Round> {
  const c0 = pids.map(cpuMs);
  const r = await autocannon({ url, connections: 32, pipelining: 1, duration: SECONDS });
  const used = pids.map(cpuMs).reduce((a, c, i) => a + c - c0[i]!, 0);
  return { rps: r.requests.average, cpuUsPerReq: (used * 1000) / Math.max(1, r.requests.total), p50: r.latency.p50, errors: r.errors + r.non2xx };
}
async function timed(url: string): Promise<number> {
  const t0 = performance.now();
  const r = await request(url, { dispatcher: agent });
  const body = await r.body.text();
  if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${body}`);
  return performance.now() - t0;
}
async function deploy(d: TestDaemon, name: string, extra: Record<string, unknown> = {}): Promise<void> {
  const r = await d.api('POST', '/v1/functions', { name, code: { files: { 'index.js': HANDLER }, entry: 'index.js' }, ...extra });
  if (r.status >= 300) throw new Error(`deploy ${name}: ${r.status} ${JSON.stringify(r.body)}`);
}
const med = (xs: Round[], k: keyof Round) => pct(xs.map((x) => x[k]), 50);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const aDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-ab-'));
if (SPARE_HOSTS) await writeFile(path.join(aDir, 'config.json'), JSON.stringify({ modules: { functions: { spareHosts: SPARE_HOSTS } } }));
const a = await mine.startDaemon({ dataDir: aDir });
const b = await theirs.startDaemon();
const w = await startWorkerd({ bench: HANDLER });
const out: Record<string, unknown> = { date: new Date().toISOString(), base: BASE, loadBefore: os.loadavg() };
try {
  for (const d of [a, b]) {
    await deploy(d, 'warm', { max: 2, concurrency: 64 });
    for (let i = 0; i < 50; i++) await timed(`${d.gateway}/fn/warm/bench?q=1`); // past the fast path's learning
  }
  await timed(`${w.url.bench}/bench?q=1`);
  // An unmeasured round each: all three are measured warm (workerd.ts says why).
  if (WARMUP > 0) for (const url of [`${w.url.bench}/bench?q=1`, `${a.gateway}/fn/warm/bench?q=1`, `${b.gateway}/fn/warm/bench?q=1`]) await autocannon({ url, connections: 32, duration: WARMUP });
  const rs = { mine: [] as Round[], base: [] as Round[], workerd: [] as Round[] };
  for (let i = 0; i < ROUNDS; i++) {
    rs.workerd.push(await cannon(`${w.url.bench}/bench?q=1`, [w.pid]));
    rs.mine.push(await cannon(`${a.gateway}/fn/warm/bench?q=1`, daemonPids(a)));
    rs.base.push(await cannon(`${b.gateway}/fn/warm/bench?q=1`, daemonPids(b)));
  }
  const warm = Object.fromEntries(Object.entries(rs).map(([k, v]) => [k, { rps: med(v, 'rps'), cpuUsPerReq: med(v, 'cpuUsPerReq'), p50: med(v, 'p50'), errors: v.reduce((s, x) => s + x.errors, 0) }]));
  out.warm = { ...warm, rounds: rs };
  const line = (k: string) => `${k} ${warm[k]!.rps.toFixed(0)} req/s, ${warm[k]!.cpuUsPerReq.toFixed(0)} µs CPU/req`;
  console.log(`warm (medians of ${ROUNDS} alternating rounds of ${SECONDS} s): ${line('mine')}; ${line('base')}; ${line('workerd')}; ratio to workerd: this ${(warm.mine!.rps / warm.workerd!.rps).toFixed(2)}, base ${(warm.base!.rps / warm.workerd!.rps).toFixed(2)}; load ${os.loadavg()[0]!.toFixed(1)}`);

  // Cold: a new function in a namespace whose host runs.
  for (let i = 0; i < N_COLD; i++) for (const d of [a, b]) await deploy(d, `c${i}`);
  const cold = { mine: [] as number[], base: [] as number[] };
  for (let i = 0; i < N_COLD; i++) {
    const order: Array<[TestDaemon, number[]]> = i % 2 ? [[a, cold.mine], [b, cold.base]] : [[b, cold.base], [a, cold.mine]];
    for (const [d, xs] of order) {
      await sleep(20);
      xs.push(await timed(`${d.gateway}/fn/c${i}/x`));
    }
  }
  out.cold = Object.fromEntries(Object.entries(cold).map(([k, v]) => [k, { p50: pct(v, 50), p95: pct(v, 95) }]));
  console.log(`cold invoke (n=${N_COLD} each, alternating, 20 ms apart): this p50 ${pct(cold.mine, 50).toFixed(2)} p95 ${pct(cold.mine, 95).toFixed(2)} ms; base p50 ${pct(cold.base, 50).toFixed(2)} p95 ${pct(cold.base, 95).toFixed(2)} ms; load ${os.loadavg()[0]!.toFixed(1)}`);

  // Host replaced: kill the namespace's host, let the daemon see it (and refill its spare), time the next request.
  const ns = { mine: [] as number[], base: [] as number[] };
  for (const d of [a, b]) await deploy(d, 'victim', { namespace: 'victims' });
  const hostOf = (d: TestDaemon) => daemonPids(d).slice(1).find((p) => readFileSync(`/proc/${p}/cgroup`, 'utf8').includes('/ns-victims'));
  for (let i = 0; i < N_NS; i++) {
    for (const [d, xs] of (i % 2 ? [[a, ns.mine], [b, ns.base]] : [[b, ns.base], [a, ns.mine]]) as Array<[TestDaemon, number[]]>) {
      await timed(`${d.gateway}/fn/victim/x`);
      const pid = hostOf(d);
      if (pid) process.kill(pid, 'SIGKILL');
      await sleep(1500);
      xs.push(await timed(`${d.gateway}/fn/victim/x`));
    }
  }
  out.hostReplaced = Object.fromEntries(Object.entries(ns).map(([k, v]) => [k, { p50: pct(v, 50), p95: pct(v, 95) }]));
  console.log(`first request after the host was killed (n=${N_NS} each, alternating; spareHosts ${SPARE_HOSTS} here): this p50 ${pct(ns.mine, 50).toFixed(2)} p95 ${pct(ns.mine, 95).toFixed(2)} ms; base p50 ${pct(ns.base, 50).toFixed(2)} p95 ${pct(ns.base, 95).toFixed(2)} ms; load ${os.loadavg()[0]!.toFixed(1)}`);
} finally {
  await w.stop();
  await a.stop();
  await b.stop();
  await agent.close();
  await rm(aDir, { recursive: true, force: true }); // a data dir of its own: the harness leaves it
}
console.log(JSON.stringify(out));
