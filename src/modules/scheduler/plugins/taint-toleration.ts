// TaintToleration: a node's NoSchedule and NoExecute taints repel workloads that do not
// tolerate them (filter); PreferNoSchedule taints only lower the score (kube tainttoleration/).
import { MaxNodeScore, unresolvable, type CycleState, type FilterPlugin, type ScorePlugin, type Status } from '../framework.js';
import type { NodeInfo, PodInfo } from '../node-info.js';
import type { Taint, Toleration } from '../types.js';

export const TaintTolerationName = 'TaintToleration';

/** Kubernetes' ToleratesTaint: effect matches (or is empty), key matches (or empty with Exists), value per operator. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  const op = t.operator ?? 'Equal';
  if (op === 'Exists') return true;
  if (!t.key) return false; // an empty key is only valid with Exists
  return (t.value ?? '') === (taint.value ?? '');
}

const untolerated = (tols: readonly Toleration[], taint: Taint): boolean => !tols.some((t) => tolerates(t, taint));

export class TaintToleration implements FilterPlugin, ScorePlugin {
  readonly name = TaintTolerationName;

  /** One status per taint, built once: the failure depends on the taint alone, and hot loops should not allocate. */
  private readonly statusByTaint = new WeakMap<Taint, Status>();

  filter(_s: CycleState, pod: PodInfo, node: NodeInfo): Status | null {
    if (node.taintCount === 0) return null;
    const taints = node.taints;
    for (let i = 0; i < taints.length; i++) {
      const taint = taints[i]!;
      if (taint.effect === 'PreferNoSchedule' || !untolerated(pod.tolerations, taint)) continue;
      let st = this.statusByTaint.get(taint);
      if (!st) this.statusByTaint.set(taint, (st = unresolvable('node(s) had untolerated taint', `node has taint ${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect} that the workload does not tolerate`)));
      return st;
    }
    return null;
  }

  /** Raw score: how many PreferNoSchedule taints the workload does not tolerate (fewer is better). */
  score(_s: CycleState, pod: PodInfo, node: NodeInfo): number {
    const taints = node.taints;
    let n = 0;
    for (let i = 0; i < taints.length; i++) if (taints[i]!.effect === 'PreferNoSchedule' && untolerated(pod.tolerations, taints[i]!)) n++;
    return n;
  }

  scoreAll(s: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], out: Float64Array): void {
    for (let i = 0; i < nodes.length; i++) out[i] = nodes[i]!.taintCount ? this.score(s, pod, nodes[i]!) : 0;
  }

  /** Reverse and scale: 100 × (1 - count / max). */
  normalizeScore(_s: CycleState, _p: PodInfo, _n: readonly NodeInfo[], scores: Float64Array): void {
    let max = 0;
    for (const s of scores) if (s > max) max = s;
    for (let i = 0; i < scores.length; i++) scores[i] = max === 0 ? MaxNodeScore : MaxNodeScore - Math.floor((scores[i]! * MaxNodeScore) / max);
  }
}
