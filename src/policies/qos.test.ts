import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveRequests, qosClass } from './qos.js';

const Mi = 2 ** 20;

test('qosClass follows the Kubernetes rules', () => {
  const cases: Array<{ name: string; req?: object; lim?: object; want: string }> = [
    { name: 'nothing set', want: 'BestEffort' },
    { name: 'only pids (not a QoS resource)', req: { pids: 10 }, lim: { pids: 10 }, want: 'BestEffort' },
    { name: 'limits only: requests default to limits', lim: { cpu: 500, memory: 256 * Mi }, want: 'Guaranteed' },
    { name: 'requests equal limits', req: { cpu: 500, memory: 256 * Mi }, lim: { cpu: 500, memory: 256 * Mi }, want: 'Guaranteed' },
    { name: 'request below limit', req: { cpu: 250, memory: 256 * Mi }, lim: { cpu: 500, memory: 256 * Mi }, want: 'Burstable' },
    { name: 'memory limit only', lim: { memory: 256 * Mi }, want: 'Burstable' },
    { name: 'requests only, no limits', req: { cpu: 100, memory: 64 * Mi }, want: 'Burstable' },
    { name: 'cpu limited, memory requested only', req: { memory: 64 * Mi }, lim: { cpu: 100 }, want: 'Burstable' },
  ];
  for (const c of cases) assert.equal(qosClass(c.req, c.lim), c.want, c.name);
});

test('effectiveRequests defaults each unset request to its limit', () => {
  assert.deepEqual(effectiveRequests({ cpu: 100 }, { cpu: 500, memory: 64 * Mi }), { cpu: 100, memory: 64 * Mi, pids: 0 });
});
