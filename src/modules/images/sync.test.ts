import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedLock, Mutex, Semaphore } from './sync.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

test('Semaphore: at most N holders, FIFO, and a second release does not free a second slot', async () => {
  const s = new Semaphore(2);
  const order: string[] = [];
  const r1 = await s.acquire();
  const r2 = await s.acquire();
  const w3 = s.acquire().then((r) => (order.push('3'), r));
  const w4 = s.acquire().then((r) => (order.push('4'), r));
  await tick();
  assert.deepEqual(order, [], 'both slots are taken');
  r1();
  r1();
  await tick();
  assert.deepEqual(order, ['3'], 'one release, one waiter in');
  r2();
  (await w3)();
  (await w4)();
  assert.deepEqual(order, ['3', '4']);
});

test('KeyedLock: one holder per key, other keys run meanwhile, and the map forgets idle keys', async () => {
  const l = new KeyedLock();
  const a = await l.lock('a');
  const b = await l.lock('b');
  let second = false;
  const a2 = l.lock('a').then((r) => ((second = true), r));
  await tick();
  assert.equal(second, false, 'a is held');
  a();
  (await a2)();
  assert.equal(second, true);
  b();
  assert.equal(l.size, 0);
});

test('Mutex.runExclusive serialises and goes on after a failure', async () => {
  const m = new Mutex();
  const seen: number[] = [];
  const p1 = m.runExclusive(async () => {
    await tick();
    seen.push(1);
    throw new Error('x');
  });
  const p2 = m.runExclusive(async () => void seen.push(2));
  await assert.rejects(p1, /x/);
  await p2;
  assert.deepEqual(seen, [1, 2]);
});
