import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AutoscalerController } from './controller.js';
import { SqliteStore } from '../state-store/test-fixture.js';
import { EventBus } from '../../kernel/events.js';
import { Reconciler } from '../../kernel/reconciler.js';
import { silentLogger } from '../../kernel/log.js';
import type { ScaleTargetMetrics, ScaleTargetProvider } from '../../contracts/scaling.js';

// A small inline fake of the narrow provider interface: a service whose load we set.
function fakeService(m: ScaleTargetMetrics) {
  const scaled: Array<{ replicas: number; reason: string }> = [];
  const p: ScaleTargetProvider = {
    kind: 'service',
    list: async () => [{ name: 'web', namespace: 'default', min: 1, max: 10 }],
    metrics: async (name) => {
      if (name !== 'web') throw new Error('no such service');
      return { ...m };
    },
    scale: async (_n, replicas, reason) => {
      scaled.push({ replicas, reason });
      m.replicas = replicas;
      m.readyReplicas = replicas;
    },
  };
  return { p, m, scaled };
}

async function setup(provider: ScaleTargetProvider) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-as-'));
  const store = new SqliteStore(path.join(dir, 's.db'));
  let now = 1_000_000;
  const events = new EventBus();
  const c = new AutoscalerController({ store, events, reconciler: new Reconciler(), log: silentLogger(), provider: (k) => (k === 'service' ? provider : undefined), now: () => now });
  await c.start();
  return { c, store, events, advance: (ms: number) => (now += ms), done: async () => { c.stop(); await store.close(); await rm(dir, { recursive: true, force: true }); } };
}

test('threshold: scales out by ceil(current * metric / target), records the decision with its reason, and persists state', async () => {
  const svc = fakeService({ replicas: 2, readyReplicas: 2, cpuUtilization: 90 });
  const t = await setup(svc.p);
  try {
    await t.c.put({ name: 'web', target: 'service/web', policy: 'threshold', min: 1, max: 10, metrics: [{ metric: 'cpu', target: 30 }] });
    const d = (await t.c.tick('default', 'web'))!;
    // ceil(2 * 90 / 30) = 6
    assert.equal(d.after, 6);
    assert.deepEqual(svc.scaled.map((s) => s.replicas), [6]);
    assert.match(svc.scaled[0]!.reason, /^threshold: /);
    assert.ok(await t.store.get('/autoscaler-state/default/web'), 'policy state persisted');
    const recorded = await t.c.decisions('default', 'web');
    assert.equal(recorded.at(-1)!.after, 6);
    assert.ok(t.events.recent({ prefix: '/autoscaler/scaled' }).some((e) => /service\/web 2 -> 6/.test(e.message)));
  } finally {
    await t.done();
  }
});

test('a target whose module is not loaded is left alone; bad specs are rejected with the field', async () => {
  const svc = fakeService({ replicas: 1, readyReplicas: 1, rps: 500 });
  const t = await setup(svc.p);
  try {
    await t.c.put({ name: 'fn', target: 'function/hello', policy: 'concurrency', min: 0, max: 5, metrics: [{ metric: 'concurrency', target: 10 }] });
    assert.equal(await t.c.tick('default', 'fn'), undefined);
    await assert.rejects(t.c.put({ name: 'x', target: 'pod/x', policy: 'threshold', min: 1, max: 2, metrics: [{ metric: 'cpu', target: 50 }] }), /autoscaler target: must be service\/NAME/);
    await assert.rejects(t.c.put({ name: 'x', target: 'service/x', policy: 'magic', min: 1, max: 2, metrics: [{ metric: 'cpu', target: 50 }] }), /autoscaler policy/);
    await assert.rejects(t.c.put({ name: 'x', target: 'service/x', policy: 'threshold', min: 3, max: 2, metrics: [{ metric: 'cpu', target: 50 }] }), /min must not exceed max/);
    assert.deepEqual(t.c.list().map((s) => s.name), ['fn']);
  } finally {
    await t.done();
  }
});

test('autoscalers written straight into the store (HPA manifests) are picked up', async () => {
  const svc = fakeService({ replicas: 4, readyReplicas: 4, rps: 100 });
  const t = await setup(svc.p);
  try {
    await t.store.put('/autoscalers/default/hpa-web', { name: 'hpa-web', namespace: 'default', target: 'service/web', policy: 'threshold', min: 1, max: 10, metrics: [{ name: 'rps', type: 'AverageValue', target: 50 }], source: 'HorizontalPodAutoscaler' });
    assert.equal(t.c.get('default', 'hpa-web').source, 'HorizontalPodAutoscaler');
    assert.deepEqual(t.c.get('default', 'hpa-web').metrics, [{ metric: 'rps', target: 50 }]);
    await t.store.delete('/autoscalers/default/hpa-web');
    assert.throws(() => t.c.get('default', 'hpa-web'), /not found/);
  } finally {
    await t.done();
  }
});
