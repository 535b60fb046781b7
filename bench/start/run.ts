// bench/start: container start latency and a burst of 100.
//   1. `llmos run --rm IMAGE /bin/true` end to end (CLI process included) vs
//      `podman --runtime runc run --rm` of the same image vs bare `runc run` of the same bundle,
//      interleaved in the same run; medians and ratios. Target (issue 18): llmos <= 0.3x podman.
//   2. API create+start+wait of /bin/true (POST /v1/containers/run?attach=true, read to the exit
//      line) vs bare `runc run` of the same bundle. Target (issue 18): <= 1.2x runc run.
//      API create+start (POST /v1/containers?start=true, a sleeping container) is shown beside it.
//   3. 100 containers started at once through the API: time until all run, daemon memory.
// Podman is only a peer for comparison: the script installs Debian's `podman` if it is missing.
// Run (root): npm run build && node dist/bench/start/run.js [iterations]
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { llmosBin, startDaemon } from '../../test/support/daemon.js';
import { pushBusyboxImage, startRegistry } from '../../test/support/registry.js';
import { runcBundle } from './runc-bundle.js';
import { dockerSocketLines } from './docker-socket.js';

const exec = promisify(execFile);
const n = Number(process.argv[2] ?? 10);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => `median ${median(xs).toFixed(1).padStart(7)} ms  (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`;

/** Runs a command to its exit. `runc create` leaves the container holding inherited pipes, so its stdio is not captured. */
function timed(cmd: string, args: string[], env?: NodeJS.ProcessEnv, capture = true): Promise<{ ms: number; code: number; out: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'ignore', env: env ?? process.env });
    let out = '';
    p.stdout?.on('data', (d: Buffer) => (out += d));
    p.stderr?.on('data', (d: Buffer) => (out += d));
    p.on(capture ? 'close' : 'exit', (code) => resolve({ ms: performance.now() - t0, code: code ?? 1, out }));
  });
}

function ensurePodman(): boolean {
  if (existsSync('/usr/bin/podman')) return true;
  console.log('installing Debian podman (bench peer only)...');
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'podman'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0 && existsSync('/usr/bin/podman');
}

