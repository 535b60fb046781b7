// Held-out check of keep-alive policies: the target of issue 22 on many samples cut from the
// Azure 2019 traces (hash halves by several bits, time windows of 2 to 12 hours, other seeds).
//   npx tsx bench/sim/keepalive-windows.ts [--trace DIR] [--policy cost] [--only A] [--half A|B]
// --half A replays every sample on the training half of the functions only (hash bit 0 = 0: where
// constants may be chosen), --half B on the held-out half; without it, on all functions.
import { join } from 'node:path';
import { simulateFunctions } from '../../src/sim/functions.js';
import { functionVerdict } from '../../src/sim/evaluation.js';
import { loadFunctionTrace } from '../../src/sim/traces.js';
import { tracesDir } from '../../src/sim/paths.js';
import { costKeepAlive } from '../../src/policies/cost-keepalive.js';
import { parseKeepAlive } from '../../src/policies/keepalive.js';
import type { KeepAlivePolicy } from '../../src/contracts/policies.js';
import { hashHalf, keepAliveSamples } from '../../src/sim/samples.js';

const arg = (k: string) => (process.argv.includes(k) ? process.argv[process.argv.indexOf(k) + 1] : undefined);
const dir = tracesDir(arg('--trace'));
const ours = arg('--policy') ?? 'cost';
const half = arg('--half');
const halfFilter = half ? hashHalf(half === 'A' ? 0 : 1) : undefined;
const only = arg('--only');
// --cost '{"tauMaxFactor":8}': try the cost policy with other constants (as policy "cost").
const variant = arg('--cost');
const resolve = (n: string): KeepAlivePolicy => (variant && n === 'cost' ? (costKeepAlive(JSON.parse(variant)) as KeepAlivePolicy) : parseKeepAlive(n));
let met = 0;
let n = 0;
for (const s of keepAliveSamples()) {
  if (only && !new RegExp(only).test(s.label)) continue;
  // A sample that already picks functions by hash is skipped under --half, unless it is that half.
  if (halfFilter && s.options.filter && !s.label.endsWith(`half ${half}`)) continue;
  const t = loadFunctionTrace(join(dir, s.sample), halfFilter ? { ...s.options, filter: halfFilter } : s.options);
  const r = simulateFunctions(t, { policies: ['hybrid', ours, 'oracle'], seed: s.seed, resolve });
  const v = functionVerdict(s.label, r, ours);
  n++;
  if (v.met) met++;
  process.stdout.write(`${v.met ? 'met    ' : 'NOT MET'} ${(half === 'A' ? 'fit' : half === 'B' ? 'held-out' : s.role).padEnd(8)} ${s.label.padEnd(48)} p75 ${v.ours.toFixed(1)} (h ${v.hybrid.toFixed(1)} o ${v.oracle.toFixed(1)}, ${v.gapClosedPct.toFixed(0)}%) cold ${v.coldOurs}/${v.coldHybrid} mem ${v.memOurs.toFixed(1)}/${v.memHybrid.toFixed(1)}\n`);
}
process.stdout.write(`${ours}: met ${met} of ${n}\n`);
