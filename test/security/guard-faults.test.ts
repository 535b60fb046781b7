// The bridge guard under faults: a daemon SIGKILLed at the guard's install step (faultPoint
// network.guard.install) boots fine afterwards with the guard in place; a SIGKILLed daemon
// leaves the guard standing (fail closed) for the containers that outlive it, and the clean stop
// after the last container went removes it.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { guardInstalled } from '../../src/modules/network/guard.js';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { poolEntries } from '../support/leaks.js';
import { until } from '../support/until.js';
import { buildProbeRootfs, importProbeImage, probeSkipReason, removeDir } from './probe-image.js';

const run = promisify(execFile);
const skip = probeSkipReason();
const bridge = 'llmosf0';
const cniName = 'llmosf';

describe('bridge guard under faults', { skip }, () => {
  let dataDir: string;
  let d: TestDaemon | undefined;

  after(async () => {
    if (d) {
      await d.cli(['rm', '-f', 'survivor']);
      await d.stop();
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    await run('ip', ['link', 'del', bridge]).catch(() => undefined);
    await rm(path.join('/var/lib/cni/networks', cniName), { recursive: true, force: true });
  });

  test('killed at the install step, then booted: the guard is there; a killed daemon leaves it for its running container; a clean stop on an empty bridge removes it', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-guardfault-'));
    await writeFile(path.join(dataDir, 'config.json'), JSON.stringify({ modules: { network: { bridge, subnet: '10.231.9.0/24', name: cniName } } }));
    const trace = path.join(dataDir, 'fault-trace');
    await assert.rejects(startDaemon({ dataDir, env: { LLMOS_FAULT_SCOPE: 'network.guard', LLMOS_FAULT_KILL_AT: '1', LLMOS_FAULT_TRACE: trace } }), /daemon exited/);
    assert.equal((await readFile(trace, 'utf8')).trim(), 'network.guard.install');
    assert.equal(await guardInstalled(bridge), false, 'killed before the step ran');
    d = await startDaemon({ dataDir });
    assert.ok(await guardInstalled(bridge), 'the next boot installs it');
    const built = await buildProbeRootfs();
    try {
      const image = await importProbeImage(d, built.tar);
      const r = await d.cli(['run', '-d', '--name', 'survivor', image, 'sleep', '600']);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await removeDir(built.dir);
    }
    await d.kill();
    assert.ok(await guardInstalled(bridge), 'SIGKILL leaves the guard standing for the container that outlives the daemon');
    d = await startDaemon({ dataDir });
    assert.ok(await guardInstalled(bridge));
    const ps = await d.cli(['ps']);
    assert.match(ps.stdout, /survivor/, 'adopted');
    assert.equal((await d.cli(['rm', '-f', 'survivor'])).code, 0);
    // Only the network namespace pool's free entries stay plugged in (they go at stop).
    await until('the bridge has no container ports', async () => (await readdir(`/sys/class/net/${bridge}/brif`).catch(() => [])).length === (await poolEntries(dataDir)).length, 20_000, 100);
    await d.stop({ keepData: true });
    d = undefined;
    assert.equal(await guardInstalled(bridge), false, 'a clean stop with an empty bridge removes it');
  });
});
