import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoalescedRun } from './coalesce.js';

test('asks during a pass share one more pass; errors are reported, not thrown; a stop ends the loop', async () => {
  let passes = 0;
  let release!: () => void;
  const errors: unknown[] = [];
  let stopped = false;
  const r = new CoalescedRun(async () => {
    passes++;
    if (passes === 1) await new Promise<void>((res) => (release = res));
    if (passes === 2) throw new Error('boom');
  }, (e) => errors.push(e), () => stopped);
  const first = r.run();
  const asks = [r.run(), r.run(), r.run()];
  assert.equal(passes, 1);
  release();
  await Promise.all([first, ...asks]);
  assert.equal(passes, 2, 'three asks during the first pass make one more pass');
  assert.equal(errors.length, 1);
  assert.equal(r.current, undefined);
  stopped = true;
  await r.run();
  assert.equal(passes, 2, 'no pass once stopped');
});

test('runAgain from inside a pass runs it once more', async () => {
  let passes = 0;
  const r = new CoalescedRun(async () => {
    if (++passes === 1) r.runAgain();
  }, (e) => assert.fail(String(e)));
  await r.run();
  assert.equal(passes, 2);
});
