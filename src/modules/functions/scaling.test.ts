import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instancesToReclaim, instancesToStart, retryDelayMs, type PoolShape } from './scaling.js';

const shape = (p: Partial<PoolShape>): PoolShape => ({ ready: 0, freeSlots: 0, starting: 0, queued: 0, concurrency: 4, max: 10, floor: 0, ...p });

test('instancesToStart: table', () => {
  const cases: Array<[string, Partial<PoolShape>, number]> = [
    ['idle at zero', {}, 0],
    ['scale from zero: 1 request -> 1 instance', { queued: 1 }, 1],
    ['9 queued, concurrency 4 -> ceil(9/4) = 3', { queued: 9 }, 3],
    ['9 queued, 1 starting covers 4 -> ceil(5/4) = 2', { queued: 9, starting: 1 }, 2],
    ['free slots absorb the queue', { ready: 1, freeSlots: 3, queued: 3 }, 0],
    ['capped by max: 100 queued, max 10, 2 ready -> 8', { queued: 100, ready: 2, max: 10 }, 8],
    ['floor of 3 at zero -> 3', { floor: 3 }, 3],
    ['floor met by starting ones', { floor: 2, starting: 2 }, 0],
    ['max reached', { ready: 10, queued: 50 }, 0],
  ];
  for (const [name, p, want] of cases) assert.equal(instancesToStart(shape(p)), want, name);
});

test('instancesToReclaim: expired idle ones, LRU first, floor kept', () => {
  const idle = [
    { id: 'a', expiresAt: 100, lastUsedAt: 50 },
    { id: 'b', expiresAt: 90, lastUsedAt: 40 },
    { id: 'c', expiresAt: 500, lastUsedAt: 400 },
  ];
  assert.deepEqual(instancesToReclaim(idle, 3, 0, 200), ['b', 'a']); // c not expired yet
  assert.deepEqual(instancesToReclaim(idle, 3, 2, 200), ['b']); // 3 live - floor 2 = 1 spare
  assert.deepEqual(instancesToReclaim(idle, 3, 3, 1000), []);
  assert.deepEqual(instancesToReclaim(idle, 5, 0, 1000), ['b', 'a', 'c']);
});

test('retryDelayMs doubles up to the cap', () => {
  assert.deepEqual([1, 2, 3, 4, 10].map((a) => retryDelayMs(a, 1000, 5000)), [1000, 2000, 4000, 5000, 5000]);
});
