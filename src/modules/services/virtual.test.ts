import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandVars, replicaEnv, serviceEnv, servicesOf, virtualServices } from './virtual.js';
import type { ExposureRecord, ServiceRecord } from './types.js';

const rec = (name: string, labels: Record<string, string>, ports: ServiceRecord['spec']['ports'] = []): ServiceRecord => ({ name, namespace: 'default', labels: {}, spec: { replicas: 1, template: { image: 'x', env: {}, labels }, ports, progressDeadlineSeconds: 60 }, templateHash: 'h', generation: 1, createdAt: '', updatedAt: '', source: 'Deployment' });
const svc = (name: string, selector: Record<string, string>, ports: ExposureRecord['ports'], extra: Partial<ExposureRecord> = {}): ExposureRecord => ({ name, namespace: 'default', type: 'ClusterIP', selector, ports, ...extra });

test('a v1 Service owns its name, selects replicas by label, and resolves a named targetPort', () => {
  const records = [rec('redis-leader', { app: 'redis', role: 'leader' }, [{ name: 'redis', containerPort: 6379, protocol: 'tcp' }]), rec('frontend', { app: 'guestbook' }, [{ containerPort: 80, protocol: 'http' }])];
  const exposures = [svc('redis-leader', { app: 'redis', role: 'leader' }, [{ port: 6379, targetPort: 'redis', protocol: 'tcp' }]), svc('frontend', { app: 'guestbook' }, [{ port: 80, hostPort: 8080, targetPort: 80, protocol: 'http' }], { type: 'LoadBalancer' })];
  const ready = (_: string, n: string) => (n === 'redis-leader' ? ['10.89.0.2'] : ['10.89.0.3', '10.89.0.4']);
  const v = virtualServices(records, exposures, ready, true);
  // Two names, not four: the Deployments' own names are taken by the Services.
  assert.deepEqual(v.map((s) => s.name), ['redis-leader', 'frontend']);
  assert.deepEqual(v[0]!.ports, [{ port: 6379, targetPort: 6379 }]);
  assert.deepEqual(v[1], { namespace: 'default', name: 'frontend', ports: [{ port: 80, targetPort: 80, hostPort: 8080 }], endpoints: ['10.89.0.3', '10.89.0.4'] });
  // With the userspace proxy the host ports are not kernel rules.
  assert.equal(virtualServices(records, exposures, ready, false)[1]!.ports[0]!.hostPort, undefined);
  assert.deepEqual(servicesOf(records[0]!, exposures), ['redis-leader']);
});

test('an LLMOS service without a v1 Service gets its own name, port = container port', () => {
  const v = virtualServices([rec('web', {}, [{ containerPort: 80, hostPort: 9000, protocol: 'http' }])], [], () => ['10.89.0.9'], true);
  assert.deepEqual(v, [{ namespace: 'default', name: 'web', ports: [{ port: 80, targetPort: 80, hostPort: 9000 }], endpoints: ['10.89.0.9'] }]);
});

test('Kubernetes service env vars', () => {
  const v = virtualServices([], [svc('redis-leader', { a: 'b' }, [{ name: 'redis', port: 6379, targetPort: 6379, protocol: 'tcp' }]), svc('pods', { a: 'b' }, [{ port: 1, targetPort: 1, protocol: 'tcp' }], { headless: true })], () => [], true);
  const env = serviceEnv(v, new Map([['default/redis-leader', '10.96.0.7']]), 'default');
  assert.deepEqual(env, {
    REDIS_LEADER_SERVICE_HOST: '10.96.0.7',
    REDIS_LEADER_SERVICE_PORT: '6379',
    REDIS_LEADER_PORT: 'tcp://10.96.0.7:6379',
    REDIS_LEADER_SERVICE_PORT_REDIS: '6379',
    REDIS_LEADER_PORT_6379_TCP: 'tcp://10.96.0.7:6379',
    REDIS_LEADER_PORT_6379_TCP_PROTO: 'tcp',
    REDIS_LEADER_PORT_6379_TCP_PORT: '6379',
    REDIS_LEADER_PORT_6379_TCP_ADDR: '10.96.0.7',
  });
  // Other namespaces see none of them.
  assert.deepEqual(serviceEnv(v, new Map([['default/redis-leader', '10.96.0.7']]), 'other'), {});
});

test('$(VAR) expansion as Kubernetes does it', () => {
  const env = { A: 'x', B: 'y z' };
  // [input, expected]
  const cases: Array<[string, string]> = [
    ['$(A)', 'x'],
    ['pre-$(A)-$(B)', 'pre-x-y z'],
    ['$(MISSING)', '$(MISSING)'], // undefined stays as written
    ['$$(A)', '$(A)'], // escaped
    ['$$', '$'],
    ['$A', '$A'], // only the $(...) form
    ['$(A', '$(A'],
    ['', ''],
  ];
  for (const [i, want] of cases) assert.equal(expandVars(i, env), want, i);
  // env values refer to the ones defined before them, and to service vars.
  assert.deepEqual(replicaEnv({ S_SERVICE_HOST: '10.96.0.1' }, { URL: 'http://$(S_SERVICE_HOST)/', LATER: '$(URL)x', SELF: '$(SELF)' }), { S_SERVICE_HOST: '10.96.0.1', URL: 'http://10.96.0.1/', LATER: 'http://10.96.0.1/x', SELF: '$(SELF)' });
});