const rssKiB = async (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

const reg = await startRegistry();
const work = await mkdtemp(path.join(os.tmpdir(), 'llmos-bench-start-'));
const d = await startDaemon();
const podman = ensurePodman();
const podmanBridgeExisted = existsSync('/sys/class/net/cni-podman0');
let pulled: string | undefined;
// podman's CNI leaves its firewall chains and lease directory behind; note what was there before.
const hadPodmanChains = spawnSync('iptables', ['-S', 'CNI-FORWARD'], { stdio: 'ignore' }).status === 0;
const hadPodmanLeases = existsSync('/var/lib/cni/networks/podman');
try {
  const image = (await pushBusyboxImage(reg, 'bench/busybox', { cmd: ['/bin/true'] })).ref;
  const env = { ...process.env, LLMOS_HOST: d.host, LLMOS_DATA_DIR: d.dataDir };

  const bundle = await runcBundle(image, work);
  const runcRoot = path.join(work, 'runc');

  // Warm-up: pulls and page cache.
  const warm = await timed(llmosBin, ['run', '--rm', image, '/bin/true'], env);
  if (warm.code !== 0) throw new Error(`llmos run failed: ${warm.out}`);
  const podmanArgs = ['--runtime', 'runc', 'run', '--rm', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
  if (podman) {
    await exec('podman', ['pull', '--quiet', '--tls-verify=false', image]);
    pulled = image;
    await timed('podman', [...podmanArgs, image, '/bin/true']);
  }
  await timed('runc', ['--root', runcRoot, 'run', '-b', bundle, 'warm']);

  const t = { llmos: [] as number[], llmosNone: [] as number[], podman: [] as number[], podmanNone: [] as number[], runcRun: [] as number[], runcCreateStart: [] as number[], apiBridge: [] as number[], apiNone: [] as number[], waitBridge: [] as number[], waitNone: [] as number[] };
  for (let i = 0; i < n; i++) {
    const a = await timed(llmosBin, ['run', '--rm', image, '/bin/true'], env);
    if (a.code !== 0) throw new Error(`llmos run: ${a.out}`);
    t.llmos.push(a.ms);
    t.llmosNone.push((await timed(llmosBin, ['run', '--rm', '--network', 'none', image, '/bin/true'], env)).ms);
    if (podman) {
      const p = await timed('podman', [...podmanArgs, image, '/bin/true']);
      if (p.code !== 0) throw new Error(`podman: ${p.out}`);
      t.podman.push(p.ms);
      t.podmanNone.push((await timed('podman', [...podmanArgs, '--network', 'none', image, '/bin/true'])).ms);
    }
    const r = await timed('runc', ['--root', runcRoot, 'run', '-b', bundle, `b${i}`]);
    if (r.code !== 0) throw new Error(`runc run: ${r.out}`);
    t.runcRun.push(r.ms);
    const c0 = performance.now();
    await timed('runc', ['--root', runcRoot, 'create', '-b', bundle, `c${i}`], undefined, false);
    await timed('runc', ['--root', runcRoot, 'start', `c${i}`], undefined, false);
    t.runcCreateStart.push(performance.now() - c0);
    await timed('runc', ['--root', runcRoot, 'delete', '-f', `c${i}`], undefined, false);
    for (const [key, network] of [['waitBridge', 'bridge'], ['waitNone', 'none']] as const) {
      const s0 = performance.now();
      const res = await fetch(`${d.host}/v1/containers/run?attach=true`, { method: 'POST', headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ image, cmd: ['/bin/true'], autoRemove: true, network }) });
      const text = await res.text();
      t[key].push(performance.now() - s0);
      if (!res.ok || !text.includes('"exit"')) throw new Error(`API create+start+wait: ${res.status} ${text}`);
    }
    for (const [key, network] of [['apiBridge', 'bridge'], ['apiNone', 'none']] as const) {
      const s0 = performance.now();
      const res = await d.api<{ id: string }>('POST', '/v1/containers?start=true', { image, cmd: ['/bin/sleep', '30'], network });
      t[key].push(performance.now() - s0);
      if (res.status !== 201) throw new Error(`API create+start: ${JSON.stringify(res.body)}`);
      await d.api('DELETE', `/v1/containers/${res.body.id}?force=true`);
    }
  }

  const lines = [`bench/start: ${n} iterations each, interleaved; ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)}`];
  lines.push(`  llmos run --rm (CLI, bridge)          ${fmt(t.llmos)}`);
  lines.push(`  llmos run --rm --network none (CLI)   ${fmt(t.llmosNone)}`);
  if (podman) {
    lines.push(`  podman --runtime runc run --rm        ${fmt(t.podman)}`);
    lines.push(`  podman ... --network none             ${fmt(t.podmanNone)}`);
  }
  lines.push(`  runc run (same bundle)                ${fmt(t.runcRun)}`);
  lines.push(`  runc create + start                   ${fmt(t.runcCreateStart)}`);
  lines.push(`  API create+start (bridge)             ${fmt(t.apiBridge)}`);
  lines.push(`  API create+start (network none)       ${fmt(t.apiNone)}`);
  lines.push(`  API create+start+wait /bin/true, bridge ${fmt(t.waitBridge)}`);
  lines.push(`  API create+start+wait, network none     ${fmt(t.waitNone)}`);
  if (podman) {
    const r = median(t.llmos) / median(t.podman);
    lines.push(`  ratio llmos/podman (bridge): ${r.toFixed(2)}x  (target <= 0.3x: ${r <= 0.3 ? 'MET' : 'NOT MET'})`);
    lines.push(`  ratio llmos/podman (none):   ${(median(t.llmosNone) / median(t.podmanNone)).toFixed(2)}x`);
  }
  const w = median(t.waitBridge) / median(t.runcRun);
  lines.push(`  ratio API create+start+wait / runc run: bridge ${w.toFixed(2)}x (target <= 1.2x: ${w <= 1.2 ? 'MET' : 'NOT MET'}), none ${(median(t.waitNone) / median(t.runcRun)).toFixed(2)}x`);
  lines.push(`  ratio API create+start / runc run: bridge ${(median(t.apiBridge) / median(t.runcRun)).toFixed(2)}x, none ${(median(t.apiNone) / median(t.runcRun)).toFixed(2)}x`);
  lines.push(...(await dockerSocketLines({ d, image, n, podman })));

  // 100 at once.
  const count = Number(process.env.BENCH_BURST ?? 100);
  const rss0 = await rssKiB(d.proc.pid!);
  const b0 = performance.now();
  const created = await Promise.all(Array.from({ length: count }, (_, i) => d.api<{ id: string; state: string }>('POST', '/v1/containers?start=true', { image, cmd: ['/bin/sleep', '300'], name: `burst-${i}` })));
  const allMs = performance.now() - b0;
  const failed = created.filter((r) => r.status !== 201);
  const list = await d.api<{ containers: Array<{ state: string }> }>('GET', '/v1/containers');
  const running = list.body.containers.filter((c) => c.state === 'running').length;
  const rss1 = await rssKiB(d.proc.pid!);
  const r0 = performance.now();
  await Promise.all(created.filter((r) => r.status === 201).map((r) => d.api('DELETE', `/v1/containers/${r.body.id}?force=true`)));
  const rmMs = performance.now() - r0;
  lines.push(`  ${count} containers at once (bridge): all running after ${allMs.toFixed(0)} ms (${running} running, ${failed.length} failed${failed.length ? `: ${JSON.stringify(failed[0]!.body)}` : ''}); removing all: ${rmMs.toFixed(0)} ms`);
  lines.push(`  daemon RSS: ${(rss0 / 1024).toFixed(1)} MiB before, ${(rss1 / 1024).toFixed(1)} MiB with ${running} running (${((rss1 - rss0) / Math.max(1, running)).toFixed(0)} KiB per container)`);
  console.log(lines.join('\n'));
  await writeFile(path.join(path.dirname(new URL(import.meta.url).pathname), 'last-run.txt'), lines.join('\n') + '\n').catch(() => undefined);
} finally {
  await d.stop();
  await reg.stop();
  await rm(work, { recursive: true, force: true });
  if (podman) {
    if (pulled) spawnSync('podman', ['rmi', '-f', pulled], { stdio: 'ignore' });
    // podman's CNI bridge is left by podman itself; remove it if this run created it.
    if (!podmanBridgeExisted && existsSync('/sys/class/net/cni-podman0')) spawnSync('ip', ['link', 'del', 'cni-podman0'], { stdio: 'ignore' });
    if (!hadPodmanChains) {
      const script = '*filter\n-D FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD\n-F CNI-FORWARD\n-F CNI-ADMIN\n-X CNI-FORWARD\n-X CNI-ADMIN\nCOMMIT\n';
      spawnSync('iptables-restore', ['--noflush'], { input: script, stdio: ['pipe', 'ignore', 'ignore'] });
    }
    if (!hadPodmanLeases) await rm('/var/lib/cni/networks/podman', { recursive: true, force: true });
  }
}
