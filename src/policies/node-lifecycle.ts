// The node lifecycle decisions (after Kubernetes' node lifecycle controller and OpenYurt's
// autonomy): a node whose lease was not renewed within the grace period is NotReady; once it has
// been NotReady for the eviction timeout (or a service's own toleration), that service's replicas
// on it are replaced elsewhere. Pure: time is a parameter, so `llmos sim` can run the same rules.

export interface NodeLifecycleTiming {
  /** --node-grace: a lease older than this makes the node NotReady (default 40 s). */
  graceMs: number;
  /** --eviction-timeout: NotReady this long, its service replicas are replaced (default 300 s). */
  evictionTimeoutMs: number;
}

export const defaultNodeLifecycle: NodeLifecycleTiming = { graceMs: 40_000, evictionTimeoutMs: 300_000 };

export interface NodeCondition {
  status: 'Ready' | 'NotReady';
  /** When the node became NotReady (ms since epoch): its last renewal plus the grace; null while Ready or never renewed. */
  notReadySince: number | null;
  /** ms since the last renewal; null when there never was one. */
  heartbeatAgeMs: number | null;
}

/** The node's condition at `now` from its last lease renewal (ms since epoch, or null/NaN for none). */
export function nodeCondition(lastRenewalMs: number | null, now: number, graceMs: number): NodeCondition {
  if (lastRenewalMs === null || !Number.isFinite(lastRenewalMs)) return { status: 'NotReady', notReadySince: null, heartbeatAgeMs: null };
  const age = Math.max(0, now - lastRenewalMs);
  return age <= graceMs ? { status: 'Ready', notReadySince: null, heartbeatAgeMs: age } : { status: 'NotReady', notReadySince: lastRenewalMs + graceMs, heartbeatAgeMs: age };
}

/** A service's toleration of an unreachable node: seconds, 'never' (keep its replicas there for good), or absent (the cluster's eviction timeout). */
export type UnreachableToleration = number | 'never' | undefined;

/** How long (ms) a replica on a NotReady node is kept before it is replaced; null: never replaced. */
export function toleranceMs(toleration: UnreachableToleration, evictionTimeoutMs: number): number | null {
  if (toleration === 'never') return null;
  return toleration === undefined ? evictionTimeoutMs : toleration * 1000;
}

/** Whether a replica on a node NotReady since `notReadySince` is due to be replaced at `now`. */
export function evictionDue(notReadySince: number | null, now: number, tolerance: number | null): boolean {
  return notReadySince !== null && tolerance !== null && now - notReadySince >= tolerance;
}

/** When (ms since epoch) the replicas of a service tolerating `tolerance` on that node will be replaced; null: not scheduled. */
export function evictionAt(notReadySince: number | null, tolerance: number | null): number | null {
  return notReadySince === null || tolerance === null ? null : notReadySince + tolerance;
}
