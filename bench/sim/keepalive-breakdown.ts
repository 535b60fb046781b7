// Per-app breakdown of a keep-alive policy against hybrid on one sample (issue 22): wasted memory
// (MB-hours) and cold starts by how often the app is invoked in the sample, then the apps that cost
// the policy most memory against hybrid. It shows where a policy loses a held-out window.
//   npx tsx bench/sim/keepalive-breakdown.ts [--trace DIR] [--sample azure2019-fullday-1000] [--columns 600,840] [--half A|B] [--policy cost]
import { join } from 'node:path';
import { expandArrivals, simulateApp } from '../../src/sim/functions.js';
import { loadFunctionTrace } from '../../src/sim/traces.js';
import { tracesDir } from '../../src/sim/paths.js';
import { parseKeepAlive } from '../../src/policies/keepalive.js';
import { hashHalf } from '../../src/sim/samples.js';

const arg = (k: string) => (process.argv.includes(k) ? process.argv[process.argv.indexOf(k) + 1] : undefined);
const cols = arg('--columns')?.split(',').map(Number) as [number, number] | undefined;
const half = arg('--half');
const t = loadFunctionTrace(join(tracesDir(arg('--trace')), arg('--sample') ?? 'azure2019-fullday-1000'), { ...(cols ? { columns: cols } : {}), ...(half ? { filter: hashHalf(half === 'A' ? 0 : 1) } : {}) });
const apps = expandArrivals(t, 1);
const endMs = (t.startMinute + t.minutes) * 60_000;
const ours = parseKeepAlive(arg('--policy') ?? 'cost');
const hybrid = parseKeepAlive('hybrid');
const buckets = [2, 5, 20, 100, 1000, Infinity];
const rows = buckets.map((max) => ({ max, apps: 0, oursMbh: 0, hybridMbh: 0, oursCold: 0, hybridCold: 0 }));
const apps2: Array<{ id: string; calls: number; memoryMb: number; extraMbh: number; oursCold: number; hybridCold: number }> = [];
for (const a of apps) {
  if (a.times.length === 0) continue;
  const o = simulateApp(a, ours, endMs);
  const h = simulateApp(a, hybrid, endMs);
  const r = rows.find((b) => a.times.length <= b.max)!;
  const [om, hm] = [(o.idleMs * a.memoryMb) / 3.6e9, (h.idleMs * a.memoryMb) / 3.6e9];
  r.apps++;
  r.oursMbh += om;
  r.hybridMbh += hm;
  r.oursCold += o.coldStarts;
  r.hybridCold += h.coldStarts;
  apps2.push({ id: a.id.slice(0, 8), calls: a.times.length, memoryMb: a.memoryMb, extraMbh: +(om - hm).toFixed(2), oursCold: o.coldStarts, hybridCold: h.coldStarts });
}
process.stdout.write(`calls in sample   apps  ${ours.name} MB-h  hybrid MB-h  ${ours.name} cold  hybrid cold\n`);
let lo = 1;
for (const r of rows) {
  process.stdout.write(`${`${lo}-${r.max === Infinity ? '' : r.max}`.padEnd(16)} ${String(r.apps).padStart(5)} ${r.oursMbh.toFixed(0).padStart(11)} ${r.hybridMbh.toFixed(0).padStart(12)} ${String(r.oursCold).padStart(10)} ${String(r.hybridCold).padStart(12)}\n`);
  lo = r.max + 1;
}
apps2.sort((x, y) => y.extraMbh - x.extraMbh);
process.stdout.write('apps costing most memory against hybrid:\n');
for (const a of apps2.slice(0, 10)) process.stdout.write(`  ${JSON.stringify(a)}\n`);
