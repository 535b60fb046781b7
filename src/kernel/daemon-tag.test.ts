import { test } from 'node:test';
import assert from 'node:assert/strict';
import { daemonTag } from './daemon-tag.js';

test('daemonTag: 8 hex digits, the same for equivalent paths, different for different data dirs', () => {
  assert.match(daemonTag('/var/lib/llmos'), /^[0-9a-f]{8}$/);
  assert.equal(daemonTag('/var/lib/llmos'), daemonTag('/var/lib/../lib/llmos/'));
  assert.notEqual(daemonTag('/var/lib/llmos'), daemonTag('/var/lib/llmos2'));
});
