// bench/services: requests/s of a 3-replica nginx service on its host port (kernel DNAT, the
// daemon out of the packet path) vs ONE nginx published by podman, in the same run, with the
// same autocannon client settings (HTTP/1.1 keep-alive). Rounds alternate, so load changes hit
// both alike. Reports the daemon's CPU (from /proc/PID/stat) during the llmos rounds.
// Targets (issue 16): >= 0.9x podman; daemon under 5% of a core.
// Run (root): npm run build && node dist/bench/services/run.js [seconds-per-round] [rounds]
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { startDaemon } from '../../test/support/daemon.js';
import { freePort } from '../../test/support/registry.js';
import { until } from '../../test/support/until.js';
import { debianRootfs } from '../../test/services/debian-image.js';

const exec = promisify(execFile);
const seconds = Number(process.argv[2] ?? 10);
const rounds = Number(process.argv[3] ?? 3);
const connections = 32;
const nginx = ['nginx', '-g', 'daemon off;'];

async function cpuTicks(pid: number): Promise<number> {
  const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15), clock ticks
}

async function load(port: number): Promise<number> {
  const r = await autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration: seconds, pipelining: 1 });
  if (r.non2xx || r.errors) console.log(`  port ${port}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r.requests.average;
}

const tar = await debianRootfs();
const d = await startDaemon();
const pid = Number((await readFile(`${d.dataDir}/llmos.pid`, 'utf8')).trim());
const llmosPort = await freePort();
const podmanPort = await freePort();
const podmanImage = 'localhost/llmos-bench-debian:1';
let podmanId = '';
try {
  const imp = await d.cli(['import', tar, 'bench-debian:1'], { timeoutMs: 300_000 });
  if (imp.code !== 0) throw new Error(imp.stderr);
  const c = await d.cli(['service', 'create', 'bench-nginx', '--image', 'bench-debian:1', '--replicas', '3', '-p', `${llmosPort}:80`, '--health-http', '/', '--', ...nginx]);
  if (c.code !== 0) throw new Error(c.stderr);
  await until('3 ready nginx replicas', async () => (await d.api<{ readyReplicas: number }>('GET', '/v1/services/bench-nginx')).body.readyReplicas === 3, 120_000);
  await exec('podman', ['import', tar, podmanImage], { maxBuffer: 2 ** 26 });
  podmanId = (await exec('podman', ['--runtime', 'runc', 'run', '--rm', '-d', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '-p', `127.0.0.1:${podmanPort}:80`, podmanImage, ...nginx])).stdout.trim();
  await until('podman nginx answers', async () => (await fetch(`http://127.0.0.1:${podmanPort}/`).catch(() => undefined))?.ok, 30_000);
  await load(llmosPort); // warm-up, both
  await load(podmanPort);
  const l: number[] = [];
  const p: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = await cpuTicks(pid);
    const s0 = performance.now();
    l.push(await load(llmosPort));
    cpu.push((100 * ((await cpuTicks(pid)) - t0)) / 100 / ((performance.now() - s0) / 1000)); // ticks are 1/100 s: percent of one core
    p.push(await load(podmanPort));
    console.log(`round ${i + 1}: llmos ${l.at(-1)!.toFixed(0)} req/s (daemon CPU ${cpu.at(-1)!.toFixed(1)}%), podman ${p.at(-1)!.toFixed(0)} req/s`);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`\n3-replica llmos service (kernel DNAT) ${mean(l).toFixed(0)} req/s vs one podman nginx ${mean(p).toFixed(0)} req/s: ${(mean(l) / mean(p)).toFixed(2)}x; daemon CPU ${mean(cpu).toFixed(1)}% of a core (${connections} connections, keep-alive, ${seconds} s x ${rounds} rounds)`);
} finally {
  if (podmanId) await exec('podman', ['rm', '-f', podmanId]).catch(() => undefined);
  await exec('podman', ['rmi', '-f', podmanImage]).catch(() => undefined);
  await d.cli(['service', 'rm', 'bench-nginx']);
  await until('replicas gone', async () => !(await d.cli(['ps', '-a', '-q'])).stdout.trim(), 60_000);
  await d.stop();
}
