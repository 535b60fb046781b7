// Issue 22: the daemon uses the winning policies by default (cost keep-alive for new functions,
// blend for new autoscalers), and a function's own scaling decisions (instance scale-out, pre-warm,
// reaping) are events with their inputs and reason, not silent.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { assertNoLeaks } from '../support/leaks.js';
import { until } from '../support/until.js';

describe('function scaling decisions and default policies', { concurrency: false }, () => {
  let d: TestDaemon;
  let dir: string;

  before(async () => {
    d = await startDaemon();
    dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-fn-dec-'));
    await writeFile(path.join(dir, 'hi.js'), 'export default { async fetch() { return new Response("hi"); } };');
  });

  after(async () => {
    if (d) {
      await d.stop();
      await assertNoLeaks(d.dataDir);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const events = async (prefix: string) => JSON.parse((await d.cli(['events', '--subject', 'function/short', '--prefix', prefix, '--json'])).stdout) as Array<{ topic: string; message: string }>;

  test('a new function gets the cost keep-alive unless it asks for another', async () => {
    const dep = await d.cli(['fn', 'deploy', 'dflt', '--code', path.join(dir, 'hi.js')]);
    assert.equal(dep.code, 0, dep.stderr);
    const fn = await d.api<{ spec: { keepAlive: string } }>('GET', '/v1/functions/dflt');
    assert.equal(fn.body.spec.keepAlive, 'cost', JSON.stringify(fn.body));
  });

  test('scale-out and reaping of instances are logged with inputs and reason', async () => {
    const dep = await d.cli(['fn', 'deploy', 'short', '--code', path.join(dir, 'hi.js'), '--min', '0', '--keepalive', 'fixed:1s']);
    assert.equal(dep.code, 0, dep.stderr);
    const r = await fetch(`${d.gateway}/fn/short/`);
    assert.equal(await r.text(), 'hi');
    const [out] = await until('a scale-out event', async () => ((await events('/functions/scale-out')).length ? await events('/functions/scale-out') : undefined), 10_000);
    // Scale from zero: the request waiting with no instance is the input, the start of one the decision.
    assert.match(out!.message, /^function short: start 1 instance: 1 queued, 0 free slots, 0 starting x \d+; max \d+$/);
    const [reaped] = await until('a reap event', async () => ((await events('/functions/reap')).length ? await events('/functions/reap') : undefined), 20_000);
    assert.match(reaped!.message, /^function short: stop idle instance short-[0-9a-f]+ after \d+ s idle: keep-alive fixed:1s: /);
    await until('no instances left', async () => (await d.api<{ instances: unknown[] }>('GET', '/v1/functions/short')).body.instances.length === 0, 20_000);
  });

  test('a new autoscaler without a policy gets blend, and its decisions carry reasons', async () => {
    const put = await d.api<{ policy: string }>('POST', '/v1/autoscalers', { name: 'dflt', target: 'function/dflt', min: 0, max: 2, metrics: [{ metric: 'concurrency', target: 1 }], periodMs: 200 });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.policy, 'blend');
    const decisions = async () => JSON.parse((await d.cli(['autoscale', 'events', 'dflt', '--json', '--limit', '50'])).stdout) as Array<{ reason: string }>;
    const first = await until('a blend decision', async () => (await decisions())[0], 15_000);
    assert.match(first.reason, /forecast|reactive|no metrics/);
    assert.equal((await d.api('DELETE', '/v1/autoscalers/default/dflt')).status, 200);
  });
});
