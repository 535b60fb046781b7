import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPlacement, matchesNodeAffinity, matchesSelector, nodeAffinityProblem, parsePlacement, type AffinityExpression } from './placement.js';

test('parsePlacement: prefer and burst with any label key=value, prefer alone, a side given twice', () => {
  assert.deepEqual(parsePlacement('prefer=cloud=private,burst=cloud=public'), { value: { prefer: { cloud: 'private' }, burst: { cloud: 'public' } } });
  assert.deepEqual(parsePlacement('prefer=zone=a'), { value: { prefer: { zone: 'a' } } });
  assert.deepEqual(parsePlacement(' prefer=example.com/rack=r1 , prefer=disk=ssd,burst=llmos.io/cloud=public'), { value: { prefer: { 'example.com/rack': 'r1', disk: 'ssd' }, burst: { 'llmos.io/cloud': 'public' } } });
  assert.equal(formatPlacement({ prefer: { cloud: 'private', zone: 'a' }, burst: { cloud: 'public' } }), 'prefer=cloud=private,prefer=zone=a,burst=cloud=public');
});

test('parsePlacement: bad syntax is one line naming the problem', () => {
  const bad: Array<[string, RegExp]> = [
    ['', /expected prefer=KEY=VALUE/],
    ['prefer', /expected prefer=KEY=VALUE/],
    ['prefer=cloud', /expected prefer=KEY=VALUE/],
    ['avoid=cloud=public', /expected prefer=KEY=VALUE/],
    ['burst=cloud=public', /has no prefer=/],
    ['prefer=cloud=private,', /expected prefer=KEY=VALUE/],
    ['prefer==private', /not a label key/],
    ['prefer=cl oud=private', /not a label key/],
    ['prefer=cloud=pri vate', /not a label value/],
    ['prefer=cloud=a=b', /not a label value/],
    ['prefer=cloud=private,prefer=cloud=public', /given twice/],
    [`prefer=cloud=${'x'.repeat(64)}`, /not a label value/],
    [`prefer=cloud=${'x'.repeat(2000)}`, /longer than 1024/],
  ];
  for (const [text, re] of bad) {
    const r = parsePlacement(text);
    assert.ok('error' in r, `${JSON.stringify(text)} should be refused`);
    assert.match(r.error, re, text);
    assert.doesNotMatch(r.error, /\n/);
    assert.ok(r.error.length < 300, 'a message, not an echo');
  }
});

test('matchesSelector: exact keys, and a key without prefix also under llmos.io/', () => {
  const labels = { 'llmos.io/cloud': 'private', 'llmos.io/zone': 'a', disk: 'ssd' };
  assert.ok(matchesSelector(labels, { cloud: 'private' }));
  assert.ok(matchesSelector(labels, { 'llmos.io/cloud': 'private', zone: 'a', disk: 'ssd' }));
  assert.ok(!matchesSelector(labels, { cloud: 'public' }));
  assert.ok(!matchesSelector(labels, { 'example.com/cloud': 'private' }));
  // A node's own unprefixed label wins over the llmos.io/ one.
  assert.ok(!matchesSelector({ cloud: 'edge', 'llmos.io/cloud': 'private' }, { cloud: 'private' }));
  assert.ok(matchesSelector(labels, {}));
});

test('matchesNodeAffinity: any term, every expression of it (Kubernetes semantics; unprefixed keys also under llmos.io/)', () => {
  const labels = { 'llmos.io/zone': 'a', tier: 'edge', cores: '8' };
  const t = (...matchExpressions: AffinityExpression[]) => [{ matchExpressions }];
  const cases: Array<[string, ReturnType<typeof t>, boolean]> = [
    ['In hit', t({ key: 'tier', operator: 'In', values: ['edge', 'cloud'] }), true],
    ['In miss', t({ key: 'tier', operator: 'In', values: ['cloud'] }), false],
    ['In on an absent label', t({ key: 'gpu', operator: 'In', values: ['yes'] }), false],
    ['NotIn hit', t({ key: 'tier', operator: 'NotIn', values: ['edge'] }), false],
    ['NotIn on an absent label matches', t({ key: 'gpu', operator: 'NotIn', values: ['yes'] }), true],
    ['Exists', t({ key: 'tier', operator: 'Exists' }), true],
    ['Exists absent', t({ key: 'gpu', operator: 'Exists' }), false],
    ['DoesNotExist', t({ key: 'gpu', operator: 'DoesNotExist' }), true],
    ['zone = llmos.io/zone', t({ key: 'zone', operator: 'In', values: ['a'] }), true],
    ['Gt 4 < 8', t({ key: 'cores', operator: 'Gt', values: ['4'] }), true],
    ['Lt 4', t({ key: 'cores', operator: 'Lt', values: ['4'] }), false],
    ['Gt on a non-integer label', t({ key: 'tier', operator: 'Gt', values: ['1'] }), false],
    ['AND within a term', t({ key: 'tier', operator: 'Exists' }, { key: 'gpu', operator: 'Exists' }), false],
  ];
  for (const [name, terms, want] of cases) assert.equal(matchesNodeAffinity(labels, terms), want, name);
  // OR across terms.
  assert.equal(matchesNodeAffinity(labels, [...t({ key: 'gpu', operator: 'Exists' }), ...t({ key: 'tier', operator: 'In', values: ['edge'] })]), true);
});

test('nodeAffinityProblem: values where the operator needs them, and only there', () => {
  assert.equal(nodeAffinityProblem([{ matchExpressions: [{ key: 'a', operator: 'In', values: ['x'] }, { key: 'b', operator: 'Exists' }] }]), undefined);
  assert.match(nodeAffinityProblem([{ matchExpressions: [{ key: 'a', operator: 'NotIn' }] }])!, /operator NotIn needs values/);
  assert.match(nodeAffinityProblem([{ matchExpressions: [{ key: 'a', operator: 'DoesNotExist', values: ['x'] }] }])!, /takes no values/);
  assert.match(nodeAffinityProblem([{ matchExpressions: [{ key: 'a', operator: 'Lt', values: ['1', '2'] }] }])!, /one integer value/);
  assert.match(nodeAffinityProblem([{ matchExpressions: [{ key: 'a', operator: 'In', values: ['bad value'] }] }])!, /not a label value/);
});
