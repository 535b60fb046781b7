import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeView } from '../../contracts/cluster.js';
import { NodeMonitor } from './node-monitor.js';

const node = (name: string, status: NodeView['status']) => ({ name, status, lastHeartbeat: '2026-12-01T00:00:00.000Z' }) as NodeView;

test('the node monitor reports each status change once, and forgets removed nodes', () => {
  const m = new NodeMonitor();
  assert.deepEqual(m.changes([node('a', 'Ready')]).map((c) => `${c.name}:${c.status}`), ['a:Ready']);
  assert.deepEqual(m.changes([node('a', 'Ready')]), []);
  assert.deepEqual(m.changes([node('a', 'NotReady'), node('b', 'Ready')]).map((c) => `${c.name}:${c.status}`), ['a:NotReady', 'b:Ready']);
  assert.deepEqual(m.changes([node('b', 'Ready')]), []);
  assert.deepEqual(m.changes([node('a', 'NotReady'), node('b', 'Ready')]).map((c) => `${c.name}:${c.status}`), ['a:NotReady'], 'a node removed and back is new again');
});
