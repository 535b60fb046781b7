import assert from 'node:assert/strict';
import test from 'node:test';
import { FunctionMetrics } from './metrics.js';

test('forget drops every series of a removed function, whatever its other labels, and keeps the others', async () => {
  const m = new FunctionMetrics();
  for (const fn of ['gone', 'kept']) {
    m.invocations.inc({ function: fn, status: '200' });
    m.invocations.inc({ function: fn, status: '504' });
    m.errors.inc({ function: fn, reason: 'timeout' });
    m.duration.observe({ function: fn }, 0.01);
    m.instances.set({ function: fn, state: 'ready' }, 1);
  }
  await m.forget('gone');
  const text = await m.registry.metrics();
  assert.doesNotMatch(text, /function="gone"/);
  for (const name of ['invocations_total', 'errors_total', 'duration_seconds_bucket', 'instances']) assert.match(text, new RegExp(`llmos_function_${name}\\{[^}]*function="kept"`));
});
