import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rolledBack, rolloutComplete, templateHash, withSpec } from './records.js';
import type { ServiceSpec } from './types.js';

const spec = (image: string, replicas = 2): ServiceSpec => ({ replicas, template: { image, env: {}, labels: {} }, ports: [], progressDeadlineSeconds: 60 });
const next = (s: ServiceSpec) => ({ name: 'web', namespace: 'default', labels: {}, spec: s, source: 'Service' as const });

test('create, unchanged, configure; a new template starts a rollout from the stable one', () => {
  const c = withSpec(undefined, next(spec('a')), 't1');
  assert.equal(c.action, 'created');
  assert.equal(c.record.templateHash, templateHash(spec('a').template));
  assert.equal(withSpec(c.record, next(spec('a')), 't2').action, 'unchanged');
  const scaled = withSpec(c.record, next(spec('a', 5)), 't2');
  assert.deepEqual([scaled.action, scaled.rollout, scaled.record.generation], ['configured', false, 2]);
  const b = withSpec(scaled.record, next(spec('b', 5)), 't3');
  assert.equal(b.rollout, true);
  assert.deepEqual(b.record.rollout, { phase: 'progressing', toHash: templateHash(spec('b').template), fromHash: c.record.templateHash, fromTemplate: spec('a').template, startedAt: 't3' });
  // Another template while b is still rolling out: the rollback target stays a.
  const d = withSpec(b.record, next(spec('d', 5)), 't4');
  assert.equal(d.record.rollout?.fromTemplate?.image, 'a');
  // Rolling back restores a, keeps the replica count, and records why.
  const back = rolledBack(d.record, 'new replica exited with code 1', 't5');
  assert.deepEqual([back.spec.template.image, back.spec.replicas, back.templateHash, back.rollout?.phase, back.rollout?.reason], ['a', 5, c.record.templateHash, 'rolled-back', 'new replica exited with code 1']);
});

test('a completed rollout becomes the next rollback target', () => {
  const a = withSpec(undefined, next(spec('a')), 't1').record;
  const b = rolloutComplete(withSpec(a, next(spec('b')), 't2').record, 't3');
  assert.deepEqual([b.rollout?.phase, b.rollout?.fromTemplate], ['complete', undefined]);
  const c = withSpec(b, next(spec('c')), 't4').record;
  assert.equal(c.rollout?.fromTemplate?.image, 'b');
});
