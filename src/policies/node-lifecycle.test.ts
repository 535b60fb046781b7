import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evictionAt, evictionDue, nodeCondition, toleranceMs } from './node-lifecycle.js';

const T0 = Date.parse('2026-12-01T00:00:00.000Z');
const s = (n: number) => n * 1000;

test('node condition: Ready within the grace, NotReady after it, since renewal + grace', () => {
  const cases: Array<{ name: string; renewed: number | null; now: number; want: string; since: number | null }> = [
    { name: 'just renewed', renewed: T0, now: T0, want: 'Ready', since: null },
    // age 40 s = grace 40 s: still Ready (the grace is inclusive, as before).
    { name: 'at the grace', renewed: T0, now: T0 + s(40), want: 'Ready', since: null },
    // age 40.001 s > 40 s: NotReady since T0 + 40 s.
    { name: 'past the grace', renewed: T0, now: T0 + s(40) + 1, want: 'NotReady', since: T0 + s(40) },
    { name: 'never renewed', renewed: null, now: T0, want: 'NotReady', since: null },
    { name: 'garbage time', renewed: NaN, now: T0, want: 'NotReady', since: null },
    // A renewal stamped in the future (clock skew) counts as age 0.
    { name: 'future renewal', renewed: T0 + s(5), now: T0, want: 'Ready', since: null },
  ];
  for (const c of cases) {
    const r = nodeCondition(c.renewed, c.now, s(40));
    assert.equal(r.status, c.want, c.name);
    assert.equal(r.notReadySince, c.since, c.name);
  }
});

test('eviction: the service toleration, else the cluster timeout; never is never', () => {
  assert.equal(toleranceMs(undefined, s(300)), s(300));
  assert.equal(toleranceMs(86_400, s(300)), s(86_400));
  assert.equal(toleranceMs(0, s(300)), 0);
  assert.equal(toleranceMs('never', s(300)), null);
  const since = T0 + s(40);
  // NotReady for 299.999 s < 300 s: kept; at 300 s: replaced.
  assert.equal(evictionDue(since, since + s(300) - 1, s(300)), false);
  assert.equal(evictionDue(since, since + s(300), s(300)), true);
  assert.equal(evictionDue(since, since + s(10 * 86_400), null), false, 'never');
  assert.equal(evictionDue(null, T0 + s(1e6), s(300)), false, 'a Ready node is never evicted');
  assert.equal(evictionAt(since, s(300)), since + s(300));
  assert.equal(evictionAt(since, null), null);
  assert.equal(evictionAt(null, s(300)), null);
});
