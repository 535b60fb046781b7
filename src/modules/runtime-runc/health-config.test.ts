import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageHealthcheck, mergeHealthcheck } from './health-config.js';

const image = { test: ['CMD-SHELL', 'curl -f localhost'], intervalMs: 10_000, timeoutMs: 3000, retries: 5, startPeriodMs: 1000 };

test("Docker's merge: no flags take the image's check; flags override it field by field; NONE disables it", () => {
  assert.deepEqual(mergeHealthcheck(undefined, image), image);
  assert.deepEqual(mergeHealthcheck(undefined, undefined), undefined);
  // --health-interval 1s alone: the image's test with the new interval.
  assert.deepEqual(mergeHealthcheck({ test: [], intervalMs: 1000 }, image), { ...image, intervalMs: 1000 });
  // --health-cmd: its own test, the image's other settings.
  assert.deepEqual(mergeHealthcheck({ test: ['CMD-SHELL', 'true'], retries: 1 }, image), { ...image, test: ['CMD-SHELL', 'true'], retries: 1 });
  assert.deepEqual(mergeHealthcheck({ test: ['NONE'] }, image), { test: ['NONE'] });
  // An image's values are held to the flags' ranges (1 ms to 24 h, retries at most 1000).
  assert.deepEqual(mergeHealthcheck(undefined, { test: ['CMD', 'x'], intervalMs: 1e12, retries: 1e9 }), { test: ['CMD', 'x'], intervalMs: 86_400_000, timeoutMs: undefined, startPeriodMs: undefined, retries: 1000 });
  assert.deepEqual(imageHealthcheck({ image: 'i' }, {}), {});
  assert.deepEqual(imageHealthcheck({ image: 'i' }, { healthcheck: { test: ['CMD', 'x'] } }), { healthcheck: { test: ['CMD', 'x'] } });
});
