import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wholeNumber } from './numbers.js';

test('whole-number flags: digits within bounds pass; signs, fractions, words, exponents and 10+ digits are refused naming the flag', () => {
  assert.equal(wholeNumber('--max', '7'), 7);
  assert.equal(wholeNumber('--nodes', '2', 2, 5), 2);
  for (const bad of ['-1', '1.5', 'ten', '1e3', '', ' ', '9999999999', '0x10']) assert.throws(() => wholeNumber('--max', bad), /--max must be a whole number from 0 to 999999999/);
  assert.throws(() => wholeNumber('--nodes', '1', 2, 5), /--nodes must be a whole number from 2 to 5, got "1"/);
  assert.throws(() => wholeNumber('--nodes', '6', 2, 5), /from 2 to 5, got "6"/);
  assert.throws(() => wholeNumber('--n', 'x'.repeat(100)), /got "x{40}\.\.\."/);
});
