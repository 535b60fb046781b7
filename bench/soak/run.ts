// bench/soak: a compressed day of use, then the question of issue 18: once the workloads are gone,
// is the daemon back to its size? Each cycle runs and removes containers (with logs and exec),
// creates a service, scales it up and down and deletes it, deploys a function, invokes it and
// deletes it, pulls the image again and reads status, lists and metrics. RSS is compared, after
// a forced full GC (through the inspector: inspector.ts), at three points:
//   fresh        after boot;
//   warmed       after one cycle of everything and its removal (what loads once on first use:
//                undici on the first pull, the function host process, ...);
//   after use    after all the cycles, everything removed.
// "No growth" (the target) is after use vs warmed; fresh is shown beside it. Then a heap snapshot,
// a quarter as many cycles again, and a second snapshot: their diff names what grows, by
// constructor. (The snapshots come last because taking one leaves tens of MiB of native memory
// with malloc, which would hide what the cycles leave.)
// Run (root): npm run build && node dist/bench/soak/run.js [--cycles 40] [--minutes M]
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { startDaemon } from '../../test/support/daemon.js';
import { pushBusyboxImage, startRegistry } from '../../test/support/registry.js';
import { until } from '../../test/support/until.js';
import { heapDiff, Inspector, newByHolder } from './inspector.js';

const { values } = parseArgs({ options: { cycles: { type: 'string', default: '40' }, minutes: { type: 'string' } } });
const maxCycles = values.minutes ? Infinity : Number(values.cycles);
const deadline = values.minutes ? Date.now() + Number(values.minutes) * 60_000 : Infinity;
const MiB = (b: number) => (b / 2 ** 20).toFixed(1);
const rss = async (pid: number) => 1024 * Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

const reg = await startRegistry();
const d = await startDaemon({ env: { NODE_OPTIONS: '--inspect=127.0.0.1:0' } });
const wsUrl = /Debugger listening on (ws:\/\/\S+)/.exec(d.output())?.[1];
if (!wsUrl) throw new Error(`no inspector URL in the daemon's output:\n${d.output()}`);
const insp = await Inspector.connect(wsUrl);
const pid = d.proc.pid!;
const ok = async <T>(what: string, p: Promise<{ status: number; body: T }>): Promise<T> => {
  const r = await p;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};

/** RSS after a forced GC, once two readings 1 s apart agree within 1% (or after 15 s). */
async function measured(): Promise<{ rss: number; mem: NodeJS.MemoryUsage }> {
  await insp.gc();
  let prev = await rss(pid);
  for (let i = 0; i < 15; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await rss(pid);
    if (Math.abs(now - prev) <= prev * 0.01) break;
    prev = now;
  }
  await insp.gc();
  return { rss: await rss(pid), mem: await insp.memoryUsage() };
}

const code = 'export default { fetch: (req) => new Response("hi " + new URL(req.url).pathname) }';
async function cycle(image: string, i: number): Promise<void> {
  // containers: run to exit with logs, and a running one with exec and logs
  const a = await ok('create', d.api<{ id: string }>('POST', '/v1/containers?start=true', { image, cmd: ['/bin/sh', '-c', `echo cycle ${i}`], network: 'bridge' }));
  await ok('wait', d.api('POST', `/v1/containers/${a.id}/wait`));
  await ok('logs', d.api('GET', `/v1/containers/${a.id}/logs?tail=5`));
  await ok('rm', d.api('DELETE', `/v1/containers/${a.id}?force=true`));
  const b = await ok('create', d.api<{ id: string }>('POST', '/v1/containers?start=true', { image, cmd: ['/bin/sleep', '600'], network: i % 2 ? 'none' : 'bridge' }));
  await ok('exec', d.api('POST', `/v1/containers/${b.id}/exec`, { cmd: ['/bin/echo', 'hi'] }));
  await ok('logs', d.api('GET', `/v1/containers/${b.id}/logs?tail=5`));
  await ok('rm -f', d.api('DELETE', `/v1/containers/${b.id}?force=true`));
  // a service scaled up and down, then deleted
  const name = `soak-${i % 4}`;
  await ok('service', d.api('POST', '/v1/services', { apiVersion: 'llmos.io/v1', kind: 'Service', metadata: { name }, spec: { image, replicas: 1, command: ['/bin/sleep', '600'] } }));
  await ok('scale', d.api('POST', `/v1/services/${name}/scale`, { replicas: 3, reason: 'soak' }));
  await until(`${name} at 3 replicas`, async () => (await d.api<{ currentReplicas: number }>('GET', `/v1/services/${name}`)).body.currentReplicas === 3, 60_000, 100);
  await ok('scale', d.api('POST', `/v1/services/${name}/scale`, { replicas: 1, reason: 'soak' }));
  await ok('service logs', d.api('GET', `/v1/services/${name}/logs?tail=5`));
  await ok('delete service', d.api('DELETE', `/v1/services/${name}`));
  // a function deployed, invoked and deleted
  const fn = `soak-fn-${i % 3}`;
  await ok('deploy', d.api('POST', '/v1/functions', { name: fn, code: { files: { 'index.js': code }, entry: 'index.js' } }));
  for (let k = 0; k < 5; k++) await ok('invoke', d.api('POST', `/v1/functions/${fn}/invoke`, { method: 'GET', path: `/x${k}` }));
  await ok('delete fn', d.api('DELETE', `/v1/functions/${fn}`));
  // a pull of what is already there (manifest round trips), and the reads a dashboard makes
  await ok('pull', d.api('POST', '/v1/images/pull', { ref: image }));
  for (const p of ['/v1/status', '/v1/containers?all=true', '/v1/services', '/v1/functions', '/v1/images', '/metrics']) await ok(p, d.api('GET', p));
}

