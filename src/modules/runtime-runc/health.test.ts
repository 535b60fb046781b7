import { test } from 'node:test';
import assert from 'node:assert/strict';
import { healthCommand, healthSuffix } from './health.js';

test('Docker health tests become commands; NONE and an empty test mean no check', () => {
  assert.deepEqual(healthCommand({ test: ['CMD-SHELL', 'curl -f localhost || exit 1'] }), ['/bin/sh', '-c', 'curl -f localhost || exit 1']);
  assert.deepEqual(healthCommand({ test: ['CMD', 'pg_isready', '-q'] }), ['pg_isready', '-q']);
  assert.equal(healthCommand({ test: ['NONE'] }), undefined);
  assert.equal(healthCommand(undefined), undefined);
  assert.equal(healthSuffix({ status: 'starting', failingStreak: 0, log: [] }), '(health: starting)');
  assert.equal(healthSuffix({ status: 'unhealthy', failingStreak: 3, log: [] }), '(unhealthy)');
});
