// bench/start/pool: what the network namespace pool (network/netns-pool.ts) takes off a start.
// Two daemons of this build on the same bridge, one with the pool (the default, 2 entries) and one
// with `netnsPool: 0` (the path before it), and bare `runc run` of the same bundle, interleaved:
// API create+start+wait of /bin/true (POST /v1/containers/run?attach=true, bridge). Before each
// pooled run the bench waits for the pool to be full again (the steady state of starts more than
// ~0.5 s apart; a burst faster than the refill falls back to the old path).
// Run (root): npm run build && node dist/bench/start/pool.js [iterations]
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../../test/support/daemon.js';
import { pushBusyboxImage, startRegistry } from '../../test/support/registry.js';
import { runcBundle } from './runc-bundle.js';
import { until } from '../../test/support/until.js';

const n = Number(process.argv[2] ?? 10);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => `median ${median(xs).toFixed(1).padStart(7)} ms  (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`;

function runc(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    spawn('runc', args, { stdio: 'ignore' }).on('exit', () => resolve(performance.now() - t0));
  });
}

async function poolFull(d: TestDaemon): Promise<boolean> {
  for (const m of await readdir(path.join(d.dataDir, 'modules'))) {
    const text = await readFile(path.join(d.dataDir, 'modules', m, 'netns-pool.json'), 'utf8').catch(() => '');
    if (!text) continue;
    const ids = (JSON.parse(text) as { entries: string[] }).entries;
    const made = await Promise.all(ids.map((i) => readFile(`/var/run/netns/${i}`).then(() => true, (e: NodeJS.ErrnoException) => e.code !== 'ENOENT')));
    return ids.length === 2 && made.every(Boolean);
  }
  return false;
}

async function runAttach(d: TestDaemon, image: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${d.host}/v1/containers/run?attach=true`, { method: 'POST', headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ image, cmd: ['/bin/true'], autoRemove: true }) });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok || !text.includes('"exit"')) throw new Error(`run?attach: ${res.status} ${text}`);
  return ms;
}

const reg = await startRegistry();
const work = await mkdtemp(path.join(os.tmpdir(), 'llmos-bench-pool-'));
const offDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-bench-nopool-'));
await writeFile(path.join(offDir, 'config.json'), JSON.stringify({ modules: { network: { netnsPool: 0 } } }));
const on = await startDaemon();
const off = await startDaemon({ dataDir: offDir });
try {
  const image = (await pushBusyboxImage(reg, 'bench/busybox', { cmd: ['/bin/true'] })).ref;
  const bundle = await runcBundle(image, work);
  const root = path.join(work, 'runc');
  // Warm-up: the pulls, the page cache, and the first start that fills the pool.
  await runAttach(on, image);
  await runAttach(off, image);
  await runc(['--root', root, 'run', '-b', bundle, 'warm']);
  const t = { on: [] as number[], off: [] as number[], runc: [] as number[] };
  for (let i = 0; i < n; i++) {
    await until('the pool is full', () => poolFull(on), 60_000, 20);
    // Alternate the order, so neither daemon always runs beside the other's removal.
    if (i % 2) t.off.push(await runAttach(off, image));
    t.on.push(await runAttach(on, image));
    if (!(i % 2)) t.off.push(await runAttach(off, image));
    t.runc.push(await runc(['--root', root, 'run', '-b', bundle, `b${i}`]));
  }
  const r = (a: number[]) => (median(a) / median(t.runc)).toFixed(2);
  console.log([
    `bench/start/pool: ${n} iterations, interleaved; ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)}`,
    `  runc run (same bundle)                          ${fmt(t.runc)}`,
    `  API create+start+wait, bridge, netnsPool 0      ${fmt(t.off)}  ${r(t.off)}x runc run`,
    `  API create+start+wait, bridge, pool (2, full)   ${fmt(t.on)}  ${r(t.on)}x runc run`,
    `  pool / no pool: ${(median(t.on) / median(t.off)).toFixed(2)}x`,
  ].join('\n'));
} finally {
  await on.stop();
  await off.stop();
  await reg.stop();
  await rm(work, { recursive: true, force: true });
  await rm(offDir, { recursive: true, force: true });
}
