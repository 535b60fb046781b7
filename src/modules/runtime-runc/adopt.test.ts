import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lostReason } from './adopt.js';

test('why an active container found at boot is ended: the first cause that holds', () => {
  assert.match(lostReason('starting', true, true), /start was cut short/);
  assert.match(lostReason('running', false, false), /runc lost its state/);
  assert.match(lostReason('stopping', true, false), /supervisor \(conmon\) died/);
  assert.match(lostReason('running', true, true), /exit code was lost/);
});
