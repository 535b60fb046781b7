// Service autoscaling simulation: a requests-per-step series drives a scaling policy (the same code
// the daemon runs). Each policy is asked on its own control period with the demand of the last
// period; new replicas become ready after the start-up latency; removed replicas go at once
// (starting ones first). Time advances in 1 s steps.
import { scalingPolicy } from '../policies/index.js';
import type { AutoscaleConfig, ScalingInput } from '../policies/types.js';
import { InvalidArgument } from '../kernel/errors.js';
import type { ServiceTrace } from './traces.js';
import { round } from './functions.js';

export const ALL_SERVICE_POLICIES = ['threshold', 'concurrency', 'predictive', 'learned', 'blend'] as const;

export interface ServiceSimOptions {
  policies: string[];
  /** Requests per second one replica serves. */
  capacityRps: number;
  startupMs: number;
  min: number;
  max: number;
  /** Target utilisation of a replica's capacity (HPA target value = this x capacity). */
  targetUtilization: number;
  /** Overrides of the forecasting policies' settings (experiments, sensitivity runs). */
  policyConfig?: Pick<AutoscaleConfig, 'predictive' | 'learned'>;
  /** Points in the demand/replica series returned for charts. */
  chartPoints?: number;
  onProgress?: (done: number, total: number, label: string) => void;
}

export interface ServicePolicyResult {
  name: string;
  /** Share of time when demand exceeded ready capacity, 0..100. */
  underProvisionedPct: number;
  replicaMinutes: number;
  scalingActions: number;
  /** Replica-minutes beyond what the demand needed at 100% utilisation. */
  overProvisionedReplicaMinutes: number;
  /** Requests that arrived beyond ready capacity. */
  unservedRequests: number;
  peakReplicas: number;
  /** Longest stretches of under-provisioning: start (ISO time, or seconds from the start) and length. */
  worstEpisodes: Array<{ start: string; seconds: number }>;
}

export interface ServiceSimResult {
  seconds: number;
  requests: number;
  capacityRps: number;
  startupMs: number;
  policies: ServicePolicyResult[];
  /** Downsampled series for charts: time (s from start), demand (rps, max in the bucket), replicas per policy. */
  series: { t: number[]; demand: number[]; replicas: Record<string, number[]> };
}

/** Each policy's own control period, as its peer runs it. */
const PERIOD_MS: Record<string, number> = { threshold: 15_000, concurrency: 2_000, predictive: 15_000, learned: 15_000, blend: 2_000 };

export function expandServicePolicies(spec: string): string[] {
  const names = spec === 'all' ? [...ALL_SERVICE_POLICIES] : spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new InvalidArgument('--policy needs at least one policy');
  for (const n of names) scalingPolicy(n);
  return names;
}

