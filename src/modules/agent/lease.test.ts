// The lease loop against a link that drops packets (each renewal hangs until its timeout), then
// heals: the first renewal after the heal comes within a quarter interval, not after the hung ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseLoop, leaseTimings } from './lease.js';
import { Unavailable } from '../../kernel/errors.js';
import { until } from '../../../test/support/until.js';

test('timings: healthy one renewal per interval; failing a probe every quarter interval, enough in flight to keep that pace', () => {
  assert.deepEqual(leaseTimings(10_000, false), { timeoutMs: 10_000, nextMs: 10_000, maxInFlight: 2 });
  // 10 s interval: 10 s timeout, a probe every 2.5 s, 10/2.5 + 1 = 5 in flight.
  assert.deepEqual(leaseTimings(10_000, true), { timeoutMs: 10_000, nextMs: 2500, maxInFlight: 5 });
  // 4 s: 4 s timeout, every 1 s, 4/1 + 1 = 5.
  assert.deepEqual(leaseTimings(4000, true), { timeoutMs: 4000, nextMs: 1000, maxInFlight: 5 });
  // 300 ms (tests): the clamps, 2 s timeout and every 250 ms, 2000/250 + 1 = 9.
  assert.deepEqual(leaseTimings(300, true), { timeoutMs: 2000, nextMs: 250, maxInFlight: 9 });
});

test('a partition then a heal: renewed within a quarter interval of the heal; hung probes failing later do not count as a new outage', { timeout: 30_000 }, async () => {
  let cut = false;
  let healedAt = 0;
  const downs: unknown[] = [];
  const reconnects: number[] = [];
  let renewedAfterHeal = 0;
  let hanging = 0;
  const loop = new LeaseLoop({
    intervalMs: 1000,
    offline: false,
    renew: (timeoutMs) => new Promise((resolve, reject) => {
      if (!cut) {
        if (healedAt && !renewedAfterHeal) renewedAfterHeal = Date.now();
        return resolve({ renewTime: new Date().toISOString(), leaseIntervalMs: 1000 });
      }
      // A dropped packet: nothing comes back until the timeout.
      hanging++;
      setTimeout(() => {
        hanging--;
        reject(new Unavailable('timed out'));
      }, timeoutMs);
    }),
    onDown: (e) => downs.push(e),
    onReconnect: (ms) => reconnects.push(ms),
  });
  loop.start();
  await until('first renewal', async () => loop.lastRenewal() !== undefined, 5000, 10);
  cut = true;
  await until('the loop sees the outage', async () => loop.failing(), 15_000, 20);
  // Several probes hang at once (a 2 s timeout, one every 250 ms).
  await until('4 probes hanging', async () => hanging >= 4, 10_000, 10);
  cut = false;
  healedAt = Date.now();
  await until('renewed after the heal', async () => !loop.failing(), 5000, 10);
  assert.ok(renewedAfterHeal - healedAt <= 250 + 100, `renewed ${renewedAfterHeal - healedAt} ms after the heal`);
  assert.equal(reconnects.length, 1);
  // The probes sent into the outage time out after the reconnect: still one outage.
  assert.ok(hanging > 0);
  await until('the hung probes gave up', async () => hanging === 0, 10_000, 20);
  loop.stop();
  assert.equal(downs.length, 1);
  assert.equal(reconnects.length, 1);
});
