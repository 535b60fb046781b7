// Benchmark: how long one day of 1,000 functions (the Azure 2019 full-day sample) takes to replay,
// per keep-alive policy and for all of them in one run (the `llmos sim functions --policy all` case),
// plus the service replay of WorldCup98. Target: the full-day replay under 10 s.
//   npx tsc -p . && node dist/bench/sim/run.js --trace DIR [--repeat 3]   (DIR: the real traces, or set LLMOS_TRACES)
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ALL_FUNCTION_POLICIES, simulateFunctions } from '../../src/sim/functions.js';
import { ALL_SERVICE_POLICIES, simulateService } from '../../src/sim/service.js';
import { loadFunctionTrace, loadServiceTrace } from '../../src/sim/traces.js';
import { SERVICE_DEFAULTS } from '../../src/sim/evaluation.js';
import { tracesDir } from '../../src/sim/paths.js';

const repeat = Number(process.argv[process.argv.indexOf('--repeat') + 1]) || 3;
const best = (f: () => void) => {
  let b = Infinity;
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    f();
    b = Math.min(b, performance.now() - t);
  }
  return Math.round(b);
};

const traces = tracesDir(process.argv.includes('--trace') ? process.argv[process.argv.indexOf('--trace') + 1] : undefined);
const dir = join(traces, 'azure2019-fullday-1000');
let loadMs = 0;
const trace = (() => {
  const t = performance.now();
  const tr = loadFunctionTrace(dir);
  loadMs = Math.round(performance.now() - t);
  return tr;
})();
const results: Record<string, number> = { 'load trace': loadMs };
for (const p of ALL_FUNCTION_POLICIES) results[`functions ${p}`] = best(() => simulateFunctions(trace, { policies: [p], seed: 1 }));
results['functions all (7 policies)'] = best(() => simulateFunctions(trace, { policies: [...ALL_FUNCTION_POLICIES], seed: 1 }));
const wc = loadServiceTrace(join(traces, 'worldcup98', 'invocation_count.csv'));
for (const p of ALL_SERVICE_POLICIES) results[`service ${p} (87 days)`] = best(() => simulateService(wc, { ...SERVICE_DEFAULTS, policies: [p] }));

const out = { bench: 'sim', trace: dir, repeat, unit: 'ms (best of repeat)', results, target: { 'functions all (7 policies)': 10_000 } };
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
process.exitCode = results['functions all (7 policies)']! < 10_000 ? 0 : 1;
