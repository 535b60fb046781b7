// Latency percentiles from the Prometheus text the monitor serves: histogram buckets of
// llmos_function_duration_seconds per function, with PromQL's histogram_quantile interpolation.
import { ApiError, get } from './api.js';

export type Buckets = { le: number; count: number }[];

/** Cumulative buckets per label value of `by` for one histogram metric. */
export function parseHistogram(text: string, metric: string, by: string): Map<string, Buckets> {
  const out = new Map<string, Buckets>();
  const re = new RegExp(`^${metric}_bucket\\{([^}]*)\\}\\s+(\\S+)`);
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    const key = labels[by];
    if (key === undefined || labels.le === undefined) continue;
    const b = out.get(key) ?? [];
    b.push({ le: labels.le === '+Inf' ? Infinity : Number(labels.le), count: Number(m[2]) });
    out.set(key, b);
  }
  for (const b of out.values()) b.sort((x, y) => x.le - y.le);
  return out;
}

/** histogram_quantile: linear interpolation inside the bucket holding the q-th observation. */
export function quantile(q: number, buckets: Buckets): number | undefined {
  const total = buckets.at(-1)?.count ?? 0;
  if (!total) return undefined;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return prevLe;
      return prevLe + ((b.le - prevLe) * (rank - prevCount)) / Math.max(1e-12, b.count - prevCount);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

const absent = new Set<string>();

/** The Prometheus text, from whichever path this daemon serves it on; null when none does now. */
export async function fetchMetrics(): Promise<string | null> {
  for (const p of ['/metrics'] as const) {
    if (absent.has(p)) continue;
    try {
      const text = await get<string>(p);
      if (typeof text === 'string') return text;
    } catch (e) {
      if (!(e instanceof ApiError) || !e.unavailable) throw e;
      // A route that does not exist will not appear without a restart; a 503 may load later.
      if (e.status === 404) absent.add(p);
    }
  }
  return null;
}
