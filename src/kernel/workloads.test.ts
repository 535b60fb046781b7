import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkloadTable, canTransition, type WorkloadState } from './workloads.js';
import { EventBus } from './events.js';

test('legal and illegal transitions', () => {
  const cases: Array<[WorkloadState, WorkloadState, boolean]> = [
    ['created', 'starting', true],
    ['starting', 'running', true],
    ['running', 'stopping', true],
    ['stopping', 'exited', true],
    ['exited', 'starting', true], // restart
    ['failed', 'starting', true],
    ['created', 'running', false], // must pass through starting
    ['exited', 'running', false],
    ['stopping', 'running', false],
    ['running', 'created', false],
  ];
  for (const [from, to, ok] of cases) assert.equal(canTransition(from, to), ok, `${from} -> ${to}`);
});

test('the table refuses an illegal transition and keeps the state', () => {
  const t = new WorkloadTable();
  t.add({ id: 'c1', type: 'container', name: 'web' });
  assert.throws(() => t.transition('c1', 'running'), /illegal transition created -> running/);
  assert.equal(t.get('c1').state, 'created');
  t.transition('c1', 'starting');
  t.transition('c1', 'running');
  t.transition('c1', 'exited', { exitCode: 3, reason: 'Error' });
  assert.equal(t.get('c1').exitCode, 3);
});

test('duplicates, unknown ids, filters and events', () => {
  const bus = new EventBus();
  const seen: string[] = [];
  bus.subscribe('/workloads/', (e) => seen.push(e.topic));
  const t = new WorkloadTable(bus);
  t.add({ id: 'a', type: 'container', name: 'a', owner: 'service/web' });
  t.add({ id: 'b', type: 'function-instance', name: 'b' });
  assert.throws(() => t.add({ id: 'a', type: 'container', name: 'a' }), /already exists/);
  assert.throws(() => t.get('zzz'), /not found/);
  assert.deepEqual(t.list({ owner: 'service/web' }).map((w) => w.id), ['a']);
  t.transition('a', 'starting');
  t.remove('a');
  assert.deepEqual(seen, ['/workloads/created', '/workloads/created', '/workloads/starting', '/workloads/removed']);
});
