import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatCpu, formatMemory, parseCpu, parseDuration, parseMemory } from './quantity.js';

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

test('absurd quantities are refused with the reason (issue 13 finding 9)', () => {
  // Each of these was accepted before: 1e308 cores became Infinity millicores only after rounding,
  // twenty nines was a valid CPU and memory, NaN and negative numbers went through as numbers.
  assert.throws(() => parseCpu(1e308), /too large|finite/);
  assert.throws(() => parseCpu('99999999999999999999'), /cpu quantity "99999999999999999999" is too large \(at most 1024 cores\)/);
  assert.throws(() => parseCpu(NaN), /finite, non-negative/);
  assert.throws(() => parseCpu(-0.5), /finite, non-negative/);
  assert.throws(() => parseMemory('99999999999999999999Gi'), /memory quantity .* is too large \(at most 1Pi\)/);
  assert.throws(() => parseMemory(Infinity), /finite, non-negative/);
  assert.throws(() => parseMemory({} as unknown as string), /must be a string or a number/);
  assert.throws(() => parseCpu('1'.repeat(100_000)), /is not like/);
  assert.equal(parseCpu('1024'), 1_024_000);
  assert.equal(parseMemory('1Pi'), 2 ** 50);
});

test('parseDuration: units, bare milliseconds, and bounds', () => {
  const cases: Array<[string | number, number]> = [
    ['250ms', 250],
    ['30s', 30_000],
    ['10m', 600_000], // 10 * 60 s
    ['1.5h', 5_400_000],
    ['1d', 86_400_000],
    ['1500', 1500],
    [42, 42],
  ];
  for (const [s, want] of cases) assert.equal(parseDuration(s), want, String(s));
  for (const bad of ['', '-1s', '1y', '1e3s', 'soon']) assert.throws(() => parseDuration(bad, '--period'), /--period ".*" is not a duration/);
  assert.throws(() => parseDuration('366d'), /too large \(at most 365d\)/);
  assert.throws(() => parseDuration(NaN), /finite/);
});

test('formatBytes: binary units, one decimal below 100, none from 100, "-" without a value', () => {
  const cases: Array<[number | undefined | null, string, string]> = [
    [0, '', '0B'],
    [1023, '', '1023B'],
    [1536, '', '1.5KiB'], // 1536 / 1024 = 1.5
    [150 * 2 ** 20, '', '150MiB'], // >= 100: no decimal
    [2.25 * 2 ** 30, ' ', '2.3 GiB'], // the dashboard's spacing
    [2 ** 50, '', '1024TiB'], // TiB is the largest unit
    [undefined, '', '-'],
    [null, ' ', '-'],
    [Number.NaN, '', '-'],
  ];
  for (const [n, sep, want] of cases) assert.equal(formatBytes(n, sep), want, String(n));
});
