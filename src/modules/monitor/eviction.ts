// Eviction under memory pressure, after the kubelet (eviction/helpers.go rankMemoryPressure):
// when available memory falls below the threshold, evict one workload per round in QoS order:
// BestEffort first, then Burstable using more than its memory request, and only then the rest
// (Guaranteed, and Burstable within its request). Within a group the lower priority goes first,
// then the one furthest over its request. Pure: the caller samples memory and acts.
import type { QosClass } from '../scheduler/types.js';
import { formatMemory } from '../../kernel/quantity.js';

export interface EvictionCandidate {
  id: string;
  subject?: string;
  namespace: string;
  qos: QosClass;
  priority: number;
  memoryRequest: number;
  /** Working set, bytes. */
  memoryUsage: number;
}

/** 0: BestEffort, 1: Burstable over its request, 2: everything else (last resort). */
export function evictionGroup(c: EvictionCandidate): 0 | 1 | 2 {
  if (c.qos === 'BestEffort') return 0;
  if (c.qos === 'Burstable' && c.memoryUsage > c.memoryRequest) return 1;
  return 2;
}

// In the last-resort group, Burstable still goes before Guaranteed.
const qosRank: Record<QosClass, number> = { BestEffort: 0, Burstable: 1, Guaranteed: 2 };

export function rankForEviction(cs: readonly EvictionCandidate[]): EvictionCandidate[] {
  return [...cs].sort(
    (a, b) =>
      evictionGroup(a) - evictionGroup(b) ||
      qosRank[a.qos] - qosRank[b.qos] ||
      a.priority - b.priority ||
      b.memoryUsage - b.memoryRequest - (a.memoryUsage - a.memoryRequest) ||
      a.id.localeCompare(b.id),
  );
}

export interface MemorySignal {
  /** Bytes available to workloads now. */
  available: number;
  /** Evict while available is below this. */
  threshold: number;
}

export interface EvictionDecision {
  evict?: EvictionCandidate;
  pressure: boolean;
  reason: string;
}

export function decideEviction(signal: MemorySignal, candidates: readonly EvictionCandidate[]): EvictionDecision {
  const state = `memory available ${formatMemory(signal.available)}, threshold ${formatMemory(signal.threshold)}`;
  if (signal.available >= signal.threshold) return { pressure: false, reason: `no memory pressure: ${state}` };
  const [first] = rankForEviction(candidates);
  if (!first) return { pressure: true, reason: `memory pressure (${state}) but no workload to evict` };
  const over = first.memoryUsage - first.memoryRequest;
  const why = first.qos === 'BestEffort' ? 'BestEffort' : over > 0 ? `${first.qos}, ${formatMemory(over)} over its ${formatMemory(first.memoryRequest)} request` : `${first.qos}, last resort`;
  return { evict: first, pressure: true, reason: `memory pressure (${state}): evicting ${first.subject ?? first.id} (${why}, priority ${first.priority}, using ${formatMemory(first.memoryUsage)})` };
}
