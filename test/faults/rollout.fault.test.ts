// Crash consistency of a rolling update (issue 13, fault injection): a real 2-replica busybox httpd
// service is updated back and forth between two images while the daemon is SIGKILLed at step N of
// the rollout (faultPoint('services.rollout.*'), N = 1..last, counted by a traced run). After a
// boot without faults the service must converge: all replicas of one template with the right
// count, the new one if the update was acknowledged, the rollout finished, and no orphaned
// replica container left, neither in LLMOS's records nor in runc.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { untilNoLeaks } from '../support/leaks.js';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { freePort, pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';
import type { ServiceStatus } from '../../src/modules/services/types.js';

const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : false);
const SCOPE = 'services.rollout.';
const httpd = ['/bin/sh', '-c', 'mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 80 -h /www'];

/** The runc state dir the containers module uses under the data dir (<data>/<module uri>/runc). */
function runcRoot(dataDir: string): string | undefined {
  for (const e of readdirSync(dataDir)) {
    const p = path.join(dataDir, e, 'runc');
    if (existsSync(p)) return p;
  }
  return undefined;
}

describe('rollout: SIGKILL at every step, then boot', { skip, concurrency: false, timeout: 30 * 60_000 }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let images: [string, string];
  let port: number;
  const trace = path.join(os.tmpdir(), `llmos-rollout-trace-${process.pid}`);

  const inspect = async (): Promise<ServiceStatus> => {
    const r = await d.api<ServiceStatus>('GET', '/v1/services/web');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  /** Two ready replicas of the recorded template, no rollout in progress, nothing else owned by the service. */
  const converged = () =>
    until(
      'web to converge on 2 ready replicas of one template',
      async () => {
        const s = await inspect();
        const ok = s.rollout?.phase !== 'progressing' && s.readyReplicas === 2 && s.replicaStatus.length === 2 && s.replicaStatus.every((r) => r.ready && r.templateHash === s.templateHash);
        return ok && s;
      },
      120_000,
    );
  const restart = async (env: Record<string, string> = {}) => {
    await d.kill();
    d = await startDaemon({ dataDir: d.dataDir, env });
  };

  before(async () => {
    reg = await startRegistry();
    images = [(await pushBusyboxImage(reg, 'fault/busybox', { tag: '1' })).ref, (await pushBusyboxImage(reg, 'fault/busybox', { tag: '2', labels: { version: '2' } })).ref];
    port = await freePort();
    d = await startDaemon();
    const r = await d.cli(['service', 'create', 'web', '--image', images[0], '--replicas', '2', '-p', `${port}:80`, '--health-http', '/', '--health-interval', '1', '--', ...httpd]);
    assert.equal(r.code, 0, r.stderr);
    await converged();
  });

  after(async () => {
    rmSync(trace, { force: true });
    if (d) {
      if (d.proc.exitCode !== null || d.proc.signalCode !== null) d = await startDaemon({ dataDir: d.dataDir });
      await d.cli(['service', 'rm', 'web']);
      const ps = await d.cli(['ps', '-a', '-q']);
      for (const id of ps.stdout.split('\n').filter(Boolean)) await d.cli(['rm', '-f', id]);
      await untilNoLeaks(d.dataDir);
      await d.stop();
    }
    await reg?.stop();
  });

  test('the service converges after a kill at each rollout step, with no orphaned replica', async (t) => {
    // 1. A traced rollout counts the steps.
    rmSync(trace, { force: true });
    await restart({ LLMOS_FAULT_TRACE: trace, LLMOS_FAULT_SCOPE: SCOPE });
    await converged();
    assert.equal((await d.api('POST', '/v1/services/web/update', { image: images[1] })).status, 200);
    const s0 = await converged();
    assert.equal(s0.spec.template.image, images[1]);
    const steps = readFileSync(trace, 'utf8').trim().split('\n');
    t.diagnostic(`${steps.length} rollout steps: ${steps.map((x) => x.slice(SCOPE.length)).join(', ')}`);
    for (const want of ['record-spec', 'create-replica', 'health-check-passed', 'switch', 'stop-old-replica', 'remove-old-replica', 'record-complete']) assert.ok(steps.includes(SCOPE + want), `step ${want} was traced`);

    // 2. Kill at each step N, boot without faults, check.
    const outcomes: string[] = [];
    for (let n = 1; n <= steps.length; n++) {
      const from = (await inspect()).spec.template.image;
      const target = from === images[0] ? images[1] : images[0];
      await restart({ LLMOS_FAULT_SCOPE: SCOPE, LLMOS_FAULT_KILL_AT: String(n) });
      await converged();
      const ack = await d.api('POST', '/v1/services/web/update', { image: target }).then((r) => r.status === 200, () => false);
      // The kill comes at step n (timing may make a run take fewer steps: then it just completes).
      const killed = await until('the daemon to be killed at the step, or the rollout to finish', async () => {
        if (d.proc.signalCode === 'SIGKILL') return 'killed';
        const s = await inspect().catch(() => undefined);
        return s && s.spec.template.image === target && s.rollout?.phase !== 'progressing' && s.readyReplicas === 2 ? 'finished' : false;
      }, 120_000);
      d = await startDaemon({ dataDir: d.dataDir });
      const s = await converged();
      if (ack) assert.equal(s.spec.template.image, target, `step ${n} (${steps[n - 1]}): an acknowledged update survived`);
      assert.ok(images.includes(s.spec.template.image));
      assert.ok(s.replicaStatus.every((r) => r.image === s.spec.template.image), `step ${n}: every replica runs ${s.spec.template.image}`);
      if (s.spec.template.image === target) assert.equal(s.rollout?.phase, 'complete', `step ${n}: the rollout finished`);
      // No orphans: the containers module holds exactly the two replicas, and runc runs exactly those.
      const ps = await d.api<{ containers: Array<{ id: string; owner?: string }> }>('GET', '/v1/containers?all=true');
      const owned = ps.body.containers.filter((c) => c.owner === 'service/web').map((c) => c.id).sort();
      assert.deepEqual(owned, s.replicaStatus.map((r) => r.id).sort(), `step ${n}: no orphaned replica record`);
      const root = runcRoot(d.dataDir);
      if (root) {
        const runc = execFileSync('/usr/sbin/runc', ['--root', root, 'list', '-q'], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
        assert.deepEqual(runc, owned, `step ${n}: runc runs only the replicas`);
      }
      outcomes.push(`${n}:${steps[n - 1]!.slice(SCOPE.length)}=${killed}${ack ? '' : ' (unacknowledged)'}->${s.spec.template.image === target ? 'new' : 'old'}`);
    }
    t.diagnostic(outcomes.join('; '));
  });
});
