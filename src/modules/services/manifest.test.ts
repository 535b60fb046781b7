import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertValid, parseDocuments, splitDocuments } from './manifest.js';

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}, annotations: {a: b}}
spec:
  replicas: 3
  strategy: {type: RollingUpdate}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: 127.0.0.1:5000/busybox:1
        command: [httpd, -f, -p, "80"]
        env: [{name: GREETING, value: hi}, {name: N, value: 3}]
        ports: [{containerPort: 80, name: http}]
        resources: {limits: {cpu: 500m, memory: 64Mi}, requests: {cpu: 250m, memory: 32Mi}}
        readinessProbe: {httpGet: {path: /, port: http}, periodSeconds: 1}
        livenessProbe: {exec: {command: [true]}}
        securityContext: {privileged: true}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{name: http, port: 8080, targetPort: http}]
`;

test('a Deployment + Service pair becomes a service and an exposure, with warnings naming fields outside the subset', () => {
  const objs = assertValid(parseDocuments(splitDocuments(deployment)));
  assert.equal(objs.length, 2);
  const [d, s] = objs;
  assert.equal(d!.target.type, 'service');
  if (d!.target.type !== 'service') return;
  const t = d!.target.spec.template;
  assert.equal(d!.target.spec.replicas, 3);
  assert.deepEqual(t.command, ['httpd', '-f', '-p', '80']);
  assert.deepEqual(t.env, { GREETING: 'hi', N: '3' });
  assert.equal(t.cpus, 0.5);
  assert.equal(t.memory, 64 * 2 ** 20);
  assert.deepEqual(t.requests, { cpu: 0.25, memory: 32 * 2 ** 20 });
  // Kubernetes defaults, with the named port resolved.
  assert.deepEqual(t.readinessProbe, { httpGet: { path: '/', port: 80 }, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
  assert.equal(t.livenessProbe?.periodSeconds, 10);
  assert.deepEqual(d!.warnings.map((w) => w.path).sort(), ['spec.strategy', 'spec.template.spec.containers[0].securityContext']);
  assert.deepEqual(s!.target, { type: 'exposure', value: { name: 'web', namespace: 'default', type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ name: 'http', port: 8080, hostPort: 8080, targetPort: 'http', protocol: 'http' }] } });
});

test('bad fields are reported with their paths, for every invalid document', () => {
  const cases: Array<[string, RegExp]> = [
    ['{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w"},"spec":{"replicas":"three","selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"image":"x"}]}}}}', /spec\.replicas: must be an integer/],
    ['{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"c"}},"spec":{"containers":[{}]}}}}', /spec\.template\.metadata\.labels\["a"\]: must be "b".*spec\.template\.spec\.containers\[0\]\.image: required/],
    ['{"apiVersion":"llmos.io/v1","kind":"Service","metadata":{"name":"Web"},"spec":{"image":"x"}}', /metadata\.name: "Web" must be a DNS label/],
    ['{"apiVersion":"llmos.io/v1","kind":"Service","metadata":{"name":"w"},"spec":{"image":"x","ports":[{"containerPort":80,"hostPort":70000}]}}', /spec\.ports\[0\]\.hostPort: must be at most 65535/],
    ['{"apiVersion":"llmos.io/v1","kind":"Service","metadata":{"name":"w"},"spec":{"image":"x","resources":{"limits":{"memory":"lots"}}}}', /spec\.resources\.limits\.memory: "lots" is not a positive memory quantity/],
    ['{"apiVersion":"llmos.io/v1","kind":"Service","metadata":{"name":"w"},"spec":{"image":"x","livenessProbe":{"exec":{"command":["true"]},"successThreshold":2}}}', /spec\.livenessProbe\.successThreshold: must be 1/],
    ['{"apiVersion":"llmos.io/v1","kind":"Service","metadata":{"name":"w"},"spec":{"image":"x","readinessProbe":{"exec":{"command":["true"]},"tcpSocket":{"port":1}}}}', /spec\.readinessProbe: must set exactly one of exec, httpGet, tcpSocket \(got exec, tcpSocket\)/],
    ['{"apiVersion":"v1","kind":"Pod","metadata":{"name":"w"}}', /kind: Pod \(v1\) is not supported/],
    ['{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"w"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"w"},"minReplicas":5,"maxReplicas":2}}', /spec\.minReplicas: must not exceed maxReplicas/],
  ];
  for (const [doc, want] of cases) {
    const r = parseDocuments(splitDocuments(doc));
    assert.equal(r.objects.length, 0, doc);
    assert.throws(() => assertValid(r), want);
  }
});

test('an HPA is normalised for the autoscaler', () => {
  const [o] = assertValid(parseDocuments(splitDocuments(`
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - {type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}}
  - {type: Pods, pods: {metric: {name: rps}, target: {type: AverageValue, averageValue: "50"}}}
  behavior: {}
