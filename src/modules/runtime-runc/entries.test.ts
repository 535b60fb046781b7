import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgument, NotFound } from '../../kernel/errors.js';
import { containerInfo, findEntry, newEntry, withLock, type Entry } from './entries.js';
import type { ContainerRecord } from './records.js';

function rec(id: string, name: string, over: Partial<ContainerRecord> = {}): ContainerRecord {
  return { id, name, namespace: 'default', image: 'busybox', imageId: 'sha256:x', spec: { image: 'busybox', name }, state: 'created', createdAt: '2026-01-01T00:00:00.000Z', oomKilled: false, restartCount: 0, backoffStep: 0, stoppedByUser: false, rootfs: '', cgroupsPath: `/llmos/t/${id}`, stopSignal: 'TERM', ...over };
}

function table(...recs: ContainerRecord[]): Map<string, Entry> {
  return new Map(recs.map((r) => [r.id, newEntry(r)]));
}

test('lookup: a name first, then an exact id, then a unique id prefix of 3+ characters', () => {
  const t = table(rec('abc111', 'web'), rec('abc222', 'abc111x'), rec('def333', 'def333'));
  assert.equal(findEntry(t, 'web').rec.id, 'abc111');
  assert.equal(findEntry(t, 'abc222').rec.name, 'abc111x');
  // A name that equals another container's id wins over that id.
  assert.equal(findEntry(t, 'def333').rec.id, 'def333');
  assert.equal(findEntry(t, 'abc1').rec.id, 'abc111');
  assert.throws(() => findEntry(t, 'abc'), (e) => e instanceof InvalidArgument && /ambiguous/.test(e.message));
  assert.throws(() => findEntry(t, 'ab'), (e) => e instanceof NotFound && /no such container: ab/.test(e.message));
  assert.throws(() => findEntry(t, 'zzz'), NotFound);
});

test('the lock runs operations one after another, and a failure does not block the next', async () => {
  const e = newEntry(rec('a', 'a'));
  const order: string[] = [];
  let release!: () => void;
  const first = withLock(e, () => new Promise<void>((r) => (release = () => (order.push('first'), r()))));
  const second = withLock(e, async () => {
    order.push('second');
    throw new Error('boom');
  });
  const third = withLock(e, async () => (order.push('third'), 3));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [], 'the second waits for the first');
  release();
  await first;
  await assert.rejects(second, /boom/);
  assert.equal(await third, 3);
  assert.deepEqual(order, ['first', 'second', 'third']);
});

test('info: the pid only while a process runs; ports and labels default to empty', () => {
  const now = Date.parse('2026-01-01T00:01:00.000Z');
  const running = containerInfo(rec('a', 'a', { state: 'running', pid: 42, startedAt: '2026-01-01T00:00:00.000Z' }), now);
  assert.equal(running.pid, 42);
  assert.match(running.status, /^Up /);
  assert.deepEqual(running.ports, []);
  assert.deepEqual(running.labels, {});
  const exited = containerInfo(rec('a', 'a', { state: 'exited', pid: 42, exitCode: 3, finishedAt: '2026-01-01T00:00:30.000Z' }), now);
  assert.equal(exited.pid, undefined);
  assert.equal(exited.exitCode, 3);
  assert.equal(exited.cgroupPath, '/llmos/t/a');
});
