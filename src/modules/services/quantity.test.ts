import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCpu, parseMemory, parseQuantity } from './quantity.js';

test('quantities parse like Kubernetes', () => {
  const cases: Array<[unknown, number | undefined]> = [
    ['500m', 0.5],
    ['1', 1],
    ['0.25', 0.25],
    [2, 2],
    ['128Mi', 128 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1G', 1e9],
    ['1e3', 1000],
    ['12k', 12_000],
    ['-1', undefined],
    ['abc', undefined],
    ['5 Mi', undefined],
    [null, undefined],
  ];
  for (const [input, want] of cases) assert.equal(parseQuantity(input), want, String(input));
});

test('cpu is in cores and memory in bytes, with docker-style sizes for memory', () => {
  assert.equal(parseCpu('250m'), 0.25);
  assert.equal(parseCpu('1.5'), 1.5);
  assert.equal(parseMemory('64Mi'), 64 * 2 ** 20);
  assert.equal(parseMemory('64m'), 64 * 2 ** 20); // docker style: megabytes, not millibytes
  assert.equal(parseMemory('1g'), 2 ** 30);
  assert.equal(parseMemory('512kb'), 512 * 1024);
  assert.equal(parseMemory('1000'), 1000);
  assert.equal(parseMemory('10n'), undefined);
});
