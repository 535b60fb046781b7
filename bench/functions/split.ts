// bench/functions/split: where a warm request's CPU goes, part by part, each measured alone (no
// daemon): (1) the isolate call in this process (IsolateInstance.invoke, the fast path: the floor
// of the host's share), (2) a real function-host process driven from this process as the daemon
// does (FunctionHost + RemoteInstance: this process's CPU is the daemon's IPC share, the host's
// /proc CPU its share). 32 requests in flight, as ab.ts's autocannon. With --base DIR the same
// parts of another built checkout run in the same process, rounds alternating; medians.
// Run: npm run build && node --no-node-snapshot dist/bench/functions/split.js [--base DIR] [--rounds 6] [--n 5000]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { IsolateInstance as Iso } from '../../src/modules/functions/runtime/isolate.js';
import type { FunctionHost as Host } from '../../src/modules/functions/host/host-client.js';
import type { Instance, InvokeRequest } from '../../src/modules/functions/runtime/instance.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const ROUNDS = arg('rounds', 6);
const N = arg('n', 5000);
const bi = process.argv.indexOf('--base');
const here = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const roots = [here, ...(bi > 0 ? [path.resolve(process.argv[bi + 1]!)] : [])];
const HANDLER = `export default { async fetch(request) { const u = new URL(request.url); return Response.json({ path: u.pathname, q: u.searchParams.get('q'), ua: request.headers.get('user-agent') }, { headers: { 'x-bench': '1' } }); } };`;
// The headers the gateway forwards for autocannon's request.
const headers: [string, string][] = [['host', '127.0.0.1:8080'], ['user-agent', 'autocannon'], ['x-forwarded-prefix', '/fn/warm'], ['x-forwarded-for', '127.0.0.1'], ['cf-connecting-ip', '127.0.0.1'], ['x-forwarded-proto', 'http'], ['x-request-id', '3b241101-e2bb-4255-8caf-4136c566a962'], ['x-llmos-hops', '1']];
const req: InvokeRequest = { method: 'GET', url: 'http://127.0.0.1:8080/bench?q=1', headers, body: null, onCancel: () => () => undefined };
const procCpuMs = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Side {
  root: string;
  iso: Instance;
  host: Host;
  remote: Instance;
}
async function side(root: string): Promise<Side> {
  const { IsolateInstance } = (await import(`${root}/dist/src/modules/functions/runtime/isolate.js`)) as { IsolateInstance: typeof Iso };
  const hc = (await import(`${root}/dist/src/modules/functions/host/host-client.js`)) as typeof import('../../src/modules/functions/host/host-client.js');
  const { compileSource } = (await import(`${root}/dist/src/modules/functions/source.js`)) as typeof import('../../src/modules/functions/source.js');
  const code = await compileSource({ files: { 'index.js': HANDLER }, entry: 'index.js' });
  const common = { functionName: 'bench', code, memoryBytes: 128 * 2 ** 20, cpuMs: 10_000, env: {}, fastPath: true };
  const iso = await IsolateInstance.start({ ...common, id: 'iso', onLog: () => undefined, noSpare: true });
  const host = new hc.FunctionHost({
    key: 'split', tag: `bench-split-${process.pid}-${roots.indexOf(root)}`, entry: hc.hostEntry()!, launcher: hc.launcherPath(), limits: { memoryBytes: 512 * 2 ** 20, cpus: 2, pids: 64 },
    spares: 0, sparesMb: [], onLog: () => undefined, kv: async () => null, onCrash: () => undefined, warn: () => undefined, // no cgroup when not root: fine here
  });
  const remote = await host.start({ ...common, id: 'remote', cacheKey: 'bench@1', egress: { allow: [], maxResponseBytes: 2 ** 20 }, backgroundMs: 30_000, kv: [] });
  return { root, iso, host, remote };
}
async function drive(inst: Instance, n: number): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (i++ < n) await inst.invoke(req, { timeoutMs: 10_000 });
  }));
}

const sides = await Promise.all(roots.map(side));
try {
  for (const s of sides) {
    await drive(s.iso, 3000); // past the fast path's learning, and V8's warm-up
    await drive(s.remote, 3000);
  }
  const res = sides.map(() => ({ iso: [] as number[], daemon: [] as number[], host: [] as number[] }));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, s] of sides.entries()) {
      let c0 = process.cpuUsage();
      await drive(s.iso, N);
      let c = process.cpuUsage(c0);
      res[k]!.iso.push((c.user + c.system) / N);
      c0 = process.cpuUsage();
      const h0 = procCpuMs(s.host.pid!);
      await drive(s.remote, N);
      c = process.cpuUsage(c0);
      res[k]!.daemon.push((c.user + c.system) / N);
      res[k]!.host.push(((procCpuMs(s.host.pid!) - h0) * 1000) / N);
    }
  }
  for (const [k, s] of sides.entries()) {
    const m = res[k]!;
    console.log(`${s.root}: isolate call in-process ${med(m.iso).toFixed(1)} µs CPU/req; through a function host: daemon side ${med(m.daemon).toFixed(1)}, host process ${med(m.host).toFixed(1)} µs CPU/req (medians of ${ROUNDS} rounds of ${N})`);
  }
} finally {
  for (const s of sides) {
    await s.iso.dispose('bench done');
    await s.remote.dispose('bench done');
    await s.host.close(); // removes the host's cgroup; its tag's directory follows
    const { removeTagDir } = (await import(`${s.root}/dist/src/modules/functions/host/cgroup.js`)) as typeof import('../../src/modules/functions/host/cgroup.js');
    await removeTagDir(`bench-split-${process.pid}-${roots.indexOf(s.root)}`);
  }
}
