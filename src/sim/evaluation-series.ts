// The service target on real serverless load: per-minute series of the busiest functions of each
// Azure sample (function-series.ts), each replayed through HPA and the service policies with
// capacity set so that the series' peak needs 20 replicas. Used by evaluation.ts.
import { join } from 'node:path';
import { busiestFunctionSeries } from './function-series.js';
import { type ServiceSimOptions, simulateService } from './service.js';
import { loadFunctionTrace } from './traces.js';

export interface SeriesVerdict {
  series: string;
  /** Under-provisioned time and replica-minutes of `ours` as multiples of HPA's. */
  under: number;
  replicaMinutes: number;
  met: boolean;
  /** The series was used to choose blend's settings. */
  fit: boolean;
}

/** Under <= 0.5x HPA's at <= 1.1x its replica-minutes (issue 22). With HPA never short, only not being short counts. */
export function seriesVerdict(series: string, hpa: { underProvisionedPct: number; replicaMinutes: number }, ours: { underProvisionedPct: number; replicaMinutes: number }, fit: boolean): SeriesVerdict {
  const under = hpa.underProvisionedPct > 0 ? ours.underProvisionedPct / hpa.underProvisionedPct : ours.underProvisionedPct > 0 ? Infinity : 0;
  const replicaMinutes = ours.replicaMinutes / hpa.replicaMinutes;
  return { series, under, replicaMinutes, met: under <= 0.5 && replicaMinutes <= 1.1, fit };
}

/**
 * The busiest `count` functions of each sample (blend's settings were chosen on these:
 * `fit`), and the next `held` of each as held-out series.
 */
export function azureSeriesVerdicts(tracesDir: string, samples: readonly string[], base: Omit<ServiceSimOptions, 'policies' | 'capacityRps'>, ours: string, count = 5, held = count, tick: (what: string) => void = () => undefined): SeriesVerdict[] {
  const out: SeriesVerdict[] = [];
  for (const sample of samples) {
    const all = busiestFunctionSeries(loadFunctionTrace(join(tracesDir, sample)), count + held);
    all.forEach((f, i) => {
      let peak = 0;
      for (const c of f.trace.counts) peak = Math.max(peak, c);
      const capacityRps = Math.max(1e-3, peak / (f.trace.stepMs / 1000) / 20);
      const r = simulateService(f.trace, { ...base, capacityRps, policies: ['threshold', ours] });
      out.push(seriesVerdict(`${sample} #${i + 1} (${f.id.slice(0, 8)})`, r.policies[0]!, r.policies[1]!, i < count));
    });
    tick(`${sample} series`);
  }
  return out;
}

export function seriesRow(v: SeriesVerdict): string {
  return `| ${v.series} | ${v.fit ? 'fit' : 'held out'} | ${Number.isFinite(v.under) ? v.under.toFixed(2) : 'inf'}x | ${v.replicaMinutes.toFixed(3)}x | ${v.met ? 'met' : 'not met'} |`;
}
