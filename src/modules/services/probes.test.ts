import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveReadiness, failedOut, newTracker, probeDue, recordProbe, type ProbeTracker } from './probes.js';
import type { ProbeSpec } from './types.js';

const spec = (o: Partial<ProbeSpec> = {}): ProbeSpec => ({ exec: { command: ['true'] }, initialDelaySeconds: 5, periodSeconds: 2, timeoutSeconds: 1, successThreshold: 2, failureThreshold: 3, ...o });

/** Feeds results one period apart and returns `passing` after each. */
function run(s: ProbeSpec, kind: 'readiness' | 'liveness', results: boolean[]): boolean[] {
  let t: ProbeTracker = newTracker(s, kind, 0);
  let now = t.nextAt;
  return results.map((ok) => {
    t = recordProbe(t, s, ok, now);
    now += s.periodSeconds * 1000;
    return t.passing;
  });
}

test('nothing is due before initialDelaySeconds, then every periodSeconds', () => {
  const s = spec();
  let t = newTracker(s, 'readiness', 1000);
  assert.equal(probeDue(t, 5999), false); // 1000 + 5 s initial delay = 6000
  assert.equal(probeDue(t, 6000), true);
  assert.equal(probeDue({ ...t, running: true }, 6000), false); // one in flight at a time
  t = recordProbe(t, s, true, 6000);
  assert.equal(probeDue(t, 7999), false); // 6000 + 2 s period
  assert.equal(probeDue(t, 8000), true);
});

test('readiness: starts unready, needs successThreshold successes, drops after failureThreshold failures', () => {
  const cases: Array<{ s: ProbeSpec; results: boolean[]; want: boolean[] }> = [
    // successThreshold 2: ready at the 2nd success in a row
    { s: spec(), results: [true, true, false, false, false, true, true], want: [false, true, true, true, false, false, true] },
    // a failure resets the success streak
    { s: spec(), results: [true, false, true, true], want: [false, false, false, true] },
    // successThreshold 1, failureThreshold 1
    { s: spec({ successThreshold: 1, failureThreshold: 1 }), results: [true, false, true], want: [true, false, true] },
  ];
  for (const c of cases) assert.deepEqual(run(c.s, 'readiness', c.results), c.want, JSON.stringify(c.results));
});

test('liveness: starts alive and dies after failureThreshold failures in a row', () => {
  const s = spec({ successThreshold: 1 });
  assert.deepEqual(run(s, 'liveness', [false, false, true, false, false, false]), [true, true, true, true, true, false]);
});

test('failedOut counts consecutive failures against failureThreshold', () => {
  const s = spec({ failureThreshold: 2 });
  let t = newTracker(s, 'readiness', 0);
  t = recordProbe(t, s, false, 5000, 'exit 1');
  assert.equal(failedOut(t, s), false);
  t = recordProbe(t, s, false, 7000, 'exit 1');
  assert.equal(failedOut(t, s), true);
  assert.equal(t.lastError, 'exit 1');
});

test('a replica without a readiness probe is checked by a TCP connect to its first port', () => {
  const template = { image: 'x', env: {}, labels: {} };
  assert.equal(effectiveReadiness(template, []), undefined);
  assert.deepEqual(effectiveReadiness(template, [{ containerPort: 80 }])?.spec.tcpSocket, { port: 80 });
  assert.equal(effectiveReadiness({ ...template, readinessProbe: spec() }, [{ containerPort: 80 }])?.implicit, false);
});