/** Everything the cycles made is gone: no containers (service replicas included), services or functions. */
async function allGone(): Promise<void> {
  await until('all workloads gone', async () => {
    const c = await d.api<{ containers: unknown[] }>('GET', '/v1/containers?all=true');
    const s = await d.api<{ services: unknown[] }>('GET', '/v1/services');
    const f = await d.api<{ functions: unknown[] }>('GET', '/v1/functions');
    return c.body.containers.length === 0 && s.body.services.length === 0 && f.body.functions.length === 0;
  }, 120_000, 250);
}

try {
  const image = (await pushBusyboxImage(reg, 'bench/busybox')).ref;
  const fresh = await measured();
  await ok('pull', d.api('POST', '/v1/images/pull', { ref: image }));
  await cycle(image, 0);
  await allGone();
  const warmed = await measured();
  const t0 = Date.now();
  let n = 0;
  while (n < maxCycles && Date.now() < deadline) await cycle(image, ++n);
  await allGone();
  const after = await measured();
  const s = Date.now();
  const before = await insp.heapSummary();
  const more = Math.max(3, Math.ceil(n / 4));
  for (let k = 0; k < more; k++) await cycle(image, n + 1 + k);
  await allGone();
  await insp.gc();
  const end = await insp.heapSummary(before.ids);
  const snapshotSeconds = (Date.now() - s) / 1000;
  const row = (label: string, m: { rss: number; mem: NodeJS.MemoryUsage }) =>
    `  ${label.padEnd(34)} RSS ${MiB(m.rss).padStart(6)} MiB   V8 heap used ${MiB(m.mem.heapUsed).padStart(5)} of ${MiB(m.mem.heapTotal).padStart(5)}   external ${MiB(m.mem.external).padStart(5)}   array buffers ${MiB(m.mem.arrayBuffers).padStart(5)}`;
  const grew = after.rss - warmed.rss;
  // Within 2 MiB, or 3%, of the warmed figure: what malloc keeps in its free lists moves by about that.
  const met = grew <= Math.max(2 * 2 ** 20, warmed.rss * 0.03);
  const lines = [
    `bench/soak: ${n} cycles in ${((Date.now() - t0) / 1000).toFixed(0)} s (${n * 2} containers, ${n} services scaled 1->3->1, ${n} functions x5 invokes, ${n} pulls); ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)}`,
    row('fresh (after boot, GC)', fresh),
    row('warmed (one cycle, all removed, GC)', warmed),
    row(`after ${n} cycles, all removed, GC`, after),
    `  after use vs warmed: ${grew >= 0 ? '+' : ''}${MiB(grew)} MiB (${((grew / Math.max(1, n)) / 1024).toFixed(1)} KiB per cycle); vs fresh ${after.rss >= fresh.rss ? '+' : ''}${MiB(after.rss - fresh.rss)} MiB; target "no growth once workloads are gone": ${met ? 'MET' : 'NOT MET'}`,
    `  V8 heap snapshots around ${more} more cycles (${snapshotSeconds.toFixed(0)} s): ${MiB(before.total)} MiB -> ${MiB(end.total)} MiB; what grew most:`,
    ...heapDiff(before, end).map((g) => `    ${(g.bytes >= 0 ? '+' : '') + (g.bytes / 1024).toFixed(1)} KiB  ${g.count >= 0 ? '+' : ''}${g.count} x ${g.key}`),
    `  objects new since the first snapshot and still live, by what holds them (a new object's own new children are not listed):`,
    ...newByHolder(end).map((g) => `    ${(g.bytes / 1024).toFixed(1).padStart(7)} KiB  ${String(g.count).padStart(5)} x ${g.key}`),
  ];
  console.log(lines.join('\n'));
} finally {
  insp.close();
  await d.removeContainers();
  await reg.stop();
  await d.stop();
}
