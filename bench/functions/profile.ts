// bench/functions/profile: where the warm path's CPU goes. Starts a daemon whose process and
// function hosts run with --cpu-prof, drives the bench handler with autocannon, stops the daemon
// (the profiles are written at exit) and prints, per process, the self time by category (HTTP
// parse, wire framing, isolated-vm, prelude, GC, ...) and the top functions, in µs per request.
// Run: npm run build && node --no-node-snapshot dist/bench/functions/profile.js [--seconds 5] [--top 25]
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SECONDS = arg('seconds', 5);
const TOP = arg('top', 25);
const HANDLER = `export default { async fetch(request) { const u = new URL(request.url); return Response.json({ path: u.pathname, q: u.searchParams.get('q'), ua: request.headers.get('user-agent') }, { headers: { 'x-bench': '1' } }); } };`;

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  startTime: number;
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

/** Which part of the path a frame belongs to, by its file and name. */
function category(f: Node['callFrame']): string {
  const u = f.url;
  const n = f.functionName;
  if (n === '(garbage collector)') return 'GC';
  if (n === '(idle)' || n === '(program)') return n;
  if (/_http_|node:http|llhttp|HTTPParser/.test(u) || /parserOn|HTTPParser/.test(n)) return 'node http';
  if (/node:net|stream_base|node:internal\/streams|node:stream/.test(u)) return 'node net/streams';
  if (/wire\.(js|ts)|node:v8|serdes/.test(u) || /serialize|deserialize/i.test(n)) return 'wire (v8 serialize, framing)';
  if (/isolated-vm/.test(u)) return 'isolated-vm';
  if (/llmos:prelude|fn:/.test(u)) return 'in isolate (prelude + handler)';
  if (/gateway/.test(u)) return 'gateway';
  if (/functions\/(pool|module|metrics)|prom-client/.test(u)) return 'pool + metrics';
  if (/functions\/host|functions\/runtime/.test(u)) return 'host/runtime';
  if (/node:internal\/(timers|process\/task_queues)|node:timers/.test(u)) return 'timers/microtasks';
  if (u === '') return `native: ${n || '(anonymous)'}`;
  return 'other JS';
}

/** Self time by node over the samples taken in [from, to] (µs of the monotonic clock, as the profile's). */
function summarize(p: Profile, requests: number, from: number, to: number): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (t >= from && t <= to) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + dt);
  }
  const cats = new Map<string, number>();
  const fns = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    const c = category(f);
    if (c === '(idle)') continue;
    busy += us;
    cats.set(c, (cats.get(c) ?? 0) + us);
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\//, '')}:${f.lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const per = (us: number) => (us / requests).toFixed(1).padStart(7);
  const lines = [`  busy ${per(busy)} µs/req`];
  for (const [c, us] of [...cats].sort((a, b) => b[1] - a[1])) lines.push(`  ${per(us)}  ${c}`);
  lines.push('  top functions (self):');
  for (const [k, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, TOP)) lines.push(`  ${per(us)}  ${k}`);
  return lines.join('\n');
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-prof-'));
const flags = `--cpu-prof --cpu-prof-dir=${dir} --cpu-prof-interval=250`;
// Node refuses --cpu-prof in NODE_OPTIONS: the daemon is started through a copy of bin/llmos's
// `up` line with the flags (the same V8 flags as bin/llmos), the hosts through LLMOS_HOST_EXEC_ARGV.
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const wrapper = path.join(dir, 'llmos');
await writeFile(wrapper, `#!/bin/sh\nMALLOC_ARENA_MAX=2 exec node --max-semi-space-size=2 ${flags} ${root}/dist/src/cli-bundle/main.mjs "$@"\n`);
await chmod(wrapper, 0o755);
process.env.LLMOS_TEST_BIN = wrapper;
const { projectRoot, startDaemon } = await import('../../test/support/daemon.js');
process.chdir(projectRoot);
const d = await startDaemon({ env: { LLMOS_HOST_EXEC_ARGV: flags } });
const nowUs = () => Number(process.hrtime.bigint() / 1000n);
/** The measured run: its requests and its window on the monotonic clock. */
async function measure(): Promise<{ total: number; from: number; to: number }> {
  try {
    const r = await d.api('POST', '/v1/functions', { name: 'warm', code: { files: { 'index.js': HANDLER }, entry: 'index.js' }, max: 2, concurrency: 64 });
    if (r.status >= 300) throw new Error(JSON.stringify(r.body));
    await autocannon({ url: `${d.gateway}/fn/warm/bench?q=1`, connections: 32, duration: 1 });
    const from = nowUs();
    const res = await autocannon({ url: `${d.gateway}/fn/warm/bench?q=1`, connections: 32, pipelining: 1, duration: SECONDS });
    const to = nowUs();
    console.log(`${res.requests.average.toFixed(0)} req/s over ${SECONDS} s (${res.requests.total} requests, errors ${res.errors + res.non2xx}); load ${os.loadavg()[0]!.toFixed(1)}`);
    return { total: res.requests.total, from, to };
  } finally {
    await d.stop();
  }
}
const { total, from, to } = await measure();
// Only the samples of the measured run count (not boot, deploy, warm-up or shutdown).
const requests = total;
for (const f of (await readdir(dir)).filter((x) => x.endsWith('.cpuprofile'))) {
  const p = JSON.parse(await readFile(path.join(dir, f), 'utf8')) as Profile;
  const isHost = p.nodes.some((n) => /host-main/.test(n.callFrame.url));
  console.log(`${isHost ? 'function host' : 'daemon / other'} (${f}):\n${summarize(p, requests, from, to)}`);
}
if (process.argv.includes('--keep')) console.log(`profiles kept in ${dir}`);
else await rm(dir, { recursive: true, force: true });
