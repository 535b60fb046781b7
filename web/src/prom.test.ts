// Run with `npx tsx --test web/src/*.test.ts` (test/dashboard/web-units.test.ts does, in CI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHistogram, quantile } from './prom.js';

const text = `# HELP llmos_function_duration_seconds Handler time per invocation
# TYPE llmos_function_duration_seconds histogram
llmos_function_duration_seconds_bucket{le="0.001",function="a"} 0
llmos_function_duration_seconds_bucket{le="0.005",function="a"} 50
llmos_function_duration_seconds_bucket{le="0.01",function="a"} 90
llmos_function_duration_seconds_bucket{le="+Inf",function="a"} 100
llmos_function_duration_seconds_sum{function="a"} 0.4
llmos_function_duration_seconds_count{function="a"} 100
llmos_function_duration_seconds_bucket{le="0.001",function="b"} 4
llmos_function_duration_seconds_bucket{le="+Inf",function="b"} 4
other_metric_bucket{le="1",function="a"} 7
`;

test('parses cumulative buckets per function, sorted by bound', () => {
  const h = parseHistogram(text, 'llmos_function_duration_seconds', 'function');
  assert.deepEqual([...h.keys()], ['a', 'b']);
  assert.deepEqual(h.get('a'), [
    { le: 0.001, count: 0 },
    { le: 0.005, count: 50 },
    { le: 0.01, count: 90 },
    { le: Infinity, count: 100 },
  ]);
});

test('quantiles interpolate inside the bucket, as PromQL histogram_quantile does', () => {
  const a = parseHistogram(text, 'llmos_function_duration_seconds', 'function').get('a')!;
  // p50: rank 50 is the top of the (0.001, 0.005] bucket: 0.005.
  assert.equal(quantile(0.5, a), 0.005);
  // p70: rank 70, bucket (0.005, 0.01] holds ranks 50..90: 0.005 + 0.005 * 20/40 = 0.0075.
  assert.ok(Math.abs(quantile(0.7, a)! - 0.0075) < 1e-12);
  // p99: rank 99 falls in +Inf: the highest finite bound, 0.01.
  assert.equal(quantile(0.99, a), 0.01);
  // b: all 4 in the first bucket (0, 0.001]: p50 = 0.0005.
  assert.equal(quantile(0.5, parseHistogram(text, 'llmos_function_duration_seconds', 'function').get('b')!), 0.0005);
});

test('no observations, no quantile', () => {
  assert.equal(quantile(0.5, [{ le: Infinity, count: 0 }]), undefined);
  assert.equal(quantile(0.5, []), undefined);
});
