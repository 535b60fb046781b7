// Held-out check of the service target (issue 22) on the Azure-derived per-minute series: the
// busiest 5 functions of each sample were used to choose blend's settings, the next 10 are held out.
//   npx tsx bench/sim/service-series.ts [--trace DIR] [--policy blend] [--held 10]
import { SERVICE_DEFAULTS } from '../../src/sim/evaluation.js';
import { azureSeriesVerdicts, seriesRow } from '../../src/sim/evaluation-series.js';
import { FN_SAMPLES } from '../../src/sim/samples.js';
import { tracesDir } from '../../src/sim/paths.js';

const arg = (k: string) => (process.argv.includes(k) ? process.argv[process.argv.indexOf(k) + 1] : undefined);
const ours = arg('--policy') ?? 'blend';
const v = azureSeriesVerdicts(tracesDir(arg('--trace')), FN_SAMPLES, SERVICE_DEFAULTS, ours, 5, Number(arg('--held') ?? 10));
for (const x of v) process.stdout.write(seriesRow(x) + '\n');
process.stdout.write(`${ours}: met ${v.filter((x) => x.met).length} of ${v.length} (held out: ${v.filter((x) => !x.fit && x.met).length} of ${v.filter((x) => !x.fit).length})\n`);
