import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, decideRestart, parseRestartPolicy, type RestartInput } from './restart.js';

const exit = (over: Partial<RestartInput>): RestartInput => ({ policy: { name: 'always' }, exitCode: 1, stoppedByUser: false, restartCount: 0, backoffStep: 0, startedAt: 0, finishedAt: 1000, ...over });

test('back-off: 100 ms doubling, capped at one minute', () => {
  // 100 * 2^0, 2^1, 2^3; 100 * 2^10 = 102400 > 60000, so capped
  assert.deepEqual([0, 1, 3, 10].map(backoffDelay), [100, 200, 800, 60_000]);
});

test('policies decide by exit code, count and the user', () => {
  assert.equal(decideRestart(exit({ policy: { name: 'no' } })).restart, false);
  assert.equal(decideRestart(exit({ policy: undefined })).restart, false);
  assert.equal(decideRestart(exit({ policy: { name: 'on-failure' }, exitCode: 0 })).restart, false);
  assert.equal(decideRestart(exit({ policy: { name: 'on-failure' }, exitCode: 2 })).restart, true);
  assert.equal(decideRestart(exit({ policy: { name: 'on-failure', maxRetries: 2 }, restartCount: 2 })).restart, false);
  assert.equal(decideRestart(exit({ policy: { name: 'on-failure', maxRetries: 2 }, restartCount: 1 })).restart, true);
  assert.equal(decideRestart(exit({ exitCode: 0 })).restart, true, 'always restarts clean exits too');
  assert.equal(decideRestart(exit({ stoppedByUser: true })).restart, false);
});

test('quick failures grow the delay; a healthy run resets it', () => {
  assert.deepEqual(decideRestart(exit({ backoffStep: 3 })), { restart: true, delayMs: 800, nextBackoffStep: 4 });
  // ran 10 s: 10000 >= healthyRunMs, so step 0 again
  assert.deepEqual(decideRestart(exit({ backoffStep: 7, startedAt: 0, finishedAt: 10_000 })), { restart: true, delayMs: 100, nextBackoffStep: 1 });
});

test('CLI forms of the policy', () => {
  assert.deepEqual(parseRestartPolicy('on-failure:3'), { name: 'on-failure', maxRetries: 3 });
  assert.deepEqual(parseRestartPolicy('always'), { name: 'always' });
  assert.equal(parseRestartPolicy('sometimes'), undefined);
});
