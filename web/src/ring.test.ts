// Run with `npx tsx --test web/src/*.test.ts` (test/dashboard/web-units.test.ts does, in CI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Series } from './ring.js';

test('keeps the newest samples, oldest first, within its capacity', () => {
  const s = new Series(['a', 'b'], 3);
  for (let t = 1; t <= 5; t++) s.push(t, [t * 10, t % 2 ? null : t]);
  // capacity 3: samples 3, 4, 5 remain; b is a gap (null) at odd times.
  assert.deepEqual(s.data(), [
    [3, 4, 5],
    [30, 40, 50],
    [null, 4, null],
  ]);
  assert.equal(s.length, 3);
  assert.equal(s.last(), 5);
});

test('an empty series has no data and no last time', () => {
  const s = new Series(['a'], 4);
  assert.deepEqual(s.data(), [[], []]);
  assert.equal(s.last(), undefined);
});

test('hours of samples cost a constant amount of memory', () => {
  const s = new Series(['x'], 7200);
  for (let t = 0; t < 6 * 3600; t++) s.push(t, [t]); // six hours at one sample a second
  const [t, x] = s.data();
  assert.equal(t.length, 7200);
  assert.equal(t[0], 6 * 3600 - 7200);
  assert.equal(x![7199], 6 * 3600 - 1);
});
