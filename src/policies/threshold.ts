// "threshold": the Kubernetes HorizontalPodAutoscaler algorithm (pkg/controller/podautoscaler),
// as a pure function: desired = ceil(current * metric / target) per metric, tolerance 0.1, the
// missing / not-ready replica rules, the max over metrics, then behavior: stabilization windows
// and Pods/Percent rate policies per period, then min/max.
import type { ScalingPolicy } from '../contracts/policies.js';
import type { AutoscaleConfig, HpaScalingRules, MetricName, MetricTarget, PodSample, ScalingInput } from './types.js';

export const HPA_SCALE_UP_DEFAULT: Readonly<HpaScalingRules> = Object.freeze({
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max' as const,
  policies: [
    { type: 'Percent' as const, value: 100, periodSeconds: 15 },
    { type: 'Pods' as const, value: 4, periodSeconds: 15 },
  ],
});
export const HPA_SCALE_DOWN_DEFAULT: Readonly<HpaScalingRules> = Object.freeze({
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max' as const,
  policies: [{ type: 'Percent' as const, value: 100, periodSeconds: 15 }],
});

export interface ThresholdState {
  /** Raw recommendations, for the stabilization windows. */
  recommendations: Array<{ t: number; replicas: number }>;
  /** Applied changes, for the rate policies (positive: up, negative: down). */
  events: Array<{ t: number; delta: number }>;
}

/** One metric's proposal (HPA replica_calculator.go), or undefined when the metric is absent. */
export function metricProposal(input: ScalingInput, m: MetricTarget, tolerance: number): { replicas: number; ratio: number; detail: string } | undefined {
  const current = input.replicas;
  if (m.metric === 'rps' || m.metric === 'concurrency') {
    // External/Object metric with an AverageValue target: the total is divided by the target;
    // the tolerance applies to usageRatio = total / (target * current).
    const total = m.metric === 'rps' ? input.rps : input.concurrency;
    if (total === undefined) return undefined;
    const ratio = total / (m.target * Math.max(1, current));
    if (Math.abs(1 - ratio) <= tolerance) return { replicas: current, ratio, detail: `${m.metric} ${fmt(total)} / (target ${m.target} x ${current}) = ${ratio.toFixed(2)}, within tolerance` };
    const replicas = Math.ceil(total / m.target);
    return { replicas, ratio, detail: `${m.metric} ${fmt(total)} / target ${m.target} = ${replicas}` };
  }
  const pods = input.pods;
  if (!pods || pods.length === 0) {
    // Aggregates only: mean utilisation over ready replicas.
    const u = m.metric === 'cpu' ? input.cpuUtilization : input.memoryUtilization;
    if (u === undefined || input.readyReplicas === 0) return undefined;
    const ratio = u / m.target;
    if (Math.abs(1 - ratio) <= tolerance) return { replicas: current, ratio, detail: `${m.metric} ${fmt(u)}% / ${m.target}% = ${ratio.toFixed(2)}, within tolerance` };
    const replicas = Math.ceil(ratio * input.readyReplicas);
    return { replicas, ratio, detail: `${m.metric} ${fmt(u)}% / ${m.target}% x ${input.readyReplicas} ready = ${replicas}` };
  }
  return podProposal(pods, m.metric, m.target, tolerance, current);
}

/** GetResourceReplicas with per-pod samples: missing and not-ready pods are filled in to damp the move. */
function podProposal(pods: PodSample[], metric: MetricName, target: number, tolerance: number, current: number) {
  const ready: number[] = [];
  let missing = 0;
  let unready = 0;
  for (const p of pods) {
    const v = p.values[metric];
    if (!p.ready) unready++;
    else if (v === undefined) missing++;
    else ready.push(v);
  }
  if (ready.length === 0) return undefined;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ratio = mean(ready) / target;
  if (missing === 0 && unready === 0) {
    if (Math.abs(1 - ratio) <= tolerance) return { replicas: current, ratio, detail: `${metric} ${fmt(mean(ready))} / ${target} = ${ratio.toFixed(2)}, within tolerance` };
    const replicas = Math.ceil(ratio * ready.length);
    return { replicas, ratio, detail: `${metric} ${fmt(mean(ready))} / ${target} x ${ready.length} = ${replicas}` };
  }
  const filled = [...ready];
  // Scaling down: missing pods are assumed at 100% of target; scaling up: at 0%.
  for (let i = 0; i < missing; i++) filled.push(ratio < 1 ? target : 0);
  // Scaling up: not-ready pods count at 0% (they may be starting); scaling down: they are ignored.
  if (ratio > 1) for (let i = 0; i < unready; i++) filled.push(0);
  const newRatio = mean(filled) / target;
  const note = `${missing} missing, ${unready} not ready`;
  if (Math.abs(1 - newRatio) <= tolerance || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) {
    return { replicas: current, ratio: newRatio, detail: `${metric} ratio ${ratio.toFixed(2)} -> ${newRatio.toFixed(2)} with ${note}: no change` };
  }
  const replicas = Math.ceil(newRatio * filled.length);
  // Never move against the direction the ready pods asked for.
  if ((newRatio < 1 && replicas > current) || (newRatio > 1 && replicas < current)) return { replicas: current, ratio: newRatio, detail: `${metric}: ${note} would reverse the move: no change` };
  return { replicas, ratio: newRatio, detail: `${metric} ratio ${newRatio.toFixed(2)} x ${filled.length} (${note}) = ${replicas}` };
}

