import { test } from 'node:test';
import assert from 'node:assert/strict';
import { staleIngest, underPressure, unreferenced } from './gc-policy.js';

const p = { minFreeRatio: 0.1, minFreeBytes: 1_000, ingestMaxAgeMs: 3_600_000 };

test('underPressure: below 10 % free or below the byte floor', () => {
  assert.equal(underPressure({ freeBytes: 50_000, totalBytes: 100_000 }, p), false); // 50 % free
  assert.equal(underPressure({ freeBytes: 9_000, totalBytes: 100_000 }, p), true); // 9 % < 10 %
  assert.equal(underPressure({ freeBytes: 900, totalBytes: 5_000 }, p), true); // 900 B < 1000 B floor
  assert.equal(underPressure({ freeBytes: 0, totalBytes: 0 }, p), false); // unknown disk: never
});

test('staleIngest keeps fresh partial downloads unless under pressure', () => {
  const now = 10_000_000;
  assert.equal(staleIngest(now, now - 60_000, p, false), false); // 1 min old
  assert.equal(staleIngest(now, now - 3_700_000, p, false), true); // > 1 h
  assert.equal(staleIngest(now, now - 60_000, p, true), true);
  assert.deepEqual(unreferenced(['a', 'b', 'c'], new Set(['b'])), ['a', 'c']);
});
