import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guardChain, guardRules, splitRule } from './guard.js';

test('guard: one chain per bridge within iptables limits, rules split back into arguments', () => {
  assert.equal(guardChain('llmos0'), 'LLMOS-GUARD-llmos0');
  assert.ok(guardChain('a'.repeat(15)).length <= 28, 'the longest bridge name still gives a legal chain name');
  const [rule] = guardRules('llmos0');
  assert.deepEqual(splitRule(rule!), ['-A', 'LLMOS-GUARD-llmos0', '-d', '127.0.0.0/8', '-i', 'llmos0', '-m', 'comment', '--comment', 'llmos: no loopback from containers', '-j', 'DROP']);
  assert.deepEqual(splitRule('-A X -m comment --comment "a \\"q\\" b" -j Y'), ['-A', 'X', '-m', 'comment', '--comment', 'a "q" b', '-j', 'Y']);
});
