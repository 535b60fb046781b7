import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModuleKind } from '../contracts/kinds.js';
import type { ModuleStatus } from '../contracts/system.js';
import { EventBus } from './events.js';
import { moduleUri, type AnyModuleDef } from './module.js';
import { dependentsOf, loadAtRunTime, unloadAtRunTime, type LoadedModule, type ModuleTable } from './run-time.js';

const K = (s: string) => s as ModuleKind;
const def = (kind: string, id: string, extra: Partial<AnyModuleDef> = {}): AnyModuleDef => ({ kind: K(kind), id, init: () => ({ id }), ...extra });

/** A module table over synthetic definitions with no-op init (as containerd's testRegistry). */
function table(defs: AnyModuleDef[], loadedNames: string[], calls: string[]): ModuleTable & { unloaded: Set<string> } {
  const loaded = new Map<string, LoadedModule>();
  const unloaded = new Set<string>();
  const byName = (n: string) => defs.find((d) => d.id === n || moduleUri(d) === n) ?? assert.fail(`no ${n}`);
  for (const n of loadedNames) loaded.set(moduleUri(byName(n)), { def: byName(n), api: { id: n } });
  return {
    unloaded,
    def: byName,
    loaded: () => [...loaded.values()],
    get: (uri) => loaded.get(uri),
    init: async (d) => (loaded.set(moduleUri(d), { def: d, api: { id: d.id } }), calls.push(`init ${d.id}`), true),
    start: async (l) => void calls.push(`start ${l.def.id}`),
    stop: async (l) => void calls.push(`stop ${l.def.id}`),
    forget: (uri) => void loaded.delete(uri),
    markUnloaded: (uri) => void unloaded.add(uri),
    notLoadedReason: () => undefined,
    required: (uri) => uri === 'k.store.v1.sqlite',
    store: () => undefined,
    status: (d) => ({ name: d.id, state: loaded.has(moduleUri(d)) ? 'loaded' : 'unloaded' }) as unknown as ModuleStatus,
    events: new EventBus(),
    log: { warn: (_o, m) => void calls.push(`warn ${m}`) },
  };
}

test('dependentsOf: only modules that require the kind, and only when no other provider is loaded', () => {
  const a1 = { def: def('k.a.v1', 'a1'), api: {} };
  const a2 = { def: def('k.a.v1', 'a2'), api: {} };
  const user = { def: def('k.u.v1', 'u', { requires: [K('k.a.v1')] }), api: {} };
  const soft = { def: def('k.s.v1', 's', { optional: [K('k.a.v1')] }), api: {} };
  assert.deepEqual(dependentsOf([a1, user, soft], a1).map((d) => d.id), ['u']);
  assert.deepEqual(dependentsOf([a1, a2, user], a1), [], 'a second provider stands in');
});

test('unload: refused for a required kind and a kernel-required module; optional users are told before the stop, and a failing hook only warns', async () => {
  const calls: string[] = [];
  const defs = [
    def('k.store.v1', 'sqlite'),
    def('k.a.v1', 'a'),
    def('k.u.v1', 'u', { requires: [K('k.a.v1')] }),
    def('k.s.v1', 's', { optional: [K('k.a.v1')], onDependencyUnloaded: () => void calls.push('told s') }),
    def('k.t.v1', 't', { optional: [K('k.a.v1')], onDependencyUnloaded: () => { throw new Error('boom'); } }),
  ];
  const t = table(defs, ['sqlite', 'a', 'u', 's', 't'], calls);
  await assert.rejects(unloadAtRunTime(t, 'a'), /cannot unload a: required by u; unload those first/);
  await assert.rejects(unloadAtRunTime(t, 'sqlite'), /required by the kernel/);
  await unloadAtRunTime(t, 'u');
  const seen: string[] = [];
  t.events.subscribe('/modules/unloaded', (e) => void seen.push(e.message));
  await unloadAtRunTime(t, 'a');
  assert.deepEqual(calls, ['stop u', 'told s', 'warn module k.t.v1.t onDependencyUnloaded(k.a.v1) failed: boom', 'stop a']);
  assert.deepEqual([...t.unloaded], ['k.u.v1.u', 'k.a.v1.a']);
  assert.match(seen.at(-1)!, /module k\.a\.v1\.a unloaded \(told s, t, which use it\)/);
  await assert.rejects(unloadAtRunTime(t, 'a'), /a is not loaded/);
});

test('load: refuses a loaded module and missing requirements; tells optional users when the kind comes back', async () => {
  const calls: string[] = [];
  const defs = [def('k.a.v1', 'a'), def('k.u.v1', 'u', { requires: [K('k.a.v1')] }), def('k.s.v1', 's', { optional: [K('k.a.v1')], onDependencyLoaded: (_api, kind) => void calls.push(`told s of ${kind}`) })];
  const t = table(defs, ['s'], calls);
  await assert.rejects(loadAtRunTime(t, 'u'), /cannot load u: it requires k\.a\.v1; load that first/);
  await loadAtRunTime(t, 'a');
  await assert.rejects(loadAtRunTime(t, 'a'), /already loaded/);
  assert.deepEqual(calls, ['init a', 'start a', 'told s of k.a.v1']);
});
