// Crash consistency of `cp` (issue 17): a copy freezes a running container (so its processes
// cannot swap a checked path for a link), and a daemon SIGKILLed while it holds the freeze must not
// leave the container frozen. One traced run of `cp` both ways lists the copy's steps
// (faultPoint containers.cp.*); then for each step a daemon is killed there, booted again, and the
// container must be running, thawed (its freezer cgroup THAWED, an exec answers), and removable
// with nothing left on the host.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerInfo } from '../../src/contracts/containers.js';
import { daemonTag } from '../../src/kernel/daemon-tag.js';
import type { TestDaemon } from '../support/daemon.js';
import { faultFixture, faultTeardown, killAt, killPoints, traceSteps } from '../support/fault-steps.js';
import { listLeaks } from '../support/leaks.js';
import { registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : !existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : registrySkipReason();
const scope = 'containers.cp.';

/** The freezer state of a container's cgroup (cgroup v1: /llmos/<daemon tag>/<id>), or undefined where there is none to read. */
async function freezerState(id: string, dataDir: string): Promise<string | undefined> {
  const s = await readFile(`/sys/fs/cgroup/freezer/llmos/${daemonTag(dataDir)}/${id}/freezer.state`, 'utf8').catch(() => undefined);
  return s?.trim();
}

describe('cp faults', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let image: string;
  let dataDir: string;
  let d: TestDaemon | undefined;
  let hostFile: string;

  /** A running container, then cp out and cp in; stops at the first failure (the daemon died). */
  async function copies(t: TestDaemon): Promise<string | undefined> {
    const r = await t.cli(['run', '-d', image, '/bin/sleep', '300']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    if ((await t.cli(['cp', `${id}:/etc/passwd`, path.join(dataDir, '..', `${path.basename(dataDir)}-out`)])).code !== 0) return id;
    await t.cli(['cp', hostFile, `${id}:/tmp/`]);
    return id;
  }

  before(async () => {
    reg = await startRegistry();
    ({ image, dataDir } = await faultFixture(reg, 'cp'));
    hostFile = `${dataDir}-in.txt`;
    await writeFile(hostFile, 'copied in\n');
  });
  after(async () => {
    await reg?.stop();
    await rm(hostFile, { force: true });
    await rm(`${dataDir}-out`, { force: true });
    await faultTeardown(d, dataDir);
  });

  test('SIGKILL of the daemon at every step of cp (both ways) while the container is frozen: the next boot thaws it', { timeout: 10 * 60_000 }, async () => {
    const steps = await traceSteps(dataDir, scope, async (x) => {
      const first = await copies(x);
      const inside = await x.cli(['exec', first!, 'cat', `/tmp/${path.basename(hostFile)}`]);
      assert.equal(inside.stdout, 'copied in\n', 'the traced run copies the file in');
      await x.removeContainers();
      return true;
    });
    // Each direction: record the freeze, freeze, thaw, drop the record.
    assert.deepEqual(steps, ['containers.cp.record', 'containers.cp.freeze', 'containers.cp.thaw', 'containers.cp.record-done', 'containers.cp.record', 'containers.cp.freeze', 'containers.cp.thaw', 'containers.cp.record-done']);
    const failures: string[] = [];
    for (const n of killPoints(steps)) {
      const step = steps[n - 1]!;
      let id: string | undefined;
      d = await killAt(dataDir, scope, n, step, async (x) => {
        id = await copies(x).catch(() => undefined);
      });
      assert.ok(id, `step ${n}: the container was created before the copy`);
      const r = await d.api<ContainerInfo>('GET', `/v1/containers/${id}`);
      if (r.status !== 200 || r.body.state !== 'running') failures.push(`step ${n} ${step}: the container is ${r.status === 200 ? r.body.state : `missing (${r.status})`} after the restart${r.status === 200 && r.body.reason ? `: ${r.body.reason}` : ''}`);
      else {
        const fz = await freezerState(id!, dataDir);
        if (fz !== undefined && fz !== 'THAWED') failures.push(`step ${n} ${step}: freezer.state is ${fz}`);
        const ex = await d.cli(['exec', id!, 'echo', 'thawed'], { timeoutMs: 15_000 });
        if (ex.code !== 0 || ex.stdout.trim() !== 'thawed') failures.push(`step ${n} ${step}: exec in the container: ${ex.code} ${ex.stderr.trim()}`);
      }
      const rmf = await d.cli(['rm', '-f', id!], { timeoutMs: 60_000 });
      if (rmf.code !== 0) failures.push(`step ${n} ${step}: rm -f: ${rmf.stderr.trim()}`);
      const leaks = await listLeaks(dataDir);
      if (leaks.length) failures.push(`step ${n} ${step}: leaks after rm: ${leaks.join('; ')}`);
      await d.stop({ keepData: true });
      d = undefined;
    }
    assert.deepEqual(failures, []);
  });
});
