// Moving a replica back from a burst (public) node once a preferred (private) node has room again:
// the choice is pure; cluster-replicas.ts marks the chosen replica so the plan replaces it with its
// surge (a new replica first, placed by the scheduler on the preferred node, then the old one stops).
import type { PlacementDecision } from '../../contracts/scheduler.js';
import type { ServiceRecord } from '../../contracts/services.js';
import type { ReplicaView } from './plan.js';

/** Millicores and bytes a replica asks of its node (requests, else limits), as placement counts them. */
export function requestsOf(t: { cpus?: number; memory?: number; requests?: { cpu?: number; memory?: number } }): { cpu: number; memory: number } {
  return { cpu: Math.round((t.requests?.cpu ?? t.cpus ?? 0) * 1000), memory: t.requests?.memory ?? t.memory ?? 0 };
}

/** evictionRank's tiers are multiples of 2000: a rank of 2000 or more is a replica off the preferred nodes. */
const OFF_PREFERRED = 2000;

export interface MoveInput {
  rec: ServiceRecord;
  views: readonly ReplicaView[];
  /** Each replica's node (cluster mode), in the order of views. */
  infos: ReadonlyArray<{ node?: string }>;
  /** Replicas of the service on each node. */
  peers: Record<string, number>;
  ranks: ReadonlyMap<string, number>;
  draining: readonly string[];
  /** Where one more replica would go now (with these peers). */
  place: (peers: Record<string, number>) => PlacementDecision;
}

/**
 * Which replica to move, or undefined. Only a settled service moves (every replica of the current
 * template, ready, as many as desired, no rollout and no drain in progress), so a move never
 * competes with a scale, an update or a crash loop; and only when placement would now choose a
 * preferred node for one more replica.
 */
export function moveCandidate(m: MoveInput): string | undefined {
  const { rec, views, infos } = m;
  if (rec.rollout?.phase === 'progressing' || views.length !== rec.spec.replicas) return undefined;
  if (!views.every((v) => v.hash === rec.templateHash && v.ready && v.state === 'running')) return undefined;
  if (infos.some((c) => c.node && m.draining.includes(c.node))) return undefined;
  const off = views.filter((v) => (m.ranks.get(v.id) ?? 0) >= OFF_PREFERRED).sort((a, b) => (m.ranks.get(b.id) ?? 0) - (m.ranks.get(a.id) ?? 0) || b.createdAt - a.createdAt || a.id.localeCompare(b.id));
  if (!off.length) return undefined;
  const d = m.place(m.peers);
  return d.node && d.tier === 'prefer' ? off[0]!.id : undefined;
}
