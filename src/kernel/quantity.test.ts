import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCpu, formatMemory, parseCpu, parseMemory } from './quantity.js';

test('parseCpu: cores and millicores', () => {
  const cases: Array<[string | number, number]> = [
    ['2', 2000], // 2 cores * 1000
    ['0.5', 500],
    ['500m', 500],
    ['1.25', 1250],
    [0.1, 100],
  ];
  for (const [s, want] of cases) assert.equal(parseCpu(s), want, String(s));
  for (const bad of ['', 'two', '-1', '5x']) assert.throws(() => parseCpu(bad), /cpu quantity/);
});

test('parseMemory: binary and decimal suffixes', () => {
  const cases: Array<[string, number]> = [
    ['512Mi', 512 * 2 ** 20], // 536870912
    ['1Gi', 2 ** 30],
    ['1G', 1e9],
    ['100K', 100_000],
    ['64m', 64 * 2 ** 20], // Docker-style lowercase units are binary
    ['512k', 512 * 1024],
    ['1gb', 2 ** 30],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['4096', 4096],
  ];
  for (const [s, want] of cases) assert.equal(parseMemory(s), want, s);
  for (const bad of ['', '1Xi', 'lots', '-5Mi']) assert.throws(() => parseMemory(bad), /memory quantity/);
});

test('formatting round-trips the common cases', () => {
  assert.equal(formatCpu(2000), '2');
  assert.equal(formatCpu(250), '250m');
  assert.equal(formatMemory(300 * 2 ** 20), '300Mi');
  assert.equal(formatMemory(1.5 * 2 ** 30), '1.5Gi');
  assert.equal(formatMemory(100), '100');
});
