// The controller against a small in-memory fake of the containers interface it uses (the real
// runtime is exercised in test/services/). Checks convergence, restart safety and rollback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { ContainerInfo, ContainerSpec, ContainersApi } from '../../contracts/containers.js';
import { NotFound, Unavailable } from '../../kernel/errors.js';
import { EventBus } from '../../kernel/events.js';
import { SqliteStore } from '../state-store/test-fixture.js';
import { applyObjects } from './apply.js';
import { ServicesController } from './controller.js';
import type { ReplicaProbes } from './replica-probes.js';
import { assertValid, parseDocuments } from './manifest.js';
import type { ServiceRecord } from './types.js';

/** Containers that "run" until killed; images named "broken" cannot be created; none can while the store is "down". */
class FakeContainers {
  readonly rows = new Map<string, ContainerInfo>();
  private n = 0;
  storeDown = false;
  async run(spec: ContainerSpec): Promise<ContainerInfo> {
    if (this.storeDown) throw new Unavailable('store unavailable (no quorum): no leader');
    if (spec.image.includes('broken')) throw new NotFound(`image ${spec.image} not found`);
    const id = `c${++this.n}`;
    const t = new Date().toISOString();
    const info: ContainerInfo = { id, name: spec.name!, image: spec.image, imageId: 'sha256:x', namespace: spec.namespace ?? 'default', owner: spec.owner, state: 'running', status: 'Up', oomKilled: false, ports: [], createdAt: t, startedAt: t, restartCount: 0, labels: spec.labels ?? {}, spec };
    this.rows.set(id, info);
    return { ...info };
  }
  async list(): Promise<ContainerInfo[]> {
    return [...this.rows.values()].map((c) => ({ ...c }));
  }
  async stop(id: string): Promise<ContainerInfo> {
    const c = this.rows.get(id);
    if (!c) throw new NotFound(id);
    c.state = 'exited';
    return { ...c };
  }
  async remove(id: string): Promise<void> {
    const c = [...this.rows.values()].find((x) => x.id === id || x.name === id);
    if (c) this.rows.delete(c.id);
  }
  async exec(): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    return { exitCode: 0, stdout: '', stderr: '' };
  }
  kill(id: string): void {
    const c = this.rows.get(id)!;
    c.state = 'exited';
    c.exitCode = 137;
  }
  running(): ContainerInfo[] {
    return [...this.rows.values()].filter((c) => c.state === 'running');
  }
}

const manifest = (image: string, replicas: number) => ({ apiVersion: 'llmos.io/v1', kind: 'Service', metadata: { name: 'web' }, spec: { image, replicas, readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 } } });

async function setup(fn: (x: { store: SqliteStore; fake: FakeContainers; events: EventBus; controller: () => ServicesController; apply: (image: string, replicas: number) => Promise<void>; settle: (c: ServicesController) => Promise<void> }) => Promise<void>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-svc-ctl-'));
  const store = new SqliteStore(path.join(dir, 'state.db'));
  const fake = new FakeContainers();
  const events = new EventBus();
  const made: ServicesController[] = [];
  const controller = () => {
    const c = new ServicesController({ store, containers: () => fake as unknown as ContainersApi, events, log: pino({ level: 'silent' }), addresses: ['127.0.0.1'] });
    made.push(c);
    return c;
  };
  // Reconcile passes with probe ticks in between until nothing changes.
  const settle = async (c: ServicesController) => {
    for (let i = 0; i < 30; i++) {
      await c.kick();
      (c as unknown as { probes: ReplicaProbes }).probes.tick();
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  try {
    await fn({ store, fake, events, controller, settle, apply: async (image, replicas) => void (await applyObjects(store, assertValid(parseDocuments([manifest(image, replicas)])))) });
  } finally {
    for (const c of made) await c.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('converges to the desired replicas, replaces a dead one, and a new controller adopts instead of duplicating', async () => {
  await setup(async ({ store, fake, controller, apply, settle }) => {
    await apply('img:1', 3);
    const c1 = controller();
    await settle(c1);
    assert.equal(fake.running().length, 3);
    const rec = (await store.get<ServiceRecord>('/services/default/web'))!.value;
    assert.equal(c1.status(rec).readyReplicas, 3);
    // A replica dies: it is removed and replaced.
    const victim = fake.running()[0]!;
    fake.kill(victim.id);
    await settle(c1);
    assert.equal(fake.running().length, 3);
    assert.ok(!fake.rows.has(victim.id));
    // A daemon restart: a fresh controller sees the same 3 replicas and starts none.
    await c1.stop();
    const before = [...fake.rows.keys()].sort();
    const c2 = controller();
    await settle(c2);
    assert.deepEqual([...fake.rows.keys()].sort(), before);
    // Scale down and up.
    await apply('img:1', 1);
    await settle(c2);
    assert.equal(fake.running().length, 1);
    await apply('img:1', 2);
    await settle(c2);
    assert.equal(fake.running().length, 2);
  });
});

test('a rolling update replaces every replica; one to a broken image rolls back and keeps the old ones', async () => {
  await setup(async ({ store, fake, events, controller, apply, settle }) => {
    await apply('img:1', 2);
    const c = controller();
    await settle(c);
    const old = fake.running().map((x) => x.id).sort();
    await apply('img:2', 2);
    await settle(c);
    assert.deepEqual(fake.running().map((x) => x.image), ['img:2', 'img:2']);
    assert.equal((await store.get<ServiceRecord>('/services/default/web'))!.value.rollout?.phase, 'complete');
    assert.ok(old.every((id) => !fake.rows.has(id)));
    const good = fake.running().map((x) => x.id).sort();
    await apply('img:broken', 2);
    await settle(c);
    const rec = (await store.get<ServiceRecord>('/services/default/web'))!.value;
    assert.equal(rec.spec.template.image, 'img:2');
    assert.equal(rec.rollout?.phase, 'rolled-back');
    assert.match(rec.rollout?.reason ?? '', /not found/);
    assert.deepEqual(fake.running().map((x) => x.id).sort(), good, 'the old replicas kept running throughout');
    assert.ok(events.recent({ prefix: '/services/rolled-back' }).length === 1);
  });
});

test('a rolling update while the store is unavailable backs off and completes; it is not rolled back', async () => {
  await setup(async ({ store, fake, events, controller, apply, settle }) => {
    await apply('img:1', 2);
    const c = controller();
    await settle(c);
    fake.storeDown = true;
    await apply('img:2', 2);
    await settle(c);
    assert.equal((await store.get<ServiceRecord>('/services/default/web'))!.value.rollout?.phase, 'progressing');
    assert.ok(events.recent({ prefix: '/services/replica-failed' }).length >= 1, 'the failed start is reported');
    fake.storeDown = false;
    const end = Date.now() + 10_000;
    while ((await store.get<ServiceRecord>('/services/default/web'))!.value.rollout?.phase !== 'complete' && Date.now() < end) await settle(c);
    const rec = (await store.get<ServiceRecord>('/services/default/web'))!.value;
    assert.equal(rec.rollout?.phase, 'complete');
    assert.equal(rec.spec.template.image, 'img:2');
    assert.deepEqual(fake.running().map((x) => x.image), ['img:2', 'img:2']);
    assert.equal(events.recent({ prefix: '/services/rolled-back' }).length, 0);
  });
});

test('deleting a service removes its replicas', async () => {
  await setup(async ({ store, fake, controller, apply, settle }) => {
    await apply('img:1', 2);
    const c = controller();
    await settle(c);
    await store.delete('/services/default/web');
    await settle(c);
    assert.equal(fake.rows.size, 0);
  });
});
