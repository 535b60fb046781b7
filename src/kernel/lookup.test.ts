// getSingle / getOptional / lookup as a module sees them: only declared kinds, and containerd's
// NotFound / MultipleInstances for none / several.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModuleKind } from '../contracts/kinds.js';
import { Internal, MultipleInstances, NotFound } from './errors.js';
import { declaredLookup } from './lookup.js';
import type { AnyModuleDef } from './module.js';

const def: AnyModuleDef = { kind: 't.user.v1', id: 'u', requires: ['t.hard.v1'], optional: ['t.soft.v1'], init: () => ({}) };

function world(apis: Record<string, unknown[]>) {
  return declaredLookup(def, (kind: ModuleKind) => apis[kind] ?? []);
}

test('getSingle of an undeclared kind fails, naming the module and the kind', () => {
  const l = world({ 't.other.v1': [{ x: 1 }] });
  assert.throws(
    () => l.getSingle('t.other.v1'),
    (e: unknown) => e instanceof Internal && /module user \(t\.user\.v1\.u\) called getSingle\(t\.other\.v1\) but declares t\.other\.v1 in neither requires nor optional/.test(e.message),
  );
  assert.throws(() => l.lookup('t.other.v1'), /module user .* called lookup\(t\.other\.v1\)/, 'lookup refuses at once, not at the first call');
  assert.throws(() => l.getOptional('t.hard.v1'), /does not declare t\.hard\.v1 optional/, 'getOptional is for optional kinds only');
});

test('getSingle: the one loaded module, NotFound for none, MultipleInstances for several', () => {
  const one = { n: 1 };
  const apis: Record<string, unknown[]> = { 't.hard.v1': [one], 't.soft.v1': [] };
  const l = world(apis);
  assert.equal(l.getSingle('t.hard.v1'), one);
  assert.throws(() => l.getSingle('t.soft.v1'), (e: unknown) => e instanceof NotFound && /no module of kind t\.soft\.v1 is loaded/.test(e.message));
  assert.equal(l.getOptional('t.soft.v1'), undefined);
  apis['t.hard.v1'] = [one, { n: 2 }];
  assert.throws(() => l.getSingle('t.hard.v1'), (e: unknown) => e instanceof MultipleInstances && /2 modules of kind t\.hard\.v1 are loaded; name one/.test(e.message));
});

test('lookup resolves at call time: a module loaded later is found, one unloaded is NotFound', () => {
  const apis: Record<string, unknown[]> = {};
  const l = world(apis);
  const soft = l.lookup<{ n: number }>('t.soft.v1');
  assert.throws(() => soft(), NotFound);
  apis['t.soft.v1'] = [{ n: 3 }];
  assert.equal(soft().n, 3);
  assert.equal(l.getOptional<{ n: number }>('t.soft.v1')?.n, 3);
});
