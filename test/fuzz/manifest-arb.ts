// Manifests of every kind apply takes (LLMOS Service and Function, Deployment, v1 Service, HPA),
// each field either plausible or hostile, plus YAML text with anchors, aliases, tags and merges.
import fc from 'fast-check';
import { hostile, hugeNumbers } from './hostile.js';

const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | unknown> => fc.oneof({ weight: 12, arbitrary: a }, { weight: 1, arbitrary: hostile });
/** Mostly in [min, max] (the caller passes a range one past the valid one at each end), sometimes at the edges of doubles. */
const num = (min: number, max: number) => maybe(fc.oneof({ weight: 8, arbitrary: fc.integer({ min, max }) }, { weight: 1, arbitrary: hugeNumbers }));
const quantity = maybe(fc.oneof({ weight: 6, arbitrary: fc.constantFrom('500m', '0.5', '2', '64Mi', '1Gi', '128Mi') }, { weight: 2, arbitrary: fc.constantFrom('1e308', '-1', '99999999999999999999', '1Pi', '0', 'NaN') }, { weight: 1, arbitrary: hugeNumbers }, { weight: 1, arbitrary: fc.double() }));
const name = maybe(fc.oneof(fc.constantFrom('web', 'a', 'x-1'), fc.stringMatching(/^[a-z0-9-]{1,70}$/)));
const probe = maybe(
  fc.record(
    {
      exec: maybe(fc.record({ command: maybe(fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 })) })),
      httpGet: maybe(fc.record({ path: maybe(fc.constantFrom('/', 'x', '/h')), port: maybe(fc.oneof(num(0, 70000), fc.constantFrom('http', 'nope'))) })),
      initialDelaySeconds: num(-1, 100),
      periodSeconds: num(0, 100),
      timeoutSeconds: num(0, 100),
      successThreshold: num(0, 5),
      failureThreshold: num(0, 5),
    },
    { requiredKeys: [] },
  ),
);
const ports = maybe(fc.array(maybe(fc.record({ name: maybe(fc.constantFrom('http', 'tcp', 'x')), containerPort: num(0, 70000), hostPort: num(0, 70000), protocol: maybe(fc.constantFrom('http', 'tcp', 'TCP', 'udp')) }, { requiredKeys: [] })), { maxLength: 4 }));
const resources = maybe(fc.record({ limits: maybe(fc.record({ cpu: quantity, memory: quantity }, { requiredKeys: [] })), requests: maybe(fc.record({ cpu: quantity, memory: quantity }, { requiredKeys: [] })) }, { requiredKeys: [] }));
const env = maybe(fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }), fc.array(fc.record({ name: maybe(fc.string({ maxLength: 6 })), value: maybe(fc.string({ maxLength: 6 })) }), { maxLength: 3 })));
const meta = fc.record({ name, namespace: fc.option(name, { nil: undefined }), labels: maybe(fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 })) }, { requiredKeys: ['name'] });

