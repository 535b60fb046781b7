import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertValid, parseDocuments, splitDocuments } from './manifest.js';

const dep = (podExtra: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: busybox}]
${podExtra}`;

test("a Deployment's required nodeAffinity (and nodeSelector, added to every term) becomes the service's nodeAffinity", () => {
  const [d] = assertValid(parseDocuments(splitDocuments(dep(`      nodeSelector: {disk: ssd}
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - {key: tier, operator: In, values: [onprem, edge]}
              - {key: gpu, operator: DoesNotExist}
            - matchExpressions: [{key: llmos.io/zone, operator: NotIn, values: [z9]}]
          preferredDuringSchedulingIgnoredDuringExecution: []
        podAntiAffinity: {}`))));
  assert.equal(d!.target.type, 'service');
  if (d!.target.type !== 'service') return;
  assert.deepEqual(d!.target.spec.nodeAffinity, {
    required: [
      { matchExpressions: [{ key: 'tier', operator: 'In', values: ['onprem', 'edge'] }, { key: 'gpu', operator: 'DoesNotExist' }, { key: 'disk', operator: 'In', values: ['ssd'] }] },
      { matchExpressions: [{ key: 'llmos.io/zone', operator: 'NotIn', values: ['z9'] }, { key: 'disk', operator: 'In', values: ['ssd'] }] },
    ],
  });
  // Preferred affinity and pod anti-affinity are outside the subset: warned, not applied.
  assert.deepEqual(d!.warnings.map((w) => w.path).sort(), ['spec.template.spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution', 'spec.template.spec.affinity.podAntiAffinity']);
});

test('no affinity and no nodeSelector: no nodeAffinity', () => {
  const [d] = assertValid(parseDocuments(splitDocuments(dep(''))));
  assert.equal(d!.target.type === 'service' && d!.target.spec.nodeAffinity, undefined);
});

test('bad node affinity is refused with the field path', () => {
  const aff = (expr: string) => dep(`      affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [${expr}]}]}}}`);
  const cases: Array<[string, RegExp]> = [
    [aff('{key: tier, operator: In}'), /requiredDuringSchedulingIgnoredDuringExecution: matchExpressions\[0\]: operator In needs values/],
    [aff('{key: tier, operator: Exists, values: [a]}'), /operator Exists takes no values/],
    [aff('{key: tier, operator: Near, values: [a]}'), /matchExpressions\[0\]\.operator: must be one of In, NotIn, Exists, DoesNotExist, Gt, Lt/],
    [aff('{key: tier, operator: Gt, values: [x]}'), /operator Gt needs one integer value/],
    [aff('{key: "bad key", operator: Exists}'), /"bad key" is not a label key/],
    [dep('      affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: []}}}'), /nodeSelectorTerms: must have at least 1 item/],
  ];
  for (const [text, re] of cases) assert.throws(() => assertValid(parseDocuments(splitDocuments(text))), re, text);
});
