import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerInfo } from '../../contracts/containers.js';
import { newTracker } from './probes.js';
import { isReady, readyBackends, replicaSpec, replicaView, serviceStatus, templateFor, type ReplicaRuntime, type ServiceRuntime } from './replica-runtime.js';
import { LABEL_HASH, LABEL_SERVICE, type ProbeSpec, type ReplicaTemplate, type ServiceRecord } from './types.js';

const tpl = (image: string): ReplicaTemplate => ({ image, env: { A: '1' }, labels: { tier: 'web' } });
const rec = (over: Partial<ServiceRecord> = {}): ServiceRecord => ({ name: 'web', namespace: 'default', labels: {}, spec: { replicas: 2, template: tpl('web:2'), ports: [], progressDeadlineSeconds: 60 }, templateHash: 'hash2abcdef', generation: 2, createdAt: '', updatedAt: '', source: 'cli', ...over });
const info = (over: Partial<ContainerInfo> = {}): ContainerInfo => ({ id: 'c1', name: 'web-1', image: 'web:2', imageId: 'sha256:x', namespace: 'default', state: 'running', status: 'Up', oomKilled: false, ports: [], createdAt: '2026-01-01T00:00:00.000Z', restartCount: 0, labels: {}, spec: { image: 'web:2' }, ...over });
const probe: ProbeSpec = { exec: { command: ['true'] }, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };

test('a replica runs the current template, or the one its rollout started from', () => {
  const r = rec({ rollout: { phase: 'progressing', toHash: 'hash2abcdef', fromHash: 'hash1', fromTemplate: tpl('web:1'), startedAt: '' } });
  assert.equal(templateFor(r, 'hash2abcdef').image, 'web:2');
  assert.equal(templateFor(r, 'hash1').image, 'web:1');
  assert.equal(templateFor(r, 'unknown').image, 'web:2');
});

test('ready: running, probed, not being removed, and its readiness probe passing', () => {
  const r: ReplicaRuntime = { info: info(), hash: 'h' };
  assert.equal(isReady(r), false, 'not probed yet');
  r.probed = true;
  assert.equal(isReady(r), true);
  r.readiness = { spec: probe, t: newTracker(probe, 'readiness', 0), implicit: false };
  assert.equal(isReady(r), false, 'readiness starts failing');
  r.readiness.t = { ...r.readiness.t, passing: true };
  assert.equal(isReady(r), true);
  r.removing = true;
  assert.equal(isReady(r), false);
  assert.equal(replicaView(r, 0).state, 'stopping');
});

test('the plan sees a replica stuck in created past the grace as failed', () => {
  const created = Date.parse('2026-01-01T00:00:00.000Z');
  const r: ReplicaRuntime = { info: info({ state: 'created' }), hash: 'h' };
  assert.equal(replicaView(r, created + 29_000).state, 'created');
  assert.equal(replicaView(r, created + 31_000).state, 'failed');
  assert.equal(replicaView(r, created + 2_000, 1_000).state, 'failed');
  assert.equal(replicaView({ info: info({ state: 'exited', exitCode: 3 }), hash: 'h' }, created).exitCode, 3);
});

test('a replica container: named after namespace, service and hash; labelled; never restarted by the runtime', () => {
  const spec = replicaSpec(rec({ namespace: 'team', spec: { ...rec().spec, template: { ...tpl('web:2'), command: ['/srv'], memory: 64 } } }), 'abc123');
  assert.equal(spec.name, 'team-web-hash2-abc123');
  assert.deepEqual(spec.entrypoint, ['/srv']);
  assert.equal(spec.cmd, undefined);
  assert.equal(spec.memory, 64);
  assert.deepEqual(spec.restart, { name: 'no' });
  assert.deepEqual(spec.labels, { tier: 'web', [LABEL_SERVICE]: 'web', [LABEL_HASH]: 'hash2abcdef' });
  assert.equal(spec.owner, 'service/web');
  assert.equal(replicaSpec(rec(), 'x').name, 'web-hash2-x');
});

test('backends and status: only ready replicas with an address get traffic; counts follow the current template', () => {
  const rt: ServiceRuntime = { name: 'web', namespace: 'default', replicas: new Map(), failures: 0, backoffUntil: 0, startErrors: 0 };
  rt.replicas.set('c1', { info: info({ ip: '10.1.0.2' }), hash: 'hash2abcdef', probed: true });
  rt.replicas.set('c2', { info: info({ id: 'c2', name: 'web-2' }), hash: 'hash2abcdef', probed: true });
  rt.replicas.set('c3', { info: info({ id: 'c3', name: 'old', state: 'exited', ip: '10.1.0.4' }), hash: 'hash1', probed: true });
  assert.deepEqual(readyBackends(rt, 80), [{ id: 'c1', name: 'web-1', host: '10.1.0.2', port: 80 }]);
  assert.deepEqual(readyBackends(undefined, 80), []);
  const s = serviceStatus(rec(), rt, []);
  assert.equal(s.readyReplicas, 2);
  assert.equal(s.currentReplicas, 2);
  assert.deepEqual(s.replicaStatus.map((r) => [r.name, r.ready]), [['web-1', true], ['web-2', true], ['old', false]]);
  assert.equal(serviceStatus(rec(), undefined, []).replicaStatus.length, 0);
});