const llmosService = fc.record({
  apiVersion: fc.constant('llmos.io/v1'),
  kind: fc.constant('Service'),
  metadata: meta,
  spec: maybe(fc.record({ image: maybe(fc.constant('127.0.0.1:1/x:1')), replicas: num(-1, 1001), ports, resources, env, readinessProbe: probe, livenessProbe: probe, autoscale: maybe(fc.record({ min: num(-1, 10), max: num(0, 1001) })), progressDeadlineSeconds: num(0, 1000) }, { requiredKeys: [] })),
});
const deployment = fc.record({
  apiVersion: fc.constant('apps/v1'),
  kind: fc.constant('Deployment'),
  metadata: meta,
  spec: maybe(
    fc.record({
      replicas: num(-1, 1001),
      selector: maybe(fc.constant({ matchLabels: { app: 'web' } })),
      template: maybe(fc.record({ metadata: maybe(fc.constant({ labels: { app: 'web' } })), spec: maybe(fc.record({ containers: maybe(fc.array(fc.record({ name: maybe(fc.constant('c')), image: maybe(fc.constant('127.0.0.1:1/x:1')), ports, resources, env, readinessProbe: probe, livenessProbe: probe }, { requiredKeys: [] }), { maxLength: 2 })) })) })),
      progressDeadlineSeconds: num(0, 1000),
    }, { requiredKeys: [] }),
  ),
});
const k8sService = fc.record({
  apiVersion: fc.constant('v1'),
  kind: fc.constant('Service'),
  metadata: meta,
  spec: maybe(fc.record({ type: maybe(fc.constantFrom('ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName')), selector: maybe(fc.constant({ app: 'web' })), ports: maybe(fc.array(maybe(fc.record({ port: num(0, 70000), targetPort: maybe(fc.oneof(num(0, 70000), fc.constantFrom('http', '80'))), nodePort: num(0, 70000), name: maybe(fc.constantFrom('http', 'x')) }, { requiredKeys: [] })), { maxLength: 3 })) }, { requiredKeys: [] })),
});
const hpa = fc.record({
  apiVersion: fc.constant('autoscaling/v2'),
  kind: fc.constant('HorizontalPodAutoscaler'),
  metadata: meta,
  spec: maybe(fc.record({ scaleTargetRef: maybe(fc.record({ kind: maybe(fc.constantFrom('Deployment', 'Service')), name })), minReplicas: num(-1, 1001), maxReplicas: num(0, 1001), metrics: maybe(fc.array(maybe(fc.oneof(fc.record({ type: fc.constant('Resource'), resource: maybe(fc.record({ name: maybe(fc.constantFrom('cpu', 'memory')), target: maybe(fc.record({ type: maybe(fc.constant('Utilization')), averageUtilization: num(0, 200) })) })) }), fc.record({ type: fc.constant('Pods'), pods: maybe(fc.record({ metric: maybe(fc.record({ name: maybe(fc.constantFrom('rps', 'concurrency')) })), target: maybe(fc.record({ type: maybe(fc.constant('AverageValue')), averageValue: maybe(fc.oneof(quantity, fc.double())) })) })) }))), { maxLength: 2 })) }, { requiredKeys: [] })),
});
const fn = fc.record({ apiVersion: fc.constant('llmos.io/v1'), kind: fc.constant('Function'), metadata: meta, spec: maybe(fc.record({ code: maybe(fc.constant({ files: { 'index.js': 'export default { fetch() { return new Response("ok") } }' } })), memory: quantity, timeout: quantity, queueWait: quantity }, { requiredKeys: [] })) });

/** One manifest object of any supported kind, or a hostile document. */
export const manifestObject: fc.Arbitrary<unknown> = fc.oneof({ weight: 3, arbitrary: llmosService }, { weight: 3, arbitrary: deployment }, { weight: 2, arbitrary: k8sService }, { weight: 2, arbitrary: hpa }, { weight: 1, arbitrary: fn }, { weight: 1, arbitrary: hostile });

/** YAML constructs that have cost parsers memory or crashed them: anchors and aliases, tags, merge keys, flow/block mixes. */
const yamlBits = fc.constantFrom('&a', '*a', '&b [*a, *a, *a]', '*b', '<<: *a', '!!binary aGk=', '!!js/function "x"', '!!python/object:os.system', '!!set {a, b}', '!!omap [a: 1]', '? [a]\n: b', '---', '...', '%YAML 1.1', '%TAG ! tag:x,2000:', '|', '>-', '"\\u0000"', "'", '{', '[', ']', '}', ':', '- ', '#', '\t', '  ', '\n', '.nan', '.inf', '-.inf', '0x1F', '0o17', '1e308', '~', 'null', 'yes', 'on', '2001-12-14t21:59:43.10-05:00');
export const yamlText: fc.Arbitrary<string> = fc.array(fc.oneof(yamlBits, fc.string({ maxLength: 6 }), fc.constantFrom('apiVersion: llmos.io/v1\n', 'kind: Service\n', 'metadata: {name: web}\n', 'spec:\n  replicas: ', 'image: x\n')), { maxLength: 40 }).map((xs) => xs.join(' '));
