// The pure parts of the cluster copies: which nodes take a function, which functions stay on the
// server, and the deploy request of a copy (triggers and server-side bindings left out, the
// server's version as origin, and a request the node's own normalizeSpec accepts as the same spec).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyInput, mirrorable, originOf, takes } from './cluster-mirror.js';
import { normalizeSpec } from './spec.js';

const now = '2026-12-01T00:00:00.000Z';

test('a node takes isolate functions only with the functions module, image functions only with runc too', () => {
  const iso = normalizeSpec({ name: 'a' }, undefined, true, now);
  const img = normalizeSpec({ name: 'b', image: 'r/x:1', port: 80 }, undefined, false, now);
  assert.equal(takes({ runtimes: ['runc'] }, iso), false);
  assert.equal(takes({ runtimes: ['runc'] }, img), false);
  assert.equal(takes({ runtimes: ['isolate'] }, iso), true);
  assert.equal(takes({ runtimes: ['isolate'] }, img), false);
  assert.equal(takes({ runtimes: ['runc', 'isolate'] }, img), true);
});

test('functions with secrets or queue producers stay on the server', () => {
  assert.match(mirrorable(normalizeSpec({ name: 'a', secrets: ['S'] }, undefined, true, now)) ?? '', /secrets/);
  assert.match(mirrorable(normalizeSpec({ name: 'a', producers: ['q'] }, undefined, true, now)) ?? '', /queues/);
  assert.equal(mirrorable(normalizeSpec({ name: 'a', kv: ['K'] }, undefined, true, now)), undefined);
});

test('a copy carries the spec without triggers, with the server version as origin', () => {
  const spec = normalizeSpec({ name: 'f', memory: '96m', timeout: '3s', min: 1, max: 4, env: { A: '1' }, kv: ['K'], schedule: '*/5 * * * *', allowNet: ['10.0.0.1:80'], keepAlive: 'fixed:30s', streamMax: '1m' }, undefined, true, now);
  const input = copyInput(spec);
  assert.equal(input.schedule, undefined);
  assert.equal(input.origin, originOf(spec));
  const copy = normalizeSpec(input, undefined, true, '2026-12-02T00:00:00.000Z');
  for (const k of ['memory', 'timeoutMs', 'cpuMs', 'min', 'max', 'env', 'kv', 'allowNet', 'keepAlive', 'streamMaxBytes', 'bodyLimit', 'namespace'] as const) assert.deepEqual(copy[k], spec[k], k);
  assert.equal(copy.schedule, undefined);
  assert.equal(copy.origin, originOf(spec));
  // A delete and redeploy starts at version 1 again: the origin still differs.
  assert.notEqual(originOf({ ...spec, createdAt: '2026-12-03T00:00:00.000Z' }), originOf(spec));
});
