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
  assert.equal(s.keepAlive, 'cost');
  assert.equal(s.version, 1);
  const s2 = normalizeSpec({ name: 'hello', timeout: '200ms', min: 1, max: 2 }, s, true, now);
  assert.equal(s2.version, 2);
  assert.equal(s2.cpuMs, 200, 'CPU limit defaults to at most the timeout');
  const bad: Array<[Parameters<typeof normalizeSpec>[0], boolean, RegExp]> = [
    [{ name: 'Bad_Name' }, true, /lowercase/],
    [{ name: 'a' }, false, /give --code/],
    [{ name: 'a', image: 'x' }, false, /needs --port/],
    [{ name: 'a', min: 3, max: 2 }, true, /min \(3\) must not exceed max \(2\)/],
    [{ name: 'a', memory: '1m' }, true, /memory must be from 8Mi/],
    [{ name: 'a', keepAlive: 'forever' }, true, /unknown keep-alive policy/],
    [{ name: 'a', schedule: 'not cron' }, true, /not a cron expression/],
    [{ name: 'a', mqttTopic: 't' }, true, /go together/],
    [{ name: 'a', env: { 'A-B': '1' } }, true, /env name/],
  ];
  for (const [input, hasCode, re] of bad) assert.throws(() => normalizeSpec(input, undefined, hasCode, now), re, JSON.stringify(input));
});

test('normalizeSpec: absurd values are refused with the reason (issue 13, finding 9)', () => {
  // Each of these was accepted before: stored in the spec and handed to the pool and the isolate.
  const cases: Array<[string, Parameters<typeof normalizeSpec>[0], RegExp]> = [
    ['negative queue wait', { name: 'a', queueWait: -5 }, /queue wait must be from 0s to 15m, got -5/],
    ['queue wait 1e308', { name: 'a', queueWait: 1e308 }, /queue wait must be from/],
    ['timeout 1e308', { name: 'a', timeout: 1e308 }, /timeout must be from 1ms to 15m/],
    ['timeout in days', { name: 'a', timeout: '99999d' }, /timeout ("99999d" is too large|must be from)/],
    ['negative timeout', { name: 'a', timeout: -1 }, /timeout must be from/],
    ['cpu 1e308', { name: 'a', cpu: 1e308 }, /cpu time limit must be from 1ms to 15m/],
    ['cpu 0', { name: 'a', cpu: 0 }, /cpu time limit must be from/],
    ['concurrency 0', { name: 'a', concurrency: 0 }, /concurrency must be an integer from 1 to 10000, got 0/],
    ['concurrency NaN', { name: 'a', concurrency: Number.NaN }, /concurrency must be an integer/],
    ['concurrency 1.5', { name: 'a', concurrency: 1.5 }, /concurrency must be an integer/],
    ['memory beyond 4Gi', { name: 'a', memory: '1T' }, /memory must be from 8Mi to 4Gi, got "1T"/],
    ['memory 1e308', { name: 'a', memory: 1e308 }, /memory (must be from|quantity "1e\+308" is too large)/],
    ['memory negative', { name: 'a', memory: -64 }, /non-negative/],
    ['body limit 1e308', { name: 'a', bodyLimit: 1e308 }, /body limit (must be from 0 to 100Mi, got 1e\+308|quantity "1e\+308" is too large)/],
    ['body limit negative', { name: 'a', bodyLimit: -1 }, /non-negative/],
    ['max 1e6', { name: 'a', max: 1e6 }, /max must be an integer from 1 to 1000/],
    ['min negative', { name: 'a', min: -1 }, /min must be an integer from 0/],
    ['queue Infinity', { name: 'a', queue: Infinity }, /queue must be an integer/],
    ['keep-alive of a million days', { name: 'a', keepAlive: 'fixed:1000000d' }, /(keep-alive TTL must be from 0s to 720h|"1000000d" is too large)/],
    ['async TTL 0', { name: 'a', asyncTtl: 0 }, /async result TTL must be from 1s to 168h/],
    ['async TTL a year', { name: 'a', asyncTtl: '365d' }, /async result TTL must be from/],
    ['async max records 0', { name: 'a', asyncMaxRecords: 0 }, /async max records must be an integer from 1/],
    ['async max bytes 1e308', { name: 'a', asyncMaxBytes: 1e308 }, /async max bytes (must be from 1Ki to 16Gi|quantity "1e\+308" is too large)/],
    ['port 0', { name: 'a', image: 'x', port: 0 }, /port must be 1-65535/],
    ['2000 env variables', { name: 'a', env: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`V${i}`, 'x'])) }, /env has 2000 variables/],
    ['a 1 MB env value', { name: 'a', env: { BIG: 'x'.repeat(2 ** 20) } }, /env has 1 variables of \d+ bytes; the limits are/],
  ];
  for (const [what, input, re] of cases) {
    assert.throws(() => normalizeSpec(input, undefined, !input.image, now), (e: Error) => e.name === 'InvalidArgument' && re.test(e.message), what);
  }
  // The edges themselves are fine.
  const edge = normalizeSpec({ name: 'a', queueWait: 0, timeout: '15m', cpu: '15m', concurrency: 10_000, memory: '4Gi', bodyLimit: '100Mi', asyncTtl: '1s', asyncMaxRecords: 1, asyncMaxBytes: '1Ki' }, undefined, true, now);
  assert.equal(edge.queueWaitMs, 0);
  assert.equal(edge.timeoutMs, 900_000);
  assert.equal(edge.asyncTtlMs, 1000);
  assert.equal(edge.asyncPublic, false);
});