function rules(c: AutoscaleConfig) {
  return {
    up: { ...HPA_SCALE_UP_DEFAULT, ...c.hpa?.scaleUp } as HpaScalingRules,
    down: { ...HPA_SCALE_DOWN_DEFAULT, ...c.hpa?.scaleDown } as HpaScalingRules,
    tolerance: c.hpa?.tolerance ?? 0.1,
  };
}

/** calculateScaleUpLimitWithScalingRules. */
export function scaleUpLimit(current: number, events: ThresholdState['events'], now: number, r: HpaScalingRules): number {
  if (r.selectPolicy === 'Disabled') return current;
  let result = r.selectPolicy === 'Min' ? Infinity : -Infinity;
  for (const p of r.policies) {
    const added = events.filter((e) => e.delta > 0 && e.t > now - p.periodSeconds * 1000).reduce((a, e) => a + e.delta, 0);
    const start = current - added;
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = r.selectPolicy === 'Min' ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** calculateScaleDownLimitWithBehaviors. */
export function scaleDownLimit(current: number, events: ThresholdState['events'], now: number, r: HpaScalingRules): number {
  if (r.selectPolicy === 'Disabled') return current;
  let result = r.selectPolicy === 'Min' ? -Infinity : Infinity;
  for (const p of r.policies) {
    const removed = events.filter((e) => e.delta < 0 && e.t > now - p.periodSeconds * 1000).reduce((a, e) => a - e.delta, 0);
    const start = current + removed;
    const proposed = p.type === 'Pods' ? start - p.value : Math.floor(start * (1 - p.value / 100));
    // "Max" selects the policy allowing the largest change, i.e. the fewest replicas.
    result = r.selectPolicy === 'Min' ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

export const thresholdPolicy: ScalingPolicy<ScalingInput, ThresholdState, AutoscaleConfig> = {
  name: 'threshold',
  initialState: () => ({ recommendations: [], events: [] }),
  recommend(input, state, now, config) {
    const { up, down, tolerance } = rules(config);
    const current = input.replicas;
    const keep = (reason: string) => ({ desired: current, nextState: state, reason });
    if (current === 0) return keep('scaling is disabled while the target has 0 replicas (HPA)');
    let raw = -1;
    const parts: string[] = [];
    for (const m of config.metrics) {
      const p = metricProposal(input, m, tolerance);
      if (!p) {
        parts.push(`${m.metric}: no data`);
        continue;
      }
      parts.push(p.detail);
      raw = Math.max(raw, p.replicas);
    }
    if (raw < 0) return keep(`no metrics: keep ${current} (${parts.join('; ')})`);

    // Stabilization: scale up only to the lowest, down only to the highest recommendation in the windows.
    const recs = [...state.recommendations.filter((r) => r.t > now - Math.max(up.stabilizationWindowSeconds, down.stabilizationWindowSeconds) * 1000), { t: now, replicas: raw }];
    let upRec = raw;
    let downRec = raw;
    for (const r of recs) {
      if (r.t > now - up.stabilizationWindowSeconds * 1000) upRec = Math.min(upRec, r.replicas);
      if (r.t > now - down.stabilizationWindowSeconds * 1000) downRec = Math.max(downRec, r.replicas);
    }
    let stabilized = current;
    if (stabilized < upRec) stabilized = upRec;
    if (stabilized > downRec) stabilized = downRec;

    // Rate policies, then min/max.
    let desired = stabilized;
    let limitNote = '';
    if (desired > current) {
      const limit = Math.min(config.max, Math.max(current, scaleUpLimit(current, state.events, now, up)));
      if (desired > limit) {
        desired = limit;
        limitNote = `, capped at ${limit} by scale-up policy`;
      }
    } else if (desired < current) {
      const limit = Math.max(config.min, Math.min(current, scaleDownLimit(current, state.events, now, down)));
      if (desired < limit) {
        desired = limit;
        limitNote = `, floored at ${limit} by scale-down policy`;
      }
    }
    desired = Math.min(config.max, Math.max(config.min, desired));
    const events = state.events.filter((e) => e.t > now - 1000 * Math.max(...up.policies.map((p) => p.periodSeconds), ...down.policies.map((p) => p.periodSeconds), 0));
    if (desired !== current) events.push({ t: now, delta: desired - current });
    const stabNote = stabilized !== raw ? `, stabilized to ${stabilized}` : '';
    return {
      desired,
      nextState: { recommendations: recs, events },
      reason: `${parts.join('; ')} -> ${raw}${stabNote}${limitNote}; ${current} -> ${desired}`,
    };
  },
};

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}
