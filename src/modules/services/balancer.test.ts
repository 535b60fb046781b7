import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoadMeter, pickLeastOutstanding, pickRoundRobin } from './balancer.js';

test('least outstanding picks the least loaded, rotating among ties', () => {
  const b = (...inflight: number[]) => inflight.map((n, i) => ({ id: `r${i}`, inflight: n }));
  const cases: Array<{ loads: number[]; cursor: number; want: number }> = [
    { loads: [], cursor: 0, want: -1 },
    { loads: [3, 1, 2], cursor: 0, want: 1 },
    { loads: [0, 0, 0], cursor: 0, want: 0 },
    { loads: [0, 0, 0], cursor: 2, want: 2 }, // ties: first at or after the cursor
    { loads: [1, 0, 0], cursor: 0, want: 1 },
    { loads: [0, 5, 0], cursor: 1, want: 2 },
  ];
  for (const c of cases) assert.equal(pickLeastOutstanding(b(...c.loads), c.cursor).index, c.want, JSON.stringify(c));
  // Idle equal backends take turns.
  let cursor = 0;
  const seen: number[] = [];
  for (let i = 0; i < 6; i++) {
    const p = pickLeastOutstanding(b(0, 0, 0), cursor);
    seen.push(p.index);
    cursor = p.cursor;
  }
  assert.deepEqual(seen, [0, 1, 2, 0, 1, 2]);
});

test('round robin cycles and copes with a shrinking set', () => {
  assert.deepEqual(pickRoundRobin(3, 2), { index: 2, cursor: 0 });
  assert.deepEqual(pickRoundRobin(2, 5), { index: 1, cursor: 0 });
  assert.equal(pickRoundRobin(0, 0).index, -1);
});

test('the load meter reports requests per second and time-weighted concurrency', () => {
  const m = new LoadMeter(0);
  // Two requests: one from 0 to 1000 ms, one from 500 to 2000 ms. Window 0..2000 ms.
  m.begin(0);
  m.begin(500);
  m.end(1000);
  m.end(2000);
  // rps = 2 requests / 2 s = 1; concurrency = (1000 + 1500) request-ms / 2000 ms = 1.25
  assert.deepEqual(m.sample(2000), { rps: 1, concurrency: 1.25, windowMs: 2000 });
  // An idle window: zero; a request still in flight counts toward the next window.
  m.begin(2500);
  assert.deepEqual(m.sample(3000), { rps: 1, concurrency: 0.5, windowMs: 1000 }); // 1 request / 1 s; 500 request-ms / 1000 ms
  assert.deepEqual(m.sample(4000), { rps: 0, concurrency: 1, windowMs: 1000 });
  assert.equal(m.total, 3);
});
