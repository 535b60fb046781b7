import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLog } from './logs.js';
import { parseFlatKeyed } from './cgroups.js';
import { runcMessage } from './runc.js';
import { humanDuration, normalizeSignal, statusText } from './containers.js';

test('conmon log lines, with partial lines joined per stream', () => {
  const text = ['2026-01-01T00:00:00.1Z stdout F hello', '2026-01-01T00:00:00.2Z stderr P par', '2026-01-01T00:00:00.3Z stdout F world', '2026-01-01T00:00:00.4Z stderr F tial', '2026-01-01T00:00:00.5Z stdout F ', ''].join('\n');
  assert.deepEqual(parseLog(text), [
    { time: '2026-01-01T00:00:00.1Z', stream: 'stdout', text: 'hello' },
    { time: '2026-01-01T00:00:00.3Z', stream: 'stdout', text: 'world' },
    { time: '2026-01-01T00:00:00.2Z', stream: 'stderr', text: 'partial' },
    { time: '2026-01-01T00:00:00.5Z', stream: 'stdout', text: '' },
  ]);
});

test('cgroup key-value files', () => {
  assert.deepEqual(parseFlatKeyed('oom_kill_disable 0\nunder_oom 0\noom_kill 2\n'), { oom_kill_disable: 0, under_oom: 0, oom_kill: 2 });
});

test('runc errors shrink to their message', () => {
  const stderr = 'time="2026-11-27T08:12:54Z" level=error msg="runc create failed: unable to start container process: exec: \\"/nonexistent\\": stat /nonexistent: no such file or directory"\n';
  assert.equal(runcMessage(stderr), 'exec: "/nonexistent": stat /nonexistent: no such file or directory');
});

test('signals: names with or without SIG, numbers; others refused', () => {
  assert.equal(normalizeSignal('sigterm'), 'TERM');
  assert.equal(normalizeSignal(undefined), 'KILL');
  assert.equal(normalizeSignal('9'), '9');
  assert.throws(() => normalizeSignal('SIGNOPE'), /invalid signal/);
  assert.throws(() => normalizeSignal('99'), /invalid signal/);
});

test('status text, Docker style', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  assert.equal(statusText({ state: 'running', startedAt: '2026-01-01T00:07:00Z' }, now), 'Up 3 minutes');
  assert.equal(statusText({ state: 'exited', exitCode: 137, finishedAt: '2026-01-01T00:09:55Z' }, now), 'Exited (137) 5 seconds ago');
  assert.equal(statusText({ state: 'exited', exitCode: 1, finishedAt: '2026-01-01T00:09:59Z', restartAt: 'x' }, now), 'Restarting (1) 1 second ago');
  assert.equal(humanDuration(3 * 3600 * 1000), '3 hours');
});
