import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParentCgroupGate } from './cgroups.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('the parent cgroup is not removed while a create is in flight', async () => {
  const gate = new ParentCgroupGate();
  const runcDone = deferred();
  const creating = gate.creatingIn(() => runcDone.promise);
  let removed = 0;
  await gate.removeIfUnused(async () => removed++);
  assert.equal(removed, 0, 'skipped: the create in flight needs the parent');
  runcDone.resolve();
  await creating;
  await gate.removeIfUnused(async () => removed++);
  assert.equal(removed, 1, 'removed once nothing creates');
});

test('a create waits for a removal that has begun, and a failing removal frees the gate', async () => {
  const gate = new ParentCgroupGate();
  const rmdirDone = deferred();
  const order: string[] = [];
  const removing = gate.removeIfUnused(async () => {
    await rmdirDone.promise;
    order.push('removed');
    throw new Error('EBUSY');
  });
  const creating = gate.creatingIn(async () => order.push('created'));
  await Promise.resolve();
  assert.deepEqual(order, []);
  rmdirDone.resolve();
  await Promise.all([removing, creating]);
  assert.deepEqual(order, ['removed', 'created']);
  assert.equal(await gate.creatingIn(async () => 'again'), 'again');
});