export function simulateService(trace: ServiceTrace, o: ServiceSimOptions): ServiceSimResult {
  if (!(o.capacityRps > 0)) throw new InvalidArgument('--capacity must be > 0 requests per second');
  if (!(o.startupMs >= 0)) throw new InvalidArgument('--startup must be >= 0');
  const stepS = trace.stepMs / 1000;
  const seconds = Math.floor(trace.counts.length * stepS);
  const rpsAt = (sec: number) => trace.counts[Math.min(trace.counts.length - 1, Math.floor(sec / stepS))]! / stepS;
  let requests = 0;
  for (const c of trace.counts) requests += c;
  const points = o.chartPoints ?? 600;
  const bucketS = Math.max(1, Math.ceil(seconds / points));
  const t: number[] = [];
  const demand: number[] = [];
  for (let b = 0; b * bucketS < seconds; b++) {
    let mx = 0;
    for (let sec = b * bucketS; sec < Math.min(seconds, (b + 1) * bucketS); sec += Math.min(bucketS, stepS)) mx = Math.max(mx, rpsAt(sec));
    t.push(b * bucketS);
    demand.push(round(mx, 1));
  }
  const replicasSeries: Record<string, number[]> = {};
  const results: ServicePolicyResult[] = [];
  o.policies.forEach((name, pi) => {
    const policy = scalingPolicy(name);
    const periodMs = PERIOD_MS[name] ?? 15_000;
    const config: AutoscaleConfig = {
      min: o.min,
      max: o.max,
      periodMs,
      startupMs: o.startupMs,
      // HPA's target value is utilisation x capacity; KPA, predictive and learned take the capacity
      // and apply their own target utilisation (KPA's from the flag; the forecasters' from o.policyConfig or their defaults).
      metrics: [{ metric: 'rps', target: name === 'threshold' ? o.capacityRps * o.targetUtilization : o.capacityRps }],
      kpa: { targetUtilization: o.targetUtilization },
      predictive: { ...o.policyConfig?.predictive },
      learned: { ...o.policyConfig?.learned },
    };
    let state = policy.initialState(config);
    const startT = trace.startMs;
    let desired = Math.max(o.min, 1);
    let ready = desired;
    const starting: number[] = []; // ready times (s) of replicas starting, ascending
    let under = 0;
    let replicaSec = 0;
    let needSec = 0;
    let unserved = 0;
    let actions = 0;
    let peak = desired;
    let windowSum = 0;
    let windowN = 0;
    const periodS = periodMs / 1000;
    const startupS = o.startupMs / 1000;
    const series: number[] = [];
    let bucketMax = 0;
    const episodes: Array<{ start: number; seconds: number }> = [];
    let epStart = -1;
    for (let sec = 0; sec < seconds; sec++) {
      while (starting.length && starting[0]! <= sec) {
        starting.shift();
        ready++;
      }
      const rps = rpsAt(sec);
      windowSum += rps;
      windowN++;
      const cap = ready * o.capacityRps;
      if (rps > cap + 1e-9) {
        under++;
        unserved += rps - cap;
        if (epStart < 0) epStart = sec;
      } else if (epStart >= 0) {
        episodes.push({ start: epStart, seconds: sec - epStart });
        epStart = -1;
      }
      replicaSec += ready + starting.length;
      needSec += rps / o.capacityRps;
      if ((sec + 1) % periodS < 1e-9 || periodS < 1) {
        const input: ScalingInput = { replicas: desired, readyReplicas: ready, rps: windowSum / windowN };
        windowSum = 0;
        windowN = 0;
        const d = policy.recommend(input, state, startT + (sec + 1) * 1000, config);
        state = d.nextState;
        const next = d.desired;
        if (next !== desired) {
          actions++;
          if (next > desired) for (let k = 0; k < next - desired; k++) starting.push(sec + 1 + startupS);
          else {
            let drop = desired - next;
            while (drop > 0 && starting.length) {
              starting.pop();
              drop--;
            }
            ready -= drop;
          }
          desired = next;
          peak = Math.max(peak, desired);
        }
      }
      bucketMax = Math.max(bucketMax, ready + starting.length);
      if ((sec + 1) % bucketS === 0 || sec === seconds - 1) {
        series.push(bucketMax);
        bucketMax = 0;
      }
      if (sec % 86_400 === 0) o.onProgress?.(pi * seconds + sec, o.policies.length * seconds, name);
    }
    if (epStart >= 0) episodes.push({ start: epStart, seconds: seconds - epStart });
    episodes.sort((a, b) => b.seconds - a.seconds);
    const when = (sec: number) => (trace.startMs > 0 ? new Date(trace.startMs + sec * 1000).toISOString().slice(0, 19) + 'Z' : `+${sec}s`);
    replicasSeries[name] = series;
    results.push({
      name,
      underProvisionedPct: round((100 * under) / seconds, 5),
      replicaMinutes: Math.round(replicaSec / 60),
      scalingActions: actions,
      overProvisionedReplicaMinutes: Math.round(Math.max(0, replicaSec - needSec) / 60),
      unservedRequests: Math.round(unserved),
      peakReplicas: peak,
      worstEpisodes: episodes.slice(0, Number(process.env.LLMOS_SIM_EPISODES ?? 5)).map((e) => ({ start: when(e.start), seconds: e.seconds })),
    });
  });
  o.onProgress?.(1, 1, 'done');
  return { seconds, requests, capacityRps: o.capacityRps, startupMs: o.startupMs, policies: results, series: { t, demand, replicas: replicasSeries } };
}
