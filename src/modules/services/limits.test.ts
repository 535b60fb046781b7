// Issue 13 finding 9: bad manifests are a 400 with the reason, never a 500 or a memory spike.
// Each case failed before the fix (checked on 30158c8): the alias bomb threw a ReferenceError (a 500
// from /v1/apply), and the absurd values were accepted into the stored spec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgument } from '../../kernel/errors.js';
import { assertValid, MANIFEST_LIMITS, parseDocuments, splitDocuments } from './manifest.js';

/** Billion laughs: 9 levels of 9 aliases, 9^9 strings once expanded. */
const aliasBomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)].join('\n');

const service = (spec: string) => `apiVersion: llmos.io/v1\nkind: Service\nmetadata: {name: web}\nspec: {image: busybox, ${spec}}\n`;
const invalid = (text: string): string => {
  try {
    assertValid(parseDocuments(splitDocuments(text)));
  } catch (e) {
    assert.ok(e instanceof InvalidArgument, `not InvalidArgument: ${String(e)}`);
    return e.message;
  }
  assert.fail(`accepted: ${text}`);
};

test('a YAML alias bomb is refused with the reason, in bounded time', () => {
  const t0 = performance.now();
  assert.throws(() => splitDocuments(aliasBomb, 'manifest'), (e) => e instanceof InvalidArgument && /manifest: too many YAML aliases/.test(e.message));
  assert.ok(performance.now() - t0 < 2000, 'refused before expanding');
  // Under the alias count, but large once expanded: 60 aliases of a 1 MiB string.
  const wide = `a: &a "${'x'.repeat(2 ** 20)}"\nb: [${Array(60).fill('*a').join(',')}]`;
  assert.throws(() => splitDocuments(wide), /characters of text \(with YAML aliases expanded\)/);
});

test('manifest size, document count and depth are bounded', () => {
  assert.throws(() => splitDocuments('a: 1\n'.padEnd(MANIFEST_LIMITS.bytes + 1, '#')), /more than the 4 MiB/);
  assert.throws(() => splitDocuments(Array(MANIFEST_LIMITS.documents + 2).fill('a: 1').join('\n---\n')), /more than 1000 documents/);
  assert.throws(() => splitDocuments(JSON.stringify(Array(MANIFEST_LIMITS.documents + 1).fill({ a: 1 }))), /more than 1000 documents/);
  assert.throws(() => splitDocuments(`${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`), /nested more than 64 levels deep/);
  assert.throws(() => splitDocuments(`a: ${'['.repeat(200)}1${']'.repeat(200)}`), /nested more than 64 levels deep/);
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = { a: deep };
  assert.throws(() => parseDocuments([deep]), /nested more than 64 levels deep/);
  // 300k values in a flow list: the yaml parser would block the event loop ~5 s; refused before parsing.
  const t0 = performance.now();
  assert.throws(() => splitDocuments(`a: [${Array(300_000).fill(1).join(',')}]`), /more than 100000 values/);
  assert.ok(performance.now() - t0 < 500, `${Math.round(performance.now() - t0)} ms`);
  // A lot of fine documents are still fine.
  assert.equal(splitDocuments(Array(1000).fill('a: 1').join('\n---\n')).length, 1000);
});

test('absurd values are refused with the field path', () => {
  const cases: Array<[string, RegExp]> = [
    ['resources: {limits: {cpu: 1e308}}', /spec\.resources\.limits\.cpu: cpu quantity "1e\+308" .*too large/],
    ['resources: {limits: {cpu: "99999999999999999999"}}', /spec\.resources\.limits\.cpu: .*too large \(at most 1024 cores\)/],
    ['resources: {limits: {memory: .nan}}', /spec\.resources\.limits\.memory: .*finite, non-negative/],
    ['resources: {limits: {memory: -5}}', /spec\.resources\.limits\.memory: .*finite, non-negative/],
    ['resources: {requests: {cpu: [1]}}', /spec\.resources\.requests\.cpu: must be a CPU quantity/],
    ['replicas: -1', /spec\.replicas: must be at least 0, got -1/],
    ['replicas: .nan', /spec\.replicas: must be an integer, got NaN/],
    ['replicas: 1e308', /spec\.replicas: must be at most 1000/],
    ['ports: [{containerPort: 80, hostPort: 1e9}]', /spec\.ports\[0\]\.hostPort: must be at most 65535/],
    ['ports: [{containerPort: .inf}]', /spec\.ports\[0\]\.containerPort: must be an integer, got Infinity/],
    ['progressDeadlineSeconds: 1e300', /spec\.progressDeadlineSeconds: must be at most 31536000/],
    ['readinessProbe: {exec: {command: [true]}, periodSeconds: 1e12}', /spec\.readinessProbe\.periodSeconds: must be at most 3600/],
    ['readinessProbe: {exec: {command: [true]}, timeoutSeconds: 4294967296}', /spec\.readinessProbe\.timeoutSeconds: must be at most 3600/],
    ['autoscale: {min: 1e20, max: 5}', /spec\.autoscale\.min: must be at most 1000/],
  ];
  for (const [spec, want] of cases) assert.match(invalid(service(spec)), want, spec);
  const hpa = `apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec:\n  scaleTargetRef: {kind: Deployment, name: web}\n  maxReplicas: 5\n  metrics: [{type: Pods, pods: {metric: {name: rps}, target: {type: AverageValue, averageValue: .inf}}}]\n`;
  assert.match(invalid(hpa), /spec\.metrics\[0\]\.pods\.target\.averageValue: must be a finite number, got Infinity/);
});

test('a manifest with thousands of bad documents gets a short message', () => {
  const msg = invalid(Array(1000).fill(service('replicas: -1')).join('---\n'));
  assert.ok(msg.length < 6000, `${msg.length} characters`);
  assert.match(msg, /and 980 more documents with errors/);
});

test('an env value that is an object with its own toString is a field error, not a crash (found by test/fuzz/manifest.fuzz)', () => {
  // Before: String(value) called the object's "toString" key, a non-function: TypeError, a 500.
  const doc = { apiVersion: 'llmos.io/v1', kind: 'Service', metadata: { name: 'web' }, spec: { image: 'x', env: [{ name: 'A', value: { toString: { polluted: '' } } }] } };
  assert.throws(() => assertValid(parseDocuments([doc])), /spec\.env\[0\]\.value: must be a string/);
});
