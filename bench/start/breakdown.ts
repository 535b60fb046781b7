// bench/start/breakdown: where the time of `llmos run --rm IMAGE /bin/true` goes (CLI start-up,
// create, start, exit detection, removal). Run (root): node dist/bench/start/breakdown.js [iterations]
import { spawn } from 'node:child_process';
import { llmosBin, startDaemon } from '../../test/support/daemon.js';
import { pushBusyboxImage, startRegistry } from '../../test/support/registry.js';

const n = Number(process.argv[2] ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const timed = (args: string[], env: NodeJS.ProcessEnv) =>
  new Promise<number>((resolve) => {
    const t0 = performance.now();
    const p = spawn(llmosBin, args, { stdio: 'ignore', env });
    p.on('exit', () => resolve(performance.now() - t0));
  });

const reg = await startRegistry();
const d = await startDaemon();
try {
  const image = (await pushBusyboxImage(reg, 'bench/busybox', { cmd: ['/bin/true'] })).ref;
  const env = { ...process.env, LLMOS_HOST: d.host, LLMOS_DATA_DIR: d.dataDir };
  await timed(['run', '--rm', image], env);
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
  for (const [k, v] of Object.entries(t)) console.log(`  ${k.padEnd(26)} median ${median(v).toFixed(1).padStart(7)} ms`);
} finally {
  await d.stop();
  await reg.stop();
}
