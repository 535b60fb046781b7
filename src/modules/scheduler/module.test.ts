import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kinds } from '../../contracts/kinds.js';
import { Kernel } from '../../kernel/kernel.js';
import { Registry } from '../../kernel/registry.js';
import { silentLogger } from '../../kernel/log.js';
import type { HostProbe } from '../../kernel/probe.js';
import { sqliteStoreModule } from '../state-store/test-fixture.js';
import type { SchedulerApi } from '../../contracts/scheduler.js';
import { schedulerModule } from './module.js';

const Mi = 2 ** 20;
// 2 CPUs, 1280Mi; the kernel reserves 256Mi by default -> 1024Mi allocatable
const host: HostProbe = {
  kernel: 'test', arch: 'x64', cpus: 2, memoryBytes: 1280 * Mi,
  cgroup: { version: 1, controllers: ['memory'], root: '/sys/fs/cgroup' }, namespaces: ['net'], overlayfs: true,
  binaries: { runc: { path: null, version: null }, conmon: { path: null, version: null }, iptables: { path: null, version: null }, catatonit: { path: null, version: null } },
  cni: { dir: null, plugins: [] }, root: false,
};

async function withScheduler(fn: (s: SchedulerApi, k: Kernel, dir: string) => Promise<void>, dir?: string): Promise<void> {
  const d = dir ?? (await mkdtemp(path.join(os.tmpdir(), 'llmos-sched-')));
  const k = new Kernel({ dataDir: d, registry: Registry.of([sqliteStoreModule(), schedulerModule()]), log: silentLogger(), probe: async () => host });
  await k.boot();
  try {
    await fn(k.getSingle<SchedulerApi>(Kinds.scheduler), k, d);
  } finally {
    await k.shutdown();
    if (!dir) await rm(d, { recursive: true, force: true });
  }
}

test('admit allocates in the kernel ledger and release frees it', async () => {
  await withScheduler(async (s, k) => {
    const a = s.admit({ id: 'c1', requests: { cpu: 500, memory: 256 * Mi }, limits: { cpu: 500, memory: 256 * Mi } });
    assert.equal(a.qos, 'Guaranteed');
    assert.deepEqual(k.ledger.list(), [{ id: 'c1', cpu: 500, memory: 256 * Mi, pids: 0 }]);
    assert.equal(s.admit({ id: 'c1' }), a, 'admitting again returns the same admission');
    s.release('c1');
    assert.deepEqual(k.ledger.list(), []);
  });
});

test('rejections name the node shortfall and the quota together', async () => {
  await withScheduler(async (s) => {
    await s.createNamespace('team-a');
    await s.setQuota('team-a', { memory: 600 * Mi });
    s.admit({ id: 'w1', namespace: 'team-a', requests: { memory: 500 * Mi } });
    // node: 1024 - 500 = 524Mi free -> take 224Mi more through the ledger directly (another module)
    // leaves 300Mi; quota: 600 - 500 = 100Mi left
    s.admit({ id: 'w0', requests: { memory: 224 * Mi } });
    assert.throws(() => s.admit({ id: 'w2', namespace: 'team-a', requests: { memory: 512 * Mi } }), {
      name: 'ResourceExhausted',
      message: 'workload w2 does not fit: needs 512Mi memory, node has 300Mi allocatable free; quota team-a has 100Mi memory left',
    });
    assert.throws(() => s.admit({ id: 'x', namespace: 'nope' }), { name: 'NotFound' });
    await assert.rejects(s.removeNamespace('team-a'), /still has 1 workload/);
    assert.deepEqual(s.namespaces().find((n) => n.name === 'team-a')?.used, { cpu: 0, memory: 500 * Mi, workloads: 1 });
  });
});

test('allocations made straight in the ledger count against the node', async () => {
  await withScheduler(async (s, k) => {
    k.ledger.allocate('other', { memory: 1000 * Mi });
    assert.throws(() => s.admit({ id: 'y', requests: { memory: 100 * Mi } }), /needs 100Mi memory, node has 24Mi allocatable free/);
    // An id already in the ledger is adopted, not allocated twice.
    const a = s.admit({ id: 'other', requests: { memory: 1000 * Mi } });
    assert.equal(a.requests.memory, 1000 * Mi);
    assert.equal(k.ledger.list().length, 1);
  });
});

test('a higher priority preempts the lowest victim and the event records it', async () => {
  await withScheduler(async (s, k) => {
    const stopped: string[] = [];
    s.onPreempt((v, by) => void stopped.push(`${v.id} for ${by.id}`));
    s.admit({ id: 'low', priority: 0, subject: 'container/low', requests: { memory: 600 * Mi } });
    s.admit({ id: 'mid', priority: 5, subject: 'container/mid', requests: { memory: 400 * Mi } });
    const hi = s.admit({ id: 'hi', priority: 10, subject: 'container/hi', requests: { memory: 500 * Mi } });
    assert.deepEqual(hi.preempted.map((p) => p.id), ['low']);
    assert.equal(s.get('low'), undefined);
    assert.deepEqual(k.ledger.list().map((a) => a.id).sort(), ['hi', 'mid']);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(stopped, ['low for hi']);
    const ev = k.events.recent({ prefix: '/scheduler/preempted' });
    assert.equal(ev.length, 1);
    assert.match(ev[0]!.message, /container\/low \(priority 0\) preempted to make room for container\/hi \(priority 10\)/);
  });
});

test('namespaces and quotas persist across restarts', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-sched-'));
  try {
    await withScheduler(async (s) => {
      await s.createNamespace('team-b');
      await s.setQuota('team-b', { cpu: 2000, workloads: 3 });
      await s.setQuota('team-b', { workloads: null });
      await assert.rejects(s.createNamespace('team-b'), /already exists/);
      await assert.rejects(s.createNamespace('Bad_Name'), /DNS label/);
    }, dir);
    await withScheduler(async (s) => {
      assert.deepEqual(s.namespaces().map((n) => [n.name, n.quota]), [['default', undefined], ['team-b', { cpu: 2000 }]]);
      await s.removeNamespace('team-b');
      await assert.rejects(s.removeNamespace('default'), /cannot be removed/);
    }, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
