import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kernel, bootStages } from './kernel.js';
import { Registry } from './registry.js';
import { SkipModule } from './errors.js';
import { silentLogger } from './log.js';
import type { ModuleKind } from '../contracts/kinds.js';
import type { AnyModuleDef, InitContext } from './module.js';
import type { HostProbe } from './probe.js';
import { sqliteStoreModule } from '../modules/state-store/test-fixture.js';

const fakeHost: HostProbe = {
  kernel: 'test', arch: 'x64', cpus: 2, memoryBytes: 4 * 2 ** 30,
  cgroup: { version: 1, controllers: ['memory'], root: '/sys/fs/cgroup' }, namespaces: ['net'], overlayfs: true,
  binaries: { runc: { path: null, version: null }, conmon: { path: null, version: null }, iptables: { path: null, version: null }, catatonit: { path: null, version: null } },
  cni: { dir: null, plugins: [] }, root: false,
};

function recorder() {
  const calls: string[] = [];
  const mod = (kind: ModuleKind, id: string, requires: ModuleKind[] = [], extra: Partial<AnyModuleDef> = {}): AnyModuleDef => ({
    kind,
    id,
    requires,
    init: () => { calls.push(`init ${id}`); return { id }; },
    start: () => { calls.push(`start ${id}`); },
    stop: () => { calls.push(`stop ${id}`); },
    ...extra,
  });
  return { calls, mod };
}

async function withKernel(defs: AnyModuleDef[], fn: (k: Kernel, dir: string) => Promise<void>, opts: { required?: string[]; dir?: string } = {}) {
  const dir = opts.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'llmos-kernel-')));
  const k = new Kernel({ dataDir: dir, registry: Registry.of([sqliteStoreModule(), ...defs]), log: silentLogger(), probe: async () => fakeHost, required: opts.required });
  try {
    await fn(k, dir);
  } finally {
    await k.shutdown();
    if (!opts.dir) await rm(dir, { recursive: true, force: true });
  }
}

test('boot runs the five stages in order, inits in dependency order, starts after all inits, stops in reverse', async () => {
  const { calls, mod } = recorder();
  await withKernel([mod('t.c.v1', 'c', ['t.b.v1']), mod('t.b.v1', 'b', ['t.a.v1']), mod('t.a.v1', 'a')], async (k, dir) => {
    const s = await k.boot();
    assert.deepEqual(s.boot.stages.map((x) => x.stage), [...bootStages]);
    for (const x of s.boot.stages) assert.ok(x.durationMs >= 0);
    assert.deepEqual(calls, ['init a', 'init b', 'init c', 'start a', 'start b', 'start c']);
    assert.ok((await stat(path.join(dir, 'modules', 't.b.v1.b'))).isDirectory(), 'each module gets its own directory');
    assert.equal(s.node.capacity.cpu, 2000);
    calls.length = 0;
  });
  assert.deepEqual(calls, ['stop c', 'stop b', 'stop a']);
});

test('a module that declines is skipped with its reason, and so are its dependents; boot goes on', async () => {
  const { mod } = recorder();
  const noRunc = mod('t.runtime.v1', 'runc', [], { init: () => { throw new SkipModule('runc not found in PATH'); } });
  await withKernel([noRunc, mod('t.svc.v1', 'svc', ['t.runtime.v1']), mod('t.other.v1', 'other')], async (k) => {
    await k.boot();
    const by = Object.fromEntries(k.modules().map((m) => [m.name, m]));
    assert.equal(by.runtime!.state, 'skipped');
    assert.equal(by.runtime!.reason, 'runc not found in PATH');
    assert.equal(by.svc!.state, 'skipped');
    assert.match(by.svc!.reason!, /requires t\.runtime\.v1, which is not loaded/);
    assert.equal(by.other!.state, 'loaded');
  });
});

test('a failing module is dropped unless it is required, in which case boot aborts', async () => {
  const { mod } = recorder();
  const bad = () => mod('t.bad.v1', 'bad', [], { init: () => { throw new Error('boom'); } });
  await withKernel([bad()], async (k) => {
    await k.boot();
    assert.equal(k.modules().find((m) => m.name === 'bad')!.state, 'failed');
  });
  await withKernel([bad()], async (k) => {
    await assert.rejects(k.boot(), /required module t\.bad\.v1\.bad failed: boom/);
  }, { required: ['bad'] });
});

test('unload refuses while others require the module, naming them; load refuses missing dependencies', async () => {
  const { calls, mod } = recorder();
  await withKernel([mod('t.images.v1', 'oci'), mod('t.containers.v1', 'runc', ['t.images.v1']), mod('t.functions.v1', 'iso', ['t.images.v1'])], async (k) => {
    await k.boot();
    await assert.rejects(k.unloadModule('images'), /cannot unload images: required by containers, functions/);
    await k.unloadModule('containers');
    await k.unloadModule('functions');
    await k.unloadModule('images');
    assert.ok(calls.includes('stop oci'));
    await assert.rejects(k.loadModule('containers'), /requires t\.images\.v1; load that first/);
    await k.loadModule('images');
    const c = await k.loadModule('containers');
    assert.equal(c.state, 'loaded');
    await assert.rejects(k.loadModule('containers'), /already loaded/);
    await assert.rejects(k.unloadModule('state-store'), /required by containers|required by the kernel|cannot unload/);
    await assert.rejects(k.loadModule('nope'), /no module named nope/);
  }, { required: ['state-store'] });
});

