import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePort, statsTable } from './containers.js';

test('stats table: short ids, CPU and memory percentages, no division by a zero limit', () => {
  const out = statsTable([
    { id: 'a'.repeat(64), name: 'web', cpuPercent: 12.345, memoryUsage: 32 * 2 ** 20, memoryLimit: 64 * 2 ** 20, cpuUsageNs: 0, pids: 3 },
    { id: 'b'.repeat(64), name: 'idle', cpuPercent: 0, memoryUsage: 0, memoryLimit: 0, cpuUsageNs: 0, pids: 1 },
  ]);
  const lines = out.trimEnd().split('\n');
  assert.match(lines[0]!, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+PIDS$/);
  assert.match(lines[1]!, new RegExp(`^${'a'.repeat(12)}\\s+web\\s+12\\.35%.*50\\.00%\\s+3$`));
  assert.match(lines[2]!, /idle\s+0\.00%.*0\.00%\s+1$/);
});

test('the flag parsers stay importable from the commands file', () => {
  assert.deepEqual(parsePort('8080:80'), { hostPort: 8080, containerPort: 80, protocol: 'tcp' });
});
