import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExitCode } from './exits.js';

test("conmon's exit file: the bare code; empty, missing or garbage is not a report", () => {
  assert.equal(parseExitCode('137'), 137);
  assert.equal(parseExitCode(' 0\n'), 0);
  assert.equal(parseExitCode(undefined), undefined);
  assert.equal(parseExitCode(''), undefined);
  assert.equal(parseExitCode('  \n'), undefined);
  assert.equal(parseExitCode('exited'), undefined);
});
