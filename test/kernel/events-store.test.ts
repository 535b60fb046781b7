// The event history outlives a restart, a reload of this module adds no duplicates, and the trim keeps `keep`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kinds } from '../../src/contracts/kinds.js';
import type { StateStore } from '../../src/contracts/state-store.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { silentLogger } from '../../src/kernel/log.js';
import type { HostProbe } from '../../src/kernel/probe.js';
import { Registry } from '../../src/kernel/registry.js';
import { sqliteStoreModule } from '../../src/modules/state-store/module.js';
import { eventsStoreModule, type EventsStoreApi } from '../../src/modules/events-store/module.js';

const host: HostProbe = {
  kernel: 'test', arch: 'x64', cpus: 2, memoryBytes: 2 ** 31,
  cgroup: { version: 1, controllers: ['memory'], root: '/sys/fs/cgroup' }, namespaces: ['net'], overlayfs: true,
  binaries: { runc: { path: null, version: null }, conmon: { path: null, version: null }, iptables: { path: null, version: null }, catatonit: { path: null, version: null } },
  cni: { dir: null, plugins: [] }, root: false,
};

async function withKernel(dir: string, fn: (k: Kernel) => Promise<void>, keep?: number): Promise<void> {
  const k = new Kernel({ dataDir: dir, registry: Registry.of([sqliteStoreModule(), eventsStoreModule()]), log: silentLogger(), probe: async () => host, config: keep ? { modules: { 'events-store': { keep } } } : {} });
  await k.boot();
  try {
    await fn(k);
  } finally {
    await k.shutdown();
  }
}

const mine = (k: Kernel) => k.events.recent({ prefix: '/test/' }).map((e) => e.message);

test('events survive a restart; reloading the module restores nothing twice', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-events-'));
  try {
    await withKernel(dir, async (k) => {
      for (let i = 0; i < 3; i++) k.events.publish({ topic: '/test/e', message: `e${i}` });
      await k.getSingle<EventsStoreApi>(Kinds.eventsStore).flush();
    });
    await withKernel(dir, async (k) => {
      assert.deepEqual(mine(k), ['e0', 'e1', 'e2'], 'restored at boot');
      const next = k.events.publish({ topic: '/test/e', message: 'e3' });
      assert.ok(next.seq > Math.max(...k.events.recent({ prefix: '/test/' }).slice(0, 3).map((e) => e.seq)), 'new events number after the restored ones');
      await k.unloadModule('events-store');
      k.events.publish({ topic: '/test/e', message: 'not kept: the module is unloaded' });
      await k.loadModule('events-store');
      assert.deepEqual(mine(k), ['e0', 'e1', 'e2', 'e3', 'not kept: the module is unloaded'], 'the reload added no duplicates');
    });
    await withKernel(dir, async (k) => {
      assert.deepEqual(mine(k), ['e0', 'e1', 'e2', 'e3']);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the trim keeps the newest `keep` events in the store', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-events-'));
  try {
    await withKernel(dir, async (k) => {
      for (let i = 0; i < 10; i++) k.events.publish({ topic: '/test/e', message: `e${i}` });
      const es = k.getSingle<EventsStoreApi>(Kinds.eventsStore);
      await es.flush();
      await es.trim();
      const { items } = await k.getSingle<StateStore>(Kinds.stateStore).list<{ message: string }>('/events/');
      assert.equal(items.length, 4);
      assert.deepEqual(items.slice(-2).map((kv) => kv.value.message), ['e8', 'e9']);
    }, 4);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
