// The reconcile decision: desired service state vs actual replicas -> actions. Pure; the
// controller fetches inputs, applies the actions, and calls again on the next tick.
//
// Rolling updates follow Kubernetes' RollingUpdate with maxSurge 1 and maxUnavailable 0: at most
// one replica more than desired, and an old ready replica is stopped only once a new one is ready.
// Unlike Kubernetes, a rollout whose new replicas fail is rolled back automatically.
import type { WorkloadState } from '../../kernel/workloads.js';
import type { RolloutRecord } from './types.js';

export interface ReplicaView {
  id: string;
  name: string;
  hash: string;
  state: WorkloadState;
  /** Passing its readiness probe (or running, when it has none). */
  ready: boolean;
  /** Running, but its readiness has no probe result yet (e.g. just adopted after a daemon restart): not known to be unready. */
  pending?: boolean;
  /** The liveness probe has failed failureThreshold times in a row. */
  livenessFailed: boolean;
  /** An explicit readiness probe has failed failureThreshold times in a row. */
  readinessFailedOut: boolean;
  /** ms since epoch. */
  createdAt: number;
  exitCode?: number;
  /** Scale-down order across cluster nodes: higher goes first (public nodes, cordoned ones, the fullest). */
  evictionRank?: number;
}

export interface PlanInput {
  replicas: number;
  templateHash: string;
  rollout?: RolloutRecord;
  progressDeadlineSeconds: number;
  actual: readonly ReplicaView[];
  now: number;
  /** Starting replicas is held back until then (crash-loop back-off). */
  backoffUntil: number;
  /** Replicas of the current template that failed to be created or started since the rollout began. */
  startErrors: number;
  /** Last start error, for the reason. */
  lastStartError?: string;
}

export type Action =
  | { type: 'remove'; id: string; name: string; reason: string; failed: boolean }
  | { type: 'start'; count: number }
  | { type: 'rollback'; reason: string }
  | { type: 'complete-rollout' };

const MAX_SURGE = 1;

export function plan(input: PlanInput): Action[] {
  const { replicas: desired, templateHash, now } = input;
  const rolling = input.rollout?.phase === 'progressing' && input.rollout.toHash === templateHash;
  const dead = input.actual.filter((r) => r.state === 'exited' || r.state === 'failed' || r.livenessFailed);
  const alive = input.actual.filter((r) => !dead.includes(r) && r.state !== 'stopping');
  const cur = alive.filter((r) => r.hash === templateHash);
  const old = alive.filter((r) => r.hash !== templateHash);

  // A rollout fails on the first sign that the new template does not work.
  if (rolling && input.rollout?.fromTemplate) {
    const why = rolloutFailure(input, dead, cur);
    if (why) return [{ type: 'rollback', reason: why }];
  }

  const actions: Action[] = dead.map((r) => ({ type: 'remove', id: r.id, name: r.name, reason: deathReason(r), failed: true }));
  const remove = (r: ReplicaView, reason: string) => actions.push({ type: 'remove', id: r.id, name: r.name, reason, failed: false });

  // Too many current replicas: drop the unready first, then the youngest (Kubernetes' order).
  const curSorted = [...cur].sort(byRemovalPreference);
  const extraCur = Math.max(0, cur.length - desired);
  for (const r of curSorted.slice(0, extraCur)) remove(r, `scaled down to ${desired}`);
  const curKept = curSorted.slice(extraCur);
  const curReady = curKept.filter((r) => r.ready).length;

  // Old replicas: unready ones serve nothing and go at once; ready ones go as new ones become ready.
  // Pending ones (no probe result since a restart) are kept until their probes answer.
  const oldReady = old.filter((r) => r.ready);
  const oldPending = old.filter((r) => !r.ready && r.pending).length;
  for (const r of old.filter((r) => !r.ready && !r.pending)) remove(r, 'replaced by the new template');
  const removableReady = Math.max(0, curReady + oldReady.length - desired);
  const oldSorted = [...oldReady].sort(byRemovalPreference);
  for (const r of oldSorted.slice(0, removableReady)) remove(r, 'replaced by the new template');
  const oldKept = oldReady.length - Math.min(removableReady, oldReady.length) + oldPending;

  const total = curKept.length + oldKept;
  const cap = oldKept > 0 ? desired + MAX_SURGE : desired;
  const starts = Math.max(0, Math.min(desired - curKept.length, cap - total));
  if (starts > 0 && now >= input.backoffUntil) actions.push({ type: 'start', count: starts });

  if (rolling && oldKept === 0 && old.length === 0 && curReady >= desired) actions.push({ type: 'complete-rollout' });
  return actions;
}

function rolloutFailure(input: PlanInput, dead: readonly ReplicaView[], cur: readonly ReplicaView[]): string | undefined {
  const deadNew = dead.find((r) => r.hash === input.templateHash);
  if (deadNew) return `new replica ${deadNew.name} ${deathReason(deadNew)}`;
  const unhealthy = cur.find((r) => r.readinessFailedOut && !r.ready);
  if (unhealthy) return `new replica ${unhealthy.name} failed its readiness probe`;
  if (input.startErrors > 0) return `new replica could not start: ${input.lastStartError ?? 'unknown error'}`;
  // Progress is per replica: each new one has the deadline to become ready.
  // A pending replica (no probe result yet since a restart) is not known to be slow.
  const slow = cur.find((r) => !r.ready && !r.pending && input.now - r.createdAt > input.progressDeadlineSeconds * 1000);
  const noneReady = !cur.some((r) => r.ready || r.pending) && input.now - Date.parse(input.rollout!.startedAt) > input.progressDeadlineSeconds * 1000;
  if (slow || noneReady) return `${slow ? `new replica ${slow.name} did not` : 'no new replica did'} become ready within progressDeadlineSeconds (${input.progressDeadlineSeconds} s)`;
  return undefined;
}

function deathReason(r: ReplicaView): string {
  if (r.livenessFailed && r.state !== 'exited' && r.state !== 'failed') return 'failed its liveness probe';
  return r.exitCode !== undefined ? `exited with code ${r.exitCode}` : `is ${r.state}`;
}

/** Unready before ready, then the higher eviction rank (cluster mode), then youngest first. */
function byRemovalPreference(a: ReplicaView, b: ReplicaView): number {
  if (a.ready !== b.ready) return a.ready ? 1 : -1;
  return (b.evictionRank ?? 0) - (a.evictionRank ?? 0) || b.createdAt - a.createdAt;
}

/** Crash-loop back-off after `failures` failures in a row: 1 s, 2 s, 4 s ... capped at 30 s. */
export const backoffMs = (failures: number): number => (failures <= 0 ? 0 : Math.min(30_000, 1000 * 2 ** (failures - 1)));
