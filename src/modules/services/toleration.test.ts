import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fields } from './fields.js';
import { assertValid, parseDocuments } from './manifest.js';
import { llmosToleration, podToleration } from './toleration.js';

test('spec.tolerateUnreachable: a duration, seconds or never; anything else is an error naming the field', () => {
  const ok: Array<[unknown, number | 'never' | undefined]> = [['24h', 86_400], ['90s', 90], [600, 600], [0, 0], ['never', 'never'], [undefined, undefined], ['1500ms', 2]];
  for (const [v, want] of ok) {
    const f = new Fields();
    assert.equal(llmosToleration(v, f, 'spec.tolerateUnreachable'), want, String(v));
    assert.deepEqual(f.errors, [], String(v));
  }
  for (const v of ['forever', -1, 1.5, {}, '10y', 400 * 86_400]) {
    const f = new Fields();
    assert.equal(llmosToleration(v, f, 'spec.tolerateUnreachable'), undefined, String(v));
    assert.equal(f.errors[0]?.path, 'spec.tolerateUnreachable', String(v));
  }
});

test('a Deployment\'s pod tolerations of the unreachable/not-ready taints, as Kubernetes evicts', () => {
  const cases: Array<{ name: string; v: unknown; want: number | 'never' | undefined }> = [
    { name: 'both, seconds: the shorter', v: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 600 }, { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }], want: 60 },
    { name: 'one only, seconds', v: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }], want: 30 },
    { name: 'both without seconds: for good', v: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }, { key: 'node.kubernetes.io/not-ready', operator: 'Exists' }], want: 'never' },
    { name: 'empty key, Exists: every taint, for good', v: [{ operator: 'Exists' }], want: 'never' },
    { name: 'one for good, the other not tolerated: the server default', v: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }], want: undefined },
    { name: 'NoSchedule only: not an eviction toleration', v: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }], want: undefined },
    { name: 'another key: ignored', v: [{ key: 'gpu', operator: 'Exists' }], want: undefined },
  ];
  for (const c of cases) assert.equal(podToleration(c.v, new Fields(), 'spec.template.spec.tolerations'), c.want, c.name);
});

test('manifests carry the toleration into the service spec', () => {
  const tol = (docs: unknown[]) => (assertValid(parseDocuments(docs))[0]!.target as { spec: { tolerateUnreachable?: unknown } }).spec.tolerateUnreachable;
  assert.equal(tol([{ apiVersion: 'llmos.io/v1', kind: 'Service', metadata: { name: 'a' }, spec: { image: 'busybox', tolerateUnreachable: '24h' } }]), 86_400);
  assert.equal(tol([{ apiVersion: 'llmos.io/v1', kind: 'Service', metadata: { name: 'a' }, spec: { image: 'busybox' } }]), undefined);
  const gone = (s: number) => ['unreachable', 'not-ready'].map((k) => ({ key: `node.kubernetes.io/${k}`, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: s }));
  assert.equal(tol([{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'b' }, spec: { selector: { matchLabels: { app: 'b' } }, template: { metadata: { labels: { app: 'b' } }, spec: { tolerations: gone(120), containers: [{ name: 'b', image: 'busybox' }] } } } }]), 120);
  assert.throws(() => assertValid(parseDocuments([{ apiVersion: 'llmos.io/v1', kind: 'Service', metadata: { name: 'a' }, spec: { image: 'busybox', tolerateUnreachable: 'soon' } }])), /spec\.tolerateUnreachable/);
});
