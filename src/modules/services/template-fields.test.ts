import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fields } from './fields.js';
import { k8sEnv, optional, probe, resources } from './template-fields.js';

test('env lists: scalars become strings; an object value is a field error (its toString is never run)', () => {
  const f = new Fields();
  let ran = false;
  const env = k8sEnv([{ name: 'A', value: 1 }, { name: 'B' }, { name: 'C', value: { toString: () => ((ran = true), 'x') } }, { name: 'D=E', value: 'v' }], f, 'spec.env');
  assert.deepEqual(env, { A: '1', B: '' });
  assert.equal(ran, false);
  assert.deepEqual(f.errors.map((e) => e.path), ['spec.env[2].value', 'spec.env[3].name']);
});

test('resources: CPU in cores, memory in bytes; requests may not exceed limits; bad quantities name the path', () => {
  const f = new Fields();
  assert.deepEqual(resources({ limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: 0.25 } }, f, 'r'), { cpus: 0.5, memory: 64 * 2 ** 20, requests: { cpu: 0.25 } });
  assert.equal(f.errors.length, 0);
  const bad = new Fields();
  resources({ limits: { cpu: '1' }, requests: { cpu: '2', memory: 'lots' } }, bad, 'r');
  assert.deepEqual(bad.errors.map((e) => e.path), ['r.requests.memory', 'r.requests.cpu']);
  assert.deepEqual(resources(undefined, new Fields(), 'r'), {});
});

test("probes: Kubernetes' defaults, named ports, one handler, liveness success threshold 1", () => {
  const f = new Fields();
  const ports = [{ name: 'http', containerPort: 8080, protocol: 'http' as const }];
  assert.deepEqual(probe({ httpGet: { port: 'http' } }, f, 'p', ports, 'readiness'), { httpGet: { path: '/', port: 8080 }, initialDelaySeconds: 0, periodSeconds: 2, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
  assert.deepEqual(probe({ tcpSocket: {} }, f, 'p', ports, 'liveness', 10)?.periodSeconds, 10);
  assert.equal(f.errors.length, 0);
  const bad = new Fields();
  probe({ exec: { command: ['true'] }, tcpSocket: { port: 1 } }, bad, 'a', ports, 'readiness');
  probe({ httpGet: { port: 'nope' } }, bad, 'b', ports, 'readiness');
  probe({ exec: { command: ['true'] }, successThreshold: 2 }, bad, 'c', ports, 'liveness');
  assert.deepEqual(bad.errors.map((e) => e.path), ['a', 'b.httpGet.port', 'c.successThreshold']);
  assert.deepEqual(optional('x', undefined), {});
  assert.deepEqual(optional('x', 0), { x: 0 });
});
