// Issue 17: a daemon SIGKILL during a rolling update. After the boot every replica's readiness is
// unknown until its probe answers again; the plan must resume the rollout from where it was, not
// stop the old replicas as "unready" (dropping below the desired count) nor roll back a good
// update because a new replica created long ago "is not ready yet".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plan, type Action, type PlanInput, type ReplicaView } from './plan.js';
import type { ReplicaTemplate } from './types.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const fromTemplate: ReplicaTemplate = { image: 'old', env: {}, labels: {} };
const rollout = { phase: 'progressing' as const, toHash: 'new', fromHash: 'old', fromTemplate, startedAt: new Date(T0).toISOString() };
let n = 0;
/** A replica adopted at boot: running, readiness not yet probed since the boot. */
const adopted = (hash: string, o: Partial<ReplicaView> = {}): ReplicaView => ({ id: `id${++n}`, name: `web-${hash}-${n}`, hash, state: 'running', ready: false, pending: true, livenessFailed: false, readinessFailedOut: false, createdAt: T0 + n, ...o });
const brief = (as: Action[]): string[] => as.map((a) => (a.type === 'start' ? `start ${a.count}` : a.type === 'remove' ? `remove ${a.name}` : a.type));

test('after a boot mid-rollout, replicas whose readiness is not known yet are neither stopped nor failed', () => {
  // Killed after the first new replica became ready, before an old one was stopped: 2 old + 1 new.
  // The boot is 5 minutes later, far past the 60 s progress deadline counted from creation.
  const old1 = adopted('old');
  const old2 = adopted('old');
  const new1 = adopted('new');
  const input: PlanInput = { replicas: 2, templateHash: 'new', rollout, progressDeadlineSeconds: 60, actual: [old1, old2, new1], now: T0 + 300_000, backoffUntil: 0, startErrors: 0 };
  assert.deepEqual(brief(plan(input)), [], 'wait for the probes: no rollback, no old replica stopped, no surge beyond one');
  // The probes answer: the new replica is ready again, the old ones too: the rollout goes on from its step.
  const probed = [{ ...old1, ready: true, pending: false }, { ...old2, ready: true, pending: false }, { ...new1, ready: true, pending: false }];
  assert.deepEqual(brief(plan({ ...input, actual: probed })), [`remove ${old2.name}`, 'start 1'], 'one old replica goes (the youngest) and the next new one starts, as before the kill');
});

test('a replica that has answered its probes and is still not ready past the deadline does fail the rollout', () => {
  const new1 = adopted('new', { pending: false });
  const input: PlanInput = { replicas: 1, templateHash: 'new', rollout, progressDeadlineSeconds: 60, actual: [adopted('old', { ready: true, pending: false }), new1], now: T0 + 300_000, backoffUntil: 0, startErrors: 0 };
  assert.deepEqual(brief(plan(input)), ['rollback']);
});
