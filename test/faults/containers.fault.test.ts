// Crash consistency of the container life cycle (issue 13 finding 7), with a real daemon, registry,
// runc, conmon and CNI. One traced run of `run -d -p`, `stop`, `rm` lists every step that creates
// or removes a host resource (faultPoint); then, for N = 1..last, a daemon is SIGKILLed at step N,
// booted again, and checked: what was acknowledged is not lost, nothing is stuck, and once the
// container is removed nothing of the daemon is left on the host. Also: kill -9 of conmon, and a
// removed runc state dir, through the daemon.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerInfo } from '../../src/contracts/containers.js';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { listLeaks } from '../support/leaks.js';
import { freePort, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { faultFixture, faultTeardown, killAt, killPoints, traceSteps } from '../support/fault-steps.js';
import { until } from '../support/until.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : !existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : registrySkipReason();
const scope = 'containers.';

interface Acked {
  id?: string;
  stopped?: boolean;
  /** rm was sent: from then on the container may be gone (a removal begun is finished at boot). */
  removeAsked?: boolean;
  removed?: boolean;
}

/** run -d -p, stop, rm; records what each acknowledged, and stops at the first failure (the daemon died). */
async function lifecycle(d: TestDaemon, image: string, acked: Acked): Promise<void> {
  const port = await freePort();
  const r = await d.cli(['run', '-d', '-p', `${port}:80`, image, '/bin/sleep', '300'], { timeoutMs: 60_000 });
  if (r.code !== 0) return;
  acked.id = r.stdout.trim();
  if ((await d.cli(['stop', '-t', '0', acked.id])).code !== 0) return;
  acked.stopped = true;
  acked.removeAsked = true;
  if ((await d.cli(['rm', acked.id])).code !== 0) return;
  acked.removed = true;
}

async function inspect(d: TestDaemon, id: string): Promise<ContainerInfo | undefined> {
  const r = await d.api<ContainerInfo>('GET', `/v1/containers/${id}`);
  return r.status === 200 ? r.body : undefined;
}

describe('container faults', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let image: string;
  let dataDir: string;
  let d: TestDaemon | undefined;

  before(async () => {
    reg = await startRegistry();
    ({ image, dataDir } = await faultFixture(reg, 'ctr'));
  });
  after(async () => {
    await reg?.stop();
    await faultTeardown(d, dataDir);
  });

  test('SIGKILL of the daemon at every step of run -d -p, stop and rm: nothing acknowledged is lost, nothing leaks', { timeout: 30 * 60_000 }, async () => {
    const steps = await traceSteps(dataDir, scope, async (x) => {
      const acked: Acked = {};
      await lifecycle(x, image, acked);
      return !!acked.removed;
    });
    assert.ok(steps.length >= 10, `steps traced: ${steps.join(', ')}`);
    const failures: string[] = [];
    for (const n of killPoints(steps)) {
      const step = steps[n - 1]!;
      const a: Acked = {};
      d = await killAt(dataDir, scope, n, step, (x) => lifecycle(x, image, a));
      const list = (await d.api<{ containers: ContainerInfo[] }>('GET', '/v1/containers?all=true')).body.containers;
      const c = a.id ? await inspect(d, a.id) : undefined;
      if (a.id && !a.removeAsked && !c) failures.push(`step ${n} ${step}: acknowledged container ${a.id} is gone`);
      if (a.removed && c) failures.push(`step ${n} ${step}: removed container ${a.id} is back`);
      if (a.stopped && c && c.state !== 'exited') failures.push(`step ${n} ${step}: stopped container is ${c.state}`);
      for (const x of list) if (['starting', 'stopping'].includes(x.state)) failures.push(`step ${n} ${step}: container ${x.id} stuck ${x.state}`);
      for (const x of list) {
        const r = await d.cli(['rm', '-f', x.id], { timeoutMs: 60_000 });
        if (r.code !== 0) failures.push(`step ${n} ${step}: rm -f ${x.id}: ${r.stderr.trim()}`);
      }
      const leaks = await listLeaks(dataDir);
      if (leaks.length) failures.push(`step ${n} ${step}: leaks after rm: ${leaks.join('; ')}`);
      await d.stop({ keepData: true });
      d = undefined;
    }
    console.log(`containers fault suite: ${steps.length} kill points (${steps.join(', ')})`);
    assert.deepEqual(failures, []);
  });

  test('kill -9 of conmon: stop and rm -f finish within a deadline; the container is exited with a reason', { timeout: 120_000 }, async () => {
    d = await startDaemon({ dataDir });
    const r = await d.cli(['run', '-d', image, '/bin/sleep', '300']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    const modDir = path.join(dataDir, 'modules');
    const conmonPidFile = readdirSync(modDir).map((m) => path.join(modDir, m, 'containers', id, 'conmon.pid')).find((f) => existsSync(f))!;
    process.kill(Number((await readFile(conmonPidFile, 'utf8')).trim()), 'SIGKILL');
    const t0 = Date.now();
    const s = await d.cli(['stop', id], { timeoutMs: 30_000 });
    assert.equal(s.code, 0, s.stderr);
    assert.ok(Date.now() - t0 < 25_000, 'stop returned within its deadline');
    const info = (await inspect(d, id))!;
    assert.equal(info.state, 'exited');
    assert.match(info.reason ?? '', /supervisor \(conmon\) died/);
    const second = await d.cli(['run', '-d', image, '/bin/sleep', '300']);
    const id2 = second.stdout.trim();
    const pidFile2 = conmonPidFile.replace(id, id2);
    await until('conmon pid file', async () => existsSync(pidFile2));
    process.kill(Number((await readFile(pidFile2, 'utf8')).trim()), 'SIGKILL');
    const rmf = await d.cli(['rm', '-f', id2, id], { timeoutMs: 30_000 });
    assert.equal(rmf.code, 0, rmf.stderr);
    assert.deepEqual(await listLeaks(dataDir), []);
    await d.stop({ keepData: true });
    d = undefined;
  });

  test('runc state dir removed: after a restart the process, conmon and cgroup are gone', { timeout: 120_000 }, async () => {
    d = await startDaemon({ dataDir });
    const r = await d.cli(['run', '-d', image, '/bin/sleep', '300']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    const pid = (await inspect(d, id))!.pid!;
    await d.kill();
    const modDir = path.join(dataDir, 'modules');
    for (const m of readdirSync(modDir)) await rm(path.join(modDir, m, 'runc', id), { recursive: true, force: true });
    d = await startDaemon({ dataDir });
    const info = (await inspect(d, id))!;
    assert.equal(info.state, 'exited');
    assert.match(info.reason ?? '', /runc lost its state/);
    assert.ok(!existsSync(`/proc/${pid}`) || /\) [ZX] /.test(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ') X ')), 'container process gone');
    const left = (await listLeaks(dataDir)).filter((l) => l.startsWith('process') || (l.startsWith('cgroup') && l.includes(id)));
    assert.deepEqual(left, [], 'no process or cgroup of it is left');
    assert.equal((await d.cli(['rm', id])).code, 0);
    assert.deepEqual(await listLeaks(dataDir), []);
    await d.stop({ keepData: true });
    d = undefined;
  });
});
