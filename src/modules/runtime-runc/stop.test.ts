import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settleAll } from './stop.js';

test('teardown parts: every part runs to its end even when one fails, then the first failure is thrown', async () => {
  const done: string[] = [];
  const slow = new Promise<void>((r) => setTimeout(() => (done.push('slow'), r()), 20));
  const failing = Promise.reject(new Error('network detach failed'));
  const later = Promise.resolve().then(() => {
    done.push('later');
    throw new Error('second failure');
  });
  await assert.rejects(settleAll([failing, slow, later]), /network detach failed/);
  assert.deepEqual(done.sort(), ['later', 'slow']);
  await settleAll([Promise.resolve(1), Promise.resolve()]);
});
