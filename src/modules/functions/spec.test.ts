import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS, normalizeSpec } from './spec.js';
import { parseMemory } from '../../kernel/quantity.js';

const now = '2026-01-01T00:00:00.000Z';

test('sizes: Docker-style and Kubernetes units', () => {
  assert.equal(parseMemory('64m'), 64 * 2 ** 20);
  assert.equal(parseMemory('64Mi'), 64 * 2 ** 20);
  assert.equal(parseMemory('1k'), 1024);
  assert.equal(parseMemory(100), 100);
  assert.throws(() => parseMemory('lots', 'memory'), /memory quantity "lots" is not like/);
});

test('normalizeSpec: defaults, versions, and clear refusals', () => {
  const s = normalizeSpec({ name: 'hello' }, undefined, true, now);
  assert.equal(s.runtime, 'isolate');
  assert.equal(s.memory, DEFAULTS.memory);
  assert.equal(s.keepAlive, 'fixed:10m');
  assert.equal(s.version, 1);
  const s2 = normalizeSpec({ name: 'hello', timeout: '200ms', min: 1, max: 2 }, s, true, now);
  assert.equal(s2.version, 2);
  assert.equal(s2.cpuMs, 200, 'CPU limit defaults to at most the timeout');
  const bad: Array<[Parameters<typeof normalizeSpec>[0], boolean, RegExp]> = [
    [{ name: 'Bad_Name' }, true, /lowercase/],
    [{ name: 'a' }, false, /give --code/],
    [{ name: 'a', image: 'x' }, false, /needs --port/],
    [{ name: 'a', min: 3, max: 2 }, true, /min \(3\) must not exceed max \(2\)/],
    [{ name: 'a', memory: '1m' }, true, /at least 8m/],
    [{ name: 'a', keepAlive: 'forever' }, true, /unknown keep-alive policy/],
    [{ name: 'a', schedule: 'not cron' }, true, /not a cron expression/],
    [{ name: 'a', mqttTopic: 't' }, true, /go together/],
    [{ name: 'a', env: { 'A-B': '1' } }, true, /env name/],
  ];
  for (const [input, hasCode, re] of bad) assert.throws(() => normalizeSpec(input, undefined, hasCode, now), re, JSON.stringify(input));
});
