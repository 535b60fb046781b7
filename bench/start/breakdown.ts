// bench/start/breakdown: where the time of `llmos run --rm IMAGE /bin/true` goes (CLI start-up,
// create, start, exit detection, removal). With --cpu-prof the daemon runs under V8's CPU profiler
// and its profile is summarised at the end (bench/profile-summary.ts): where the daemon's own time goes.
// Run (root): node dist/bench/start/breakdown.js [iterations] [--cpu-prof]
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pushBusyboxImage, startRegistry } from '../../test/support/registry.js';
import { profiledLlmosBin } from '../profiled-bin.js';
import { summarizeProfile } from '../profile-summary.js';

const n = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 5);
const profDir = process.argv.includes('--cpu-prof') ? await mkdtemp(path.join(os.tmpdir(), 'llmos-breakdown-prof-')) : undefined;
// The test harness reads LLMOS_TEST_BIN when it is imported: the daemon it starts is then the profiled one.
if (profDir) process.env.LLMOS_TEST_BIN = await profiledLlmosBin(profDir);
const { startDaemon } = await import('../../test/support/daemon.js');
const llmosBin = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../bin/llmos'); // the CLI runs are never profiled
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const timed = (args: string[], env: NodeJS.ProcessEnv) =>
  new Promise<number>((resolve) => {
    const t0 = performance.now();
    const p = spawn(llmosBin, args, { stdio: 'ignore', env });
    p.on('exit', () => resolve(performance.now() - t0));
  });

const reg = await startRegistry();
let since = 0; // eslint-disable-line no-useless-assignment -- set after the warm-up, read in the summary
const d = await startDaemon();
try {
  const image = (await pushBusyboxImage(reg, 'bench/busybox', { cmd: ['/bin/true'] })).ref;
  const env = { ...process.env, LLMOS_HOST: d.host, LLMOS_DATA_DIR: d.dataDir };
  await timed(['run', '--rm', image], env);
  since = Number(process.hrtime.bigint() / 1000n); // the profile summary leaves out boot and the warm-up
  const t: Record<string, number[]> = { 'CLI --version': [], 'CLI ps': [], 'API run attach (bridge)': [], 'API run attach (none)': [], 'API create': [], 'API start': [], 'API wait after start': [], 'API remove': [], 'CLI run --rm': [] };
  for (let i = 0; i < n; i++) {
    t['CLI --version']!.push(await timed(['--version'], env));
    t['CLI ps']!.push(await timed(['ps'], env));
    for (const network of ['bridge', 'none'] as const) {
      const t0 = performance.now();
      const res = await fetch(`${d.host}/v1/containers/run?attach=true`, { method: 'POST', headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ image, cmd: ['/bin/true'], autoRemove: true, network }) });
      await res.text();
      t[`API run attach (${network})`]!.push(performance.now() - t0);
    }
    let t0 = performance.now();
    const c = await d.api<{ id: string }>('POST', '/v1/containers', { image, cmd: ['/bin/true'] });
    t['API create']!.push(performance.now() - t0);
    t0 = performance.now();
    await d.api('POST', `/v1/containers/${c.body.id}/start`);
    t['API start']!.push(performance.now() - t0);
    t0 = performance.now();
    await d.api('POST', `/v1/containers/${c.body.id}/wait`);
    t['API wait after start']!.push(performance.now() - t0);
    t0 = performance.now();
    await d.api('DELETE', `/v1/containers/${c.body.id}`);
    t['API remove']!.push(performance.now() - t0);
    t['CLI run --rm']!.push(await timed(['run', '--rm', image, '/bin/true'], env));
  }
  console.log(`bench/start/breakdown: ${n} iterations, medians; ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)}`);
  for (const [k, v] of Object.entries(t)) console.log(`  ${k.padEnd(26)} median ${median(v).toFixed(1).padStart(7)} ms`);
} finally {
  await d.removeContainers(); // `run --rm` may still be removing its container when the CLI returns
  await d.stop();
  await reg.stop();
}
if (profDir) {
  // The daemon writes its profile when it exits (d.stop() above); the whole run, boot included.
  const files = (await readdir(profDir)).filter((f) => f.endsWith('.cpuprofile'));
  for (const f of files) console.log(summarizeProfile(path.join(profDir, f), 30, since).join('\n'));
  await rm(profDir, { recursive: true, force: true });
}
