import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ring, Series, SeriesStore } from './series.js';

test('Ring keeps the newest items, oldest first', () => {
  const r = new Ring<number>(3);
  assert.equal(r.push(1), undefined);
  r.push(2);
  r.push(3);
  assert.equal(r.push(4), 1, 'the oldest falls out');
  assert.deepEqual(r.toArray(), [2, 3, 4]);
  assert.equal(r.last(), 4);
});

test('Series: recent at full resolution, older folded into buckets, memory bounded', () => {
  const s = new Series({ recentPoints: 4, bucketMs: 60_000, buckets: 2 });
  // one point every 20 s: values 0..11 over 4 minutes
  for (let i = 0; i < 12; i++) s.add(i * 20_000, i);
  // recent keeps the last 4 (t = 160..220 s); 8 aged points went to buckets:
  // minute 0: 0,1,2 (mean 1, max 2); minute 1: 3,4,5 (mean 4); minute 2: 6,7 (open, mean 6.5)
  // only 2 closed buckets are kept, so minute 0 drops once minute 1 and 2 exist... capacity 2 holds minutes 0,1; minute 2 is open
  const q = s.query();
  assert.deepEqual(q.filter((p) => p.downsampled).map((p) => [p.t, p.v, p.max]), [[0, 1, 2], [60_000, 4, 5], [120_000, 6.5, 7]]);
  assert.deepEqual(q.filter((p) => !p.downsampled).map((p) => p.v), [8, 9, 10, 11]);
  for (let i = 12; i < 40; i++) s.add(i * 20_000, i);
  assert.equal(s.older.size, 2, 'bucket ring stays at its capacity');
  assert.equal(s.recent.size, 4);
});

test('Series ignores out-of-order points', () => {
  const s = new Series();
  s.add(10, 1);
  s.add(5, 2);
  s.add(10, 3);
  assert.deepEqual(s.query().map((p) => p.v), [1]);
});

test('SeriesStore finds by name and labels and drops a workload', () => {
  const st = new SeriesStore();
  st.add('container_memory_usage_bytes', { id: 'a' }, 1, 100);
  st.add('container_memory_usage_bytes', { id: 'b' }, 1, 200);
  st.add('node_memory_MemAvailable_bytes', {}, 1, 300);
  assert.equal(st.find('container_memory_usage_bytes').length, 2);
  assert.equal(st.find(undefined, { id: 'a' }).length, 1);
  assert.equal(SeriesStore.key('m', { b: '2', a: '1' }), 'm{a="1",b="2"}');
  assert.equal(st.drop({ id: 'a' }), 1);
  assert.equal(st.size, 2);
});
