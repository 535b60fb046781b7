// bench/footprint: the daemon's resident memory, against containerd's in the same run.
//   1. idle RSS after boot: containerd (Debian's, `version = 2` config, own root/state/socket) vs
//      `llmos up` (every module) vs `llmos up --profile edge`. Targets (issue 18): <= 80 MiB, edge <= 50 MiB.
//   2. RSS growth per container with N busybox containers running (API, network none).
//   3. light use (containers run and removed, a function deployed, invoked and removed) for
//      --use-seconds, then idle again: RSS should come back to the fresh figure once workloads are gone.
// RSS is read from /proc/PID/status (VmRSS) once it has settled (the same figure for 2 s).
// Run (root): npm run build && node dist/bench/footprint/run.js [--containers 100] [--use-seconds 60]
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startDaemon, type TestDaemon } from '../../test/support/daemon.js';
import { pushBusyboxImage, startRegistry } from '../../test/support/registry.js';

const { values } = parseArgs({ options: { containers: { type: 'string', default: '100' }, 'use-seconds': { type: 'string', default: '60' } } });
const nContainers = Number(values.containers);
const useSeconds = Number(values['use-seconds']);
const mib = (kib: number) => (kib / 1024).toFixed(1);

const rssKiB = async (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

/** VmRSS once two readings 1 s apart agree within 1%, or after 20 s. */
async function settledRss(pid: number): Promise<number> {
  let prev = await rssKiB(pid);
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await rssKiB(pid);
    if (Math.abs(now - prev) <= prev * 0.01) return now;
    prev = now;
  }
  return prev;
}

async function containerd(): Promise<{ proc: ChildProcess; dir: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-bench-containerd-'));
  await writeFile(path.join(dir, 'config.toml'), 'version = 2\n');
  const sock = path.join(dir, 'containerd.sock');
  const proc = spawn('containerd', ['--config', path.join(dir, 'config.toml'), '--root', path.join(dir, 'root'), '--state', path.join(dir, 'state'), '--address', sock], { stdio: 'ignore' });
  for (let i = 0; i < 300 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(sock)) throw new Error('containerd did not open its socket in 30 s');
  return { proc, dir };
}

async function stopped(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  const exit = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exit;
}

const lines: string[] = [];
const say = (s: string) => (console.log(s), lines.push(s));

// The first daemon of a build writes the bundle's V8 code cache (scripts/daemon-loader.mjs), which
// costs that process memory: boot one first, so every figure below is of a daemon with the cache.
await (await startDaemon()).stop();

// 1. idle
const ctrd = await containerd();
const ctrdKiB = await settledRss(ctrd.proc.pid!);
await stopped(ctrd.proc);
await rm(ctrd.dir, { recursive: true, force: true });
const edge = await startDaemon({ args: ['--profile', 'edge'] });
const edgeKiB = await settledRss(edge.proc.pid!);
await edge.stop();
const d: TestDaemon = await startDaemon();
const reg = await startRegistry();
try {
  const fullKiB = await settledRss(d.proc.pid!);
  say(`bench/footprint: idle RSS after boot (settled)`);
  say(`  containerd ${'(version = 2)'.padEnd(18)} ${mib(ctrdKiB).padStart(7)} MiB`);
  say(`  llmos up (all modules)        ${mib(fullKiB).padStart(7)} MiB  ${(fullKiB / ctrdKiB).toFixed(2)}x containerd  target 80 MiB: ${fullKiB <= 80 * 1024 ? 'MET' : 'NOT MET'}`);
  say(`  llmos up --profile edge       ${mib(edgeKiB).padStart(7)} MiB  ${(edgeKiB / ctrdKiB).toFixed(2)}x containerd  target 50 MiB: ${edgeKiB <= 50 * 1024 ? 'MET' : 'NOT MET'}`);

  // 2. N running containers
  const image = (await pushBusyboxImage(reg, 'bench/busybox')).ref;
  await d.api('POST', '/v1/images/pull', { ref: image });
  const pulledKiB = await settledRss(d.proc.pid!);
  say(`  after the first pull (busybox)   ${mib(pulledKiB).padStart(7)} MiB  (+${mib(pulledKiB - fullKiB)}: the registry client's undici loads on first use)`);
  const ids: string[] = [];
  if (nContainers > 0) {
    for (let i = 0; i < nContainers; i++) {
      const r = await d.api<{ id: string }>('POST', '/v1/containers?start=true', { image, cmd: ['/bin/sleep', '600'], network: 'none' });
      if (r.status !== 201) throw new Error(`create ${i}: ${JSON.stringify(r.body)}`);
      ids.push(r.body.id);
    }
    const withKiB = await settledRss(d.proc.pid!);
    // Against the figure after the pull (the image and undici are loaded by then), not the fresh one.
    say(`  with ${nContainers} containers running     ${mib(withKiB).padStart(7)} MiB  (+${((withKiB - pulledKiB) / nContainers).toFixed(0)} KiB per container over the figure after the pull)`);
    for (const id of ids) await d.api('DELETE', `/v1/containers/${id}?force=true`);
  }

  // 3. light use, then idle again: containers first, then functions, so each one's share shows.
  const code = 'export default { fetch: (req) => new Response("hi " + new URL(req.url).pathname) }';
  const phase = async (label: string, seconds: number, cycle: (i: number) => Promise<void>, ref: number) => {
    const t0 = Date.now();
    let i = 0;
    while (Date.now() - t0 < seconds * 1000) await cycle(i++);
    const kib = await settledRss(d.proc.pid!);
    say(`  after ${seconds} s of ${label} (${i} cycles), gone again: ${mib(kib).padStart(7)} MiB  (${kib >= ref ? '+' : ''}${mib(kib - ref)} MiB over the previous figure)`);
    return kib;
  };
  const beforeUse = await settledRss(d.proc.pid!);
  const afterContainers = await phase('containers run and removed', useSeconds / 2, async () => {
    const r = await d.api<{ id: string }>('POST', '/v1/containers?start=true', { image, cmd: ['/bin/true'], network: 'bridge' });
    if (r.status !== 201) throw new Error(`create: ${JSON.stringify(r.body)}`);
    await d.api('POST', `/v1/containers/${r.body.id}/wait`);
    await d.api('DELETE', `/v1/containers/${r.body.id}?force=true`);
    for (const p of ['/v1/status', '/v1/containers?all=true', '/metrics']) await d.api('GET', p);
  }, beforeUse);
  const afterFunctions = await phase('functions deployed, invoked 5x and removed', useSeconds / 2, async (i) => {
    const fn = `bench-fn-${i % 3}`;
    const dep = await d.api('POST', '/v1/functions', { name: fn, code: { files: { 'index.js': code }, entry: 'index.js' } });
    if (dep.status >= 300) throw new Error(`deploy: ${JSON.stringify(dep.body)}`);
    for (let k = 0; k < 5; k++) await d.api('POST', `/v1/functions/${fn}/invoke`, { method: 'GET', path: '/x' });
    await d.api('DELETE', `/v1/functions/${fn}`);
  }, afterContainers);
  say(`  light use in all: ${mib(afterFunctions)} MiB idle vs ${mib(fullKiB)} MiB fresh (${afterFunctions >= fullKiB ? '+' : ''}${mib(afterFunctions - fullKiB)} MiB)`);
} finally {
  await reg.stop();
  await d.stop();
}
