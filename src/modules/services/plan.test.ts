import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs, plan, type Action, type PlanInput, type ReplicaView } from './plan.js';
import type { ReplicaTemplate } from './types.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
let n = 0;
const r = (hash: string, o: Partial<ReplicaView> = {}): ReplicaView => ({ id: `id${++n}`, name: `web-${hash}-${n}`, hash, state: 'running', ready: true, livenessFailed: false, readinessFailedOut: false, createdAt: T0 + n, ...o });
const input = (o: Partial<PlanInput>): PlanInput => ({ replicas: 3, templateHash: 'new', progressDeadlineSeconds: 60, actual: [], now: T0 + 1000, backoffUntil: 0, startErrors: 0, ...o });
const fromTemplate: ReplicaTemplate = { image: 'old', env: {}, labels: {} };
const rolling = { phase: 'progressing' as const, toHash: 'new', fromHash: 'old', fromTemplate, startedAt: new Date(T0).toISOString() };
/** Compact form: "start 2", "remove <name>", "rollback", "complete". */
const brief = (as: Action[]): string[] => as.map((a) => (a.type === 'start' ? `start ${a.count}` : a.type === 'remove' ? `remove ${a.name}` : a.type === 'rollback' ? 'rollback' : 'complete'));

test('steady state: start missing, replace dead, stop extra, idempotent when converged', () => {
  n = 0;
  const three = [r('new'), r('new'), r('new')];
  const cases: Array<{ name: string; in: PlanInput; want: string[] }> = [
    { name: 'nothing yet: start 3', in: input({}), want: ['start 3'] },
    { name: 'converged: nothing to do', in: input({ actual: three }), want: [] },
    { name: 'one exited: remove it, start 1', in: input({ actual: [three[0]!, three[1]!, { ...three[2]!, state: 'exited', exitCode: 137 }] }), want: [`remove ${three[2]!.name}`, 'start 1'] },
    { name: 'liveness failed: replace', in: input({ actual: [three[0]!, three[1]!, { ...three[2]!, livenessFailed: true }] }), want: [`remove ${three[2]!.name}`, 'start 1'] },
    { name: 'back-off holds starts', in: input({ actual: [three[0]!], backoffUntil: T0 + 5000 }), want: [] },
    // scale down 3 -> 1: unready first, then youngest (three[2] is youngest)
    { name: 'scale down removes unready, then youngest', in: input({ replicas: 1, actual: [three[0]!, { ...three[1]!, ready: false }, three[2]!] }), want: [`remove ${three[1]!.name}`, `remove ${three[2]!.name}`] },
    { name: 'scale to zero', in: input({ replicas: 0, actual: three }), want: [...three].reverse().map((x) => `remove ${x.name}`) },
    { name: 'stopping replicas are left alone', in: input({ replicas: 1, actual: [three[0]!, { ...three[1]!, state: 'stopping' }] }), want: [] },
  ];
  for (const c of cases) assert.deepEqual(brief(plan(c.in)), c.want, c.name);
});

test('rolling update: surge one, stop an old one per new ready one, then complete', () => {
  n = 0;
  const olds = [r('old'), r('old'), r('old')];
  // step 1: 3 old ready, no new: start 1 (3 + 1 = desired + maxSurge)
  assert.deepEqual(brief(plan(input({ rollout: rolling, actual: olds }))), ['start 1']);
  // step 2: the new one is starting (unready): wait
  const n1 = r('new', { ready: false });
  assert.deepEqual(brief(plan(input({ rollout: rolling, actual: [...olds, n1] }))), []);
  // step 3: it is ready: stop one old (the youngest), and start the next new one in the freed slot
  const n1r = { ...n1, ready: true };
  assert.deepEqual(brief(plan(input({ rollout: rolling, actual: [...olds, n1r] }))), [`remove ${olds[2]!.name}`, 'start 1']);
  // last step: 3 new ready, 1 old ready: stop it; not complete until it is gone
  const news = [n1r, r('new'), r('new')];
  assert.deepEqual(brief(plan(input({ rollout: rolling, actual: [olds[0]!, ...news] }))), [`remove ${olds[0]!.name}`]);
  assert.deepEqual(brief(plan(input({ rollout: rolling, actual: news }))), ['complete']);
});