test('a module unloaded by the user stays unloaded after a restart (persisted in the store)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-kernel-'));
  try {
    const { mod } = recorder();
    const defs = () => [mod('t.extra.v1', 'x')];
    await withKernel(defs(), async (k) => {
      await k.boot();
      await k.unloadModule('extra');
    }, { dir });
    await withKernel(defs(), async (k) => {
      await k.boot();
      const m = k.modules().find((x) => x.name === 'extra')!;
      assert.equal(m.state, 'unloaded');
      await k.loadModule('extra');
    }, { dir });
    await withKernel(defs(), async (k) => {
      await k.boot();
      assert.equal(k.modules().find((x) => x.name === 'extra')!.state, 'loaded');
    }, { dir });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the init context carries no kernel; a module reaches only the kinds it declares', async () => {
  const { mod } = recorder();
  let seen: InitContext<unknown> | undefined;
  let sneaky: unknown;
  const user = mod('t.user.v1', 'u', ['t.a.v1'], {
    init(ctx) {
      seen = ctx;
      try {
        ctx.getSingle('t.b.v1');
      } catch (e) {
        sneaky = e;
      }
      return {};
    },
  });
  await withKernel([mod('t.a.v1', 'a'), mod('t.b.v1', 'b'), user], async (k) => {
    await k.boot();
    assert.ok(seen);
    assert.equal('kernel' in seen, false, 'no kernel handle on the context');
    assert.deepEqual(Object.keys(seen.control).sort(), ['loadModule', 'modules', 'status', 'unloadModule'], 'module control is a facade, not the kernel');
    assert.equal(seen.control.modules().length, k.modules().length);
    assert.match(String(sneaky), /module user \(t\.user\.v1\.u\) called getSingle\(t\.b\.v1\) but declares t\.b\.v1 in neither requires nor optional/);
    assert.deepEqual(seen.getSingle('t.a.v1'), { id: 'a' });
    assert.equal(k.modules().find((m) => m.name === 'user')!.state, 'loaded');
  });
});

test('optional dependencies: they may unload under their users, who are told, and hear of a reload', async () => {
  const { calls, mod } = recorder();
  let ctxOf: InitContext<unknown> | undefined;
  const hooks: string[] = [];
  const user = mod('t.user.v1', 'u', [], {
    optional: ['t.sched.v1'],
    init(ctx) {
      ctxOf = ctx;
      return { id: 'u' };
    },
    onDependencyUnloaded: (api: { id: string }, kind: string) => void hooks.push(`unloaded ${kind} -> ${api.id}`),
    onDependencyLoaded: (api: { id: string }, kind: string) => void hooks.push(`loaded ${kind} -> ${api.id}`),
  });
  await withKernel([mod('t.sched.v1', 's'), user], async (k) => {
    await k.boot();
    assert.deepEqual(hooks, [], 'boot tells no one: start() sees every module loaded at boot');
    assert.deepEqual(ctxOf!.getOptional('t.sched.v1'), { id: 's' });
    const s = k.modules().find((m) => m.name === 'sched')!;
    assert.deepEqual(s.usedBy, ['user']);
    assert.deepEqual(s.requiredBy, []);
    assert.deepEqual(k.modules().find((m) => m.name === 'user')!.optional, ['t.sched.v1']);

    await k.unloadModule('sched'); // an optional user does not block the unload
    assert.deepEqual(hooks, ['unloaded t.sched.v1 -> u']);
    assert.ok(calls.indexOf('stop s') >= 0);
    assert.equal(ctxOf!.getOptional('t.sched.v1'), undefined);
    assert.throws(() => ctxOf!.getSingle('t.sched.v1'), /no module of kind t\.sched\.v1 is loaded/);
    const ev = k.events.recent({ prefix: '/modules/unloaded' }).at(-1)!;
    assert.match(ev.message, /module t\.sched\.v1\.s unloaded \(told user, which use it\)/);

    await k.loadModule('sched');
    assert.deepEqual(hooks, ['unloaded t.sched.v1 -> u', 'loaded t.sched.v1 -> u']);
    assert.deepEqual(ctxOf!.getOptional('t.sched.v1'), { id: 's' });
    assert.equal(k.modules().find((m) => m.name === 'user')!.state, 'loaded');
  });
});

test('a failing dependency hook is logged, and the unload still happens', async () => {
  const { mod } = recorder();
  const user = mod('t.user.v1', 'u', [], { optional: ['t.dep.v1'], onDependencyUnloaded: () => { throw new Error('hook broke'); } });
  await withKernel([mod('t.dep.v1', 'd'), user], async (k) => {
    await k.boot();
    assert.equal((await k.unloadModule('dep')).state, 'unloaded');
    assert.equal(k.modules().find((m) => m.name === 'user')!.state, 'loaded');
  });
});
