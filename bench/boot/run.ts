// bench/boot: time from `llmos up` process start until the API answers, and per boot stage,
// against bare `node --no-node-snapshot -e 0` (the baseline issue 18 names; the daemon itself now keeps
// Node's snapshot, since isolated-vm runs only in the function-host processes),
// interleaved in the same run. Target (issue 18): API ready with every built-in module loaded
// <= 3x the baseline. `--profile edge` is measured too.
// With --cpu-prof, one more boot runs under V8's CPU profiler (stopped as soon as the API answers)
// and its summary is printed (bench/profile-summary.ts).
// Run: npm run build && node dist/bench/boot/run.js [runs] [--cpu-prof]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { llmosBin } from '../../test/support/daemon.js';
import { profiledLlmosBin } from '../profiled-bin.js';
import { summarizeProfile } from '../profile-summary.js';

const runs = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 10);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function bareNode(): number {
  const t0 = performance.now();
  spawnSync(process.execPath, ['--no-node-snapshot', '-e', '0'], { stdio: 'ignore' });
  return performance.now() - t0;
}

async function once(extra: string[] = [], bin = llmosBin): Promise<{ readyMs: number; stages: Record<string, number>; modules: string[] }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-bench-boot-'));
  const t0 = performance.now();
  const p = spawn(bin, ['up', '--data-dir', dir, '--listen', '127.0.0.1:0', '--gateway', '127.0.0.1:0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LLMOS_LOG_LEVEL: 'warn' } });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d));
  p.stderr.on('data', (d: Buffer) => (out += d));
  const host = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no start: ' + out)), 30_000);
    p.stdout.on('data', () => {
      const m = /API on (http:\/\/\S+)/.exec(out);
      if (m) { clearTimeout(t); resolve(m[1]!); }
    });
  });
  // Ready = the API answers an authenticated request.
  const token = (await readFile(path.join(dir, 'token'), 'utf8')).trim();
  let status: { boot: { stages: Array<{ stage: string; durationMs: number }> }; modules: Array<{ name: string; state: string }> };
  for (;;) {
    const r = await fetch(`${host}/v1/status`, { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
    if (r?.ok) { status = (await r.json()) as typeof status; break; }
  }
  const readyMs = performance.now() - t0;
  p.kill('SIGTERM');
  await new Promise((r) => p.once('exit', r));
  await rm(dir, { recursive: true, force: true });
  return { readyMs, stages: Object.fromEntries(status.boot.stages.map((s) => [s.stage, s.durationMs])), modules: status.modules.filter((m) => m.state === 'loaded').map((m) => m.name) };
}

const results = [];
const edge: number[] = [];
const base: number[] = [];
await once(); // warm the page cache
bareNode();
for (let i = 0; i < runs; i++) {
  base.push(bareNode());
  results.push(await once());
  edge.push((await once(['--profile', 'edge'])).readyMs);
}
const ready = median(results.map((r) => r.readyMs));
const b = median(base);
console.log(`bench/boot: ${runs} interleaved runs, modules loaded: ${results[0]!.modules.join(', ')}`);
for (const stage of Object.keys(results[0]!.stages)) console.log(`  ${stage.padEnd(22)} median ${median(results.map((r) => r.stages[stage]!)).toFixed(1).padStart(7)} ms`);
console.log(`  baseline node --no-node-snapshot -e 0: median ${b.toFixed(1)} ms`);
console.log(`  process start -> API ready: median ${ready.toFixed(1)} ms (min ${Math.min(...results.map((r) => r.readyMs)).toFixed(1)}, max ${Math.max(...results.map((r) => r.readyMs)).toFixed(1)}); ${(ready / b).toFixed(2)}x baseline (target 3x: ${ready / b <= 3 ? 'MET' : 'NOT MET'})`);
console.log(`  --profile edge -> API ready: median ${median(edge).toFixed(1)} ms; ${(median(edge) / b).toFixed(2)}x baseline`);

if (process.argv.includes('--cpu-prof')) {
  const profDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-bench-boot-prof-'));
  // The flags change V8's flag hash, so the first profiled boot rejects the code cache and rewrites it
  // (as the next plain boot will again): profile the second.
  const bin = await profiledLlmosBin(profDir);
  await once([], bin);
  for (const f of (await readdir(profDir)).filter((x) => x.endsWith('.cpuprofile'))) await rm(path.join(profDir, f));
  await once([], bin);
  for (const f of (await readdir(profDir)).filter((x) => x.endsWith('.cpuprofile'))) console.log(summarizeProfile(path.join(profDir, f), 30).join('\n'));
  await rm(profDir, { recursive: true, force: true });
}
