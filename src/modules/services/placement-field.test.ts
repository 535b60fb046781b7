import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertValid, parseDocuments } from './manifest.js';

const svc = (placement: unknown) => ({ apiVersion: 'llmos.io/v1', kind: 'Service', metadata: { name: 'web' }, spec: { image: 'busybox', placement } });
const specOf = (placement: unknown) => {
  const [o] = assertValid(parseDocuments([svc(placement)]));
  return o!.target.type === 'service' ? o!.target.spec : undefined;
};

test('spec.placement: the flag string and the object form give the same placement', () => {
  const want = { prefer: { cloud: 'private' }, burst: { cloud: 'public' } };
  assert.deepEqual(specOf('prefer=cloud=private,burst=cloud=public')?.placement, want);
  assert.deepEqual(specOf(want)?.placement, want);
  assert.deepEqual(specOf({ prefer: { 'llmos.io/zone': 'a' } })?.placement, { prefer: { 'llmos.io/zone': 'a' } });
  assert.equal(specOf(undefined)?.placement, undefined);
});

test('spec.placement: bad forms are errors with their path, nothing is applied', () => {
  const cases: Array<[unknown, RegExp]> = [
    ['burst=cloud=public', /spec\.placement: .*no prefer=/],
    ['prefer=cloud', /spec\.placement: .*expected prefer=KEY=VALUE/],
    [{ burst: { cloud: 'public' } }, /spec\.placement\.prefer: required/],
    [{ prefer: { 'bad key': 'x' } }, /spec\.placement\.prefer: .*not a label key/],
    [{ prefer: { cloud: ['private'] } }, /spec\.placement\.prefer\.cloud: must be a string/],
    [42, /spec\.placement: must be an object/],
  ];
  for (const [p, re] of cases) assert.throws(() => assertValid(parseDocuments([svc(p)])), re, JSON.stringify(p));
  const r = parseDocuments([svc({ prefer: { cloud: 'private' }, avoid: { cloud: 'x' } })]);
  assert.deepEqual(r.errors, []);
});
