import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceLedger } from './ledger.js';

const Mi = 2 ** 20;

test('allocatable is capacity minus reserved, and allocations that do not fit are refused with the reason', () => {
  // capacity 2000m / 1024Mi, reserved 100m / 256Mi -> allocatable 1900m / 768Mi
  const l = new ResourceLedger({ cpu: 2000, memory: 1024 * Mi, pids: 100 }, { cpu: 100, memory: 256 * Mi, pids: 0 });
  assert.deepEqual(l.allocatable(), { cpu: 1900, memory: 768 * Mi, pids: 100 });
  l.allocate('a', { cpu: 500, memory: 468 * Mi });
  // free memory: 768 - 468 = 300Mi, so 512Mi does not fit
  assert.throws(() => l.allocate('b', { memory: 512 * Mi }), /needs 512Mi memory, node has 300Mi allocatable free/);
  assert.throws(() => l.allocate('c', { cpu: 1500 }), /needs 1500m CPU, node has 1400m allocatable free/);
  assert.throws(() => l.allocate('a', { cpu: 1 }), /already exists/);
  l.release('a');
  l.allocate('b', { memory: 512 * Mi });
  assert.deepEqual(l.allocated(), { cpu: 0, memory: 512 * Mi, pids: 0 });
});