`)));
  assert.deepEqual(o!.target, { type: 'autoscaler', value: { name: 'web', namespace: 'default', target: 'service/web', policy: 'threshold', min: 2, max: 10, metrics: [{ name: 'cpu', type: 'Utilization', target: 60 }, { name: 'rps', type: 'AverageValue', target: 50 }], source: 'HorizontalPodAutoscaler' } });
  assert.deepEqual(o!.warnings.map((w) => w.path), ['spec.behavior']);
});

test('documents come from multi-document YAML, JSON objects, JSON lists and v1 Lists', () => {
  assert.equal(splitDocuments('a: 1\n---\nb: 2\n---\n').length, 2);
  assert.equal(splitDocuments('[{"a":1},{"b":2}]').length, 2);
  assert.equal(splitDocuments('{"kind":"List","items":[{"a":1},{"b":2},{"c":3}]}').length, 3);
  assert.throws(() => splitDocuments('a: [1, 2'), /input:/);
});

test('the same object twice in one apply is refused', () => {
  const doc = '{"apiVersion":"llmos.io/v1","kind":"Service","metadata":{"name":"w"},"spec":{"image":"x"}}';
  assert.throws(() => assertValid(parseDocuments([JSON.parse(doc), JSON.parse(doc)])), /duplicate Service w/);
});

test('an HPA metric LLMOS does not know is a warning with its path; the rest applies (issue 16)', () => {
  const hpa = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      maxReplicas: 5,
      metrics: [
        { type: 'External', external: { metric: { name: 'queue_depth' }, target: { type: 'AverageValue', averageValue: '30' } } },
        { type: 'Pods', pods: { metric: { name: 'packets-per-second' }, target: { type: 'AverageValue', averageValue: '1k' } } },
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
      ],
    },
  };
  const r = parseDocuments([hpa]);
  assert.deepEqual(r.errors, []);
  const o = r.objects[0]!;
  assert.deepEqual(o.warnings.map((w) => w.path), ['spec.metrics[0].external', 'spec.metrics[0].type', 'spec.metrics[1].pods.metric.name']);
  assert.equal(o.target.type, 'autoscaler');
  if (o.target.type === 'autoscaler') assert.deepEqual(o.target.value.metrics, [{ name: 'cpu', type: 'Utilization', target: 60 }]);
});

test('env valueFrom.fieldRef is kept by field path; an unsupported one is a warning', () => {
  const dep = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'c', image: 'x', env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, { name: 'A', value: 'b' }] }] },
      },
    },
  };
  const r = parseDocuments([dep]);
  assert.deepEqual(r.errors, []);
  const o = r.objects[0]!;
  assert.deepEqual(o.warnings.map((w) => w.path), ['spec.template.spec.containers[0].env[1].valueFrom.fieldRef.fieldPath']);
  if (o.target.type === 'service') assert.deepEqual([o.target.spec.template.env, o.target.spec.template.fieldEnv], [{ A: 'b' }, { POD: 'metadata.name' }]);
});