test('rolling update: an unready old replica is replaced at once', () => {
  n = 0;
  const olds = [r('old'), r('old', { ready: false })];
  // 1 old ready kept + 2 new = 3 = desired 2 + maxSurge 1
  assert.deepEqual(brief(plan(input({ replicas: 2, rollout: rolling, actual: olds }))), [`remove ${olds[1]!.name}`, 'start 2']);
});

test('rolling update: failures of the new template roll back', () => {
  n = 0;
  const olds = [r('old'), r('old'), r('old')];
  const cases: Array<{ name: string; in: PlanInput }> = [
    { name: 'new replica exited', in: input({ rollout: rolling, actual: [...olds, r('new', { state: 'exited', exitCode: 1 })] }) },
    { name: 'new replica failed readiness', in: input({ rollout: rolling, actual: [...olds, r('new', { ready: false, readinessFailedOut: true })] }) },
    { name: 'new replica could not start', in: input({ rollout: rolling, actual: olds, startErrors: 1, lastStartError: 'image not found' }) },
    // created at ~T0, deadline 60 s, now T0 + 61 s
    { name: 'new replica not ready by the deadline', in: input({ rollout: rolling, actual: [...olds, r('new', { ready: false })], now: T0 + 61_000 }) },
  ];
  for (const c of cases) assert.deepEqual(brief(plan(c.in)), ['rollback'], c.name);
  assert.match((plan(cases[2]!.in)[0] as { reason: string }).reason, /image not found/);
  // Without a template to go back to (first deployment), failures are replaced with back-off instead.
  const first = { ...rolling, fromTemplate: undefined, fromHash: undefined };
  const dead = r('new', { state: 'exited', exitCode: 1 });
  assert.deepEqual(brief(plan(input({ replicas: 1, rollout: first, actual: [dead] }))), [`remove ${dead.name}`, 'start 1']);
});

test('after a rollback the failed replicas are the old ones and go', () => {
  n = 0;
  // Template is back to "old"; the broken "new" replica is removed, the old ones stay.
  const olds = [r('old'), r('old'), r('old')];
  const broken = r('new', { ready: false });
  assert.deepEqual(brief(plan(input({ templateHash: 'old', rollout: { ...rolling, phase: 'rolled-back' }, actual: [...olds, broken] }))), [`remove ${broken.name}`]);
});

test('back-off doubles from 1 s and caps at 30 s', () => {
  assert.deepEqual([0, 1, 2, 3, 5, 6, 20].map(backoffMs), [0, 1000, 2000, 4000, 16_000, 30_000, 30_000]);
});

test('scale-down across nodes: among ready replicas the higher evictionRank (public node) goes first, then the youngest', () => {
  n = 0;
  const priv = [r('new', { evictionRank: 2 }), r('new', { evictionRank: 2 })];
  const pub = [r('new', { evictionRank: 2002, createdAt: T0 - 1000 }), r('new', { evictionRank: 2002, createdAt: T0 - 999 })];
  // The public replicas are the oldest, yet they are the ones removed.
  assert.deepEqual(brief(plan(input({ replicas: 2, actual: [...priv, ...pub] }))).sort(), [`remove ${pub[0]!.name}`, `remove ${pub[1]!.name}`].sort());
  // Unready still goes before a ready public one.
  const unready = r('new', { evictionRank: 0, ready: false });
  assert.deepEqual(brief(plan(input({ replicas: 4, actual: [...priv, ...pub, unready] }))), [`remove ${unready.name}`]);
});
