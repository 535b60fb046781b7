import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from './registry.js';
import type { ModuleKind } from '../contracts/kinds.js';
import type { AnyModuleDef } from './module.js';
import { moduleUri } from './module.js';

// Synthetic definitions with no-op init, after containerd's plugin_test.go testRegistry().
const def = (kind: ModuleKind, id: string, requires: ModuleKind[] = []): AnyModuleDef => ({ kind, id, requires, init: () => ({}) });

test('register rejects a missing kind or id, a duplicate uri and a self-dependency', () => {
  assert.throws(() => Registry.of([def('' as ModuleKind, 'x')]), /no kind/);
  assert.throws(() => Registry.of([def('t.a.v1', '')]), /no id/);
  assert.throws(() => Registry.of([def('t.a.v1', 'x'), def('t.a.v1', 'x')]), /registered twice/);
  assert.throws(() => Registry.of([def('t.a.v1', 'x', ['t.a.v1'])]), /requires its own kind/);
});

test('graph orders every module after the providers of its required kinds', () => {
  const r = Registry.of([def('t.c.v1', 'c', ['t.b.v1']), def('t.b.v1', 'b', ['t.a.v1']), def('t.a.v1', 'a1'), def('t.a.v1', 'a2')]);
  const order = r.graph().map(moduleUri);
  for (const [before, after] of [['t.a.v1.a1', 't.b.v1.b'], ['t.a.v1.a2', 't.b.v1.b'], ['t.b.v1.b', 't.c.v1.c']])
    assert.ok(order.indexOf(before!) < order.indexOf(after!), `${before} before ${after} in ${order}`);
  assert.equal(order.length, 4);
});

test('graph rejects a cycle and names it', () => {
  const r = Registry.of([def('t.a.v1', 'a', ['t.b.v1']), def('t.b.v1', 'b', ['t.c.v1']), def('t.c.v1', 'c', ['t.a.v1'])]);
  assert.throws(() => r.graph(), /circular module dependency: t\.a\.v1\.a -> t\.b\.v1\.b -> t\.c\.v1\.c -> t\.a\.v1\.a/);
});

test('graph rejects a required kind that nothing provides', () => {
  assert.throws(() => Registry.of([def('t.a.v1', 'a', ['t.missing.v1'])]).graph(), /requires t\.missing\.v1, which no module provides/);
});

test('find accepts the uri, the kind or the short name', () => {
  const r = Registry.of([def('llmos.images.v1', 'oci')]);
  for (const n of ['llmos.images.v1.oci', 'llmos.images.v1', 'images']) assert.equal(r.find(n)?.id, 'oci');
  assert.equal(r.find('nope'), undefined);
});

test('optional kinds: validated at registration, and they neither order init nor make a cycle', () => {
  const opt = (kind: ModuleKind, id: string, requires: ModuleKind[], optional: ModuleKind[]): AnyModuleDef => ({ ...def(kind, id, requires), optional });
  assert.throws(() => Registry.of([opt('t.a.v1', 'x', [], ['t.a.v1'])]), /lists its own kind t\.a\.v1 as optional/);
  assert.throws(() => Registry.of([opt('t.a.v1', 'x', ['t.b.v1'], ['t.b.v1'])]), /lists t\.b\.v1 both in requires and optional/);
  // The API uses the dashboard when it is there, and the dashboard requires the API: no cycle.
  const r = Registry.of([opt('t.api.v1', 'http', [], ['t.ui.v1', 't.absent.v1']), def('t.ui.v1', 'web', ['t.api.v1'])]);
  assert.deepEqual(r.graph().map(moduleUri), ['t.api.v1.http', 't.ui.v1.web'], 'an optional kind nothing provides is fine');
});
