// End to end, issue 14: the containers module uses the scheduler as an optional dependency. When the
// scheduler is unloaded and loaded again at run time, the containers module must hear of it and
// register its preemption handler on the new scheduler; before, the handler stayed on the old one,
// so a preempted container lost its admission but kept running.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';

const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : false);

describe('preemption after the scheduler is reloaded at run time', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let image: string;

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/preempt', { tag: '1' })).ref;
    d = await startDaemon();
  });

  after(async () => {
    if (d) {
      for (const n of ['low', 'high']) await d.cli(['rm', '-f', n]);
      await d.stop();
    }
    await reg?.stop();
  });

  test('a higher-priority container still stops its victim after scheduler unload + load', async () => {
    const un = await d.cli(['modules', 'unload', 'scheduler']);
    assert.equal(un.code, 0, un.stderr);
    const ev = JSON.parse((await d.cli(['events', '--json', '--prefix', '/modules/unloaded'])).stdout) as Array<{ message: string }>;
    assert.ok(ev.some((e) => /scheduler.* unloaded \(told .*containers/.test(e.message)), 'the containers module was told: ' + JSON.stringify(ev));
    const ld = await d.cli(['modules', 'load', 'scheduler']);
    assert.equal(ld.code, 0, ld.stderr);

    const status = JSON.parse((await d.cli(['status', '--json'])).stdout) as { node: { allocatable: { memory: number }; allocated: { memory: number } } };
    const free = status.node.allocatable.memory - status.node.allocated.memory;
    // Each asks 60% of what is free: the second fits only by preempting the first.
    const mem = `${Math.floor((free * 0.6) / 2 ** 20)}m`;
    const low = await d.cli(['run', '-d', '--priority', '0', '--memory', mem, '--name', 'low', image, '/bin/sleep', '300']);
    assert.equal(low.code, 0, low.stderr);
    const high = await d.cli(['run', '-d', '--priority', '100', '--memory', mem, '--name', 'high', image, '/bin/sleep', '300']);
    assert.equal(high.code, 0, high.stderr);

    const ps = async () => JSON.parse((await d.cli(['ps', '-a', '--json'])).stdout) as Array<{ name: string; state: string }>;
    const victim = await until('the preempted container to stop', async () => {
      const c = (await ps()).find((x) => x.name === 'low');
      return c && c.state !== 'running' && c.state !== 'starting' ? c : undefined;
    }, 30_000);
    assert.notEqual(victim.state, 'running');
    assert.equal((await ps()).find((x) => x.name === 'high')?.state, 'running');
  });
});
