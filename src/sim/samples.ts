// The samples the keep-alive target is checked on (issue 22), besides the two whole Azure 2019
// samples: hash halves of the functions (A: the bit the policies were fitted on; B and the other
// bits: held out), time windows replayed on their own from a cold start, and another seed.
import type { FunctionTraceOptions } from './traces.js';

export interface KeepAliveSample {
  sample: string;
  label: string;
  /** "fit" (half A, used to choose constants) or "held-out". */
  role: 'fit' | 'held-out';
  options: FunctionTraceOptions;
  seed: number;
}

export const FN_SAMPLES = ['azure2019-fullday-1000', 'azure2019-8h-250'] as const;

/** Stable split of functions into two halves by bit `bit` of the last hex digits of their hash. */
export const hashHalf = (which: 0 | 1, bit = 0) => (fnId: string) => ((parseInt(fnId.slice(-4), 16) >> bit) & 1) === which;

/** Windows [from, to) in minute columns of each sample. */
const WINDOWS: Record<(typeof FN_SAMPLES)[number], Array<[number, number]>> = {
  'azure2019-fullday-1000': [[0, 480], [480, 960], [960, 1440], [0, 720], [720, 1440], [240, 480], [600, 840], [1080, 1320]],
  'azure2019-8h-250': [[0, 240], [240, 480], [0, 120], [120, 240], [240, 360], [360, 480]],
};

export function keepAliveSamples(seed = 1): KeepAliveSample[] {
  const out: KeepAliveSample[] = [];
  for (const sample of FN_SAMPLES) {
    out.push({ sample, label: `${sample}, half A`, role: 'fit', options: { filter: hashHalf(0) }, seed });
    out.push({ sample, label: `${sample}, half B`, role: 'held-out', options: { filter: hashHalf(1) }, seed });
    for (const bit of [1, 2]) for (const which of [0, 1] as const) out.push({ sample, label: `${sample}, hash bit ${bit} = ${which}`, role: 'held-out', options: { filter: hashHalf(which, bit) }, seed });
    out.push({ sample, label: `${sample}, seed ${seed + 1}`, role: 'held-out', options: {}, seed: seed + 1 });
    for (const [from, to] of WINDOWS[sample]) out.push({ sample, label: `${sample}, minutes ${from}-${to} only`, role: 'held-out', options: { columns: [from, to] }, seed });
  }
  return out;
}
