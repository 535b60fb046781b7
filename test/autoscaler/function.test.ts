// End to end: a function scales out under a burst by the concurrency policy (Knative's KPA) and
// back to zero once the burst is over; decisions are recorded with reasons.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { until } from '../support/until.js';


describe('autoscaling a function', { concurrency: false }, () => {
  let d: TestDaemon;
  let dir: string;

  before(async () => {
    d = await startDaemon();
    dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-fn-as-'));
    // Each request holds its instance for 300 ms, so concurrency is what the load generates.
    await writeFile(path.join(dir, 'slow.js'), 'export default { async fetch() { await new Promise((r) => setTimeout(r, 300)); return new Response("done"); } };');
  });

  after(async () => {
    await d?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const instances = async () => ((await d.api<{ instances: unknown[] }>('GET', '/v1/functions/slow')).body.instances.length);

  test('scales out under a burst and back to zero after it, with reasons', async () => {
    const dep = await d.cli(['fn', 'deploy', 'slow', '--code', path.join(dir, 'slow.js'), '--concurrency', '1', '--min', '0', '--max', '4', '--keepalive', 'fixed:1s', '--autoscale', 'concurrency']);
    assert.equal(dep.code, 0, dep.stderr);
    assert.match(dep.stdout, /autoscaled by concurrency/);
    const ls = JSON.parse((await d.cli(['autoscale', 'ls', '--json'])).stdout) as Array<{ target: string; policy: string }>;
    assert.ok(ls.some((a) => a.target === 'function/slow' && a.policy === 'concurrency'));
    // Shorter windows than Knative's defaults (60 s stable, 30 s grace) so the test ends quickly.
    const put = await d.api('POST', '/v1/autoscalers', { name: 'slow', target: 'function/slow', policy: 'concurrency', min: 0, max: 4, metrics: [{ metric: 'concurrency', target: 1 }], periodMs: 500, kpa: { stableWindowMs: 4000, scaleToZeroGraceMs: 1000 } });
    assert.equal(put.status, 200, JSON.stringify(put.body));

    // The burst: 8 clients in a loop for 5 s, through the real gateway.
    const stopAt = Date.now() + 5000;
    let answered = 0;
    const client = async () => {
      while (Date.now() < stopAt) {
        const r = await fetch(`${d.gateway}/fn/slow/`);
        if ((await r.text()) === 'done') answered++;
      }
    };
    await Promise.all(Array.from({ length: 8 }, client));
    assert.ok(answered > 0);

    const decisions = async () => JSON.parse((await d.cli(['autoscale', 'events', 'slow', '--json', '--limit', '500'])).stdout) as Array<{ before: number; after: number; reason: string }>;
    const up = (await decisions()).find((x) => x.after > x.before && x.after >= 2);
    assert.ok(up, 'scaled out to at least 2 instances under the burst');
    assert.match(up.reason, /concurrency|panic/);

    const down = await until('a decision back to zero', async () => (await decisions()).find((x) => x.after === 0 && x.before > 0), 30_000);
    assert.ok(down.reason.length > 0);
    await until('no instances left (scaled to zero)', async () => (await instances()) === 0, 30_000);
  });
});
