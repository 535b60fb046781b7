// Service-style demand series from an Azure-Functions-format trace: the per-minute invocation
// counts of the busiest functions, each as its own ServiceTrace, so the service autoscaling policies
// can be checked on real serverless load as well as on WorldCup98. Any sample works the same way.
import type { FunctionTrace, ServiceTrace } from './traces.js';

export interface FunctionSeries {
  id: string;
  invocations: number;
  trace: ServiceTrace;
}

/** The `count` busiest functions of the trace (by total invocations), busiest first. */
export function busiestFunctionSeries(trace: FunctionTrace, count: number): FunctionSeries[] {
  const all = trace.apps.flatMap((a) => a.functions.map((f) => ({ id: f.id, perMinute: f.perMinute, invocations: f.perMinute.reduce((s, v) => s + v, 0) })));
  all.sort((a, b) => b.invocations - a.invocations || (a.id < b.id ? -1 : 1));
  return all.slice(0, count).map((f) => ({ id: f.id, invocations: f.invocations, trace: { stepMs: 60_000, startMs: trace.startMinute * 60_000, counts: Float64Array.from(f.perMinute) } }));
}
