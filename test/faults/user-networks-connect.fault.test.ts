// Crash consistency of `network connect` / `disconnect`, running and stopped, with a real daemon,
// runc, CNI, dnsmasq and iptables. One traced run lists every step of the user-network part
// (faultPoint 'network.user.*': the recorded connection of a stopped container, CNI ADD/DEL of a
// connection at connect, start, stop and disconnect); then for each kill point a daemon is
// SIGKILLed there, booted again and checked: an acknowledged connection that was not disconnected
// is plugged at the container's next start, and once everything is removed nothing is left.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { TestDaemon } from '../support/daemon.js';
import { listLeaks } from '../support/leaks.js';
import { registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { faultFixture, faultTeardown, killAt, killPoints, traceSteps } from '../support/fault-steps.js';
import { until } from '../support/until.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : !existsSync('/usr/sbin/runc') || !existsSync('/usr/sbin/dnsmasq') ? 'runc/dnsmasq missing' : registrySkipReason();
const scope = 'network.user.';

/** What the CLI acknowledged: whether the last acknowledged connect/disconnect left fpeer connected. */
interface Acked {
  ready?: boolean;
  connected?: boolean;
  /** A connect or disconnect was asked and not answered: either outcome is right. */
  inFlight?: boolean;
  done?: boolean;
}

async function lifecycle(d: TestDaemon, image: string, a: Acked): Promise<void> {
  const ok = async (...args: string[]) => (await d.cli(args, { timeoutMs: 60_000 })).code === 0;
  const change = async (connected: boolean, ...args: string[]) => {
    a.inFlight = true;
    if (!(await ok(...args))) return false;
    a.inFlight = false;
    a.connected = connected;
    return true;
  };
  if (!(await ok('network', 'create', 'cnet'))) return;
  if (!(await ok('run', '-d', '--name', 'fpeer', image, '/bin/sleep', '300'))) return;
  a.ready = true;
  if (!(await change(true, 'network', 'connect', 'cnet', 'fpeer'))) return; // running: plugged now
  if (!(await change(false, 'network', 'disconnect', 'cnet', 'fpeer'))) return;
  if (!(await ok('stop', '-t', '0', 'fpeer'))) return;
  if (!(await change(true, 'network', 'connect', '--alias', 'fp', 'cnet', 'fpeer'))) return; // stopped: recorded
  if (!(await ok('start', 'fpeer'))) return; // plugged at start
  if (!(await ok('stop', '-t', '0', 'fpeer'))) return; // unplugged, kept
  if (!(await change(false, 'network', 'disconnect', 'cnet', 'fpeer'))) return; // stopped: record dropped
  if (!(await ok('rm', '-f', 'fpeer'))) return;
  if (!(await ok('network', 'rm', 'cnet'))) return;
  a.done = true;
}

describe('user network connect/disconnect faults', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let image: string;
  let dataDir: string;
  let d: TestDaemon | undefined;

  before(async () => {
    reg = await startRegistry();
    ({ image, dataDir } = await faultFixture(reg, 'conn'));
  });
  after(async () => {
    await reg?.stop();
    await faultTeardown(d, dataDir, (x) => x.cli(['network', 'prune']));
  });

  test('SIGKILL at every step of connect/disconnect: an acknowledged connection is kept, nothing leaks', { timeout: 30 * 60_000 }, async () => {
    const steps = await traceSteps(dataDir, scope, async (x) => {
      const acked: Acked = {};
      await lifecycle(x, image, acked);
      return !!acked.done;
    });
    for (const s of ['network.user.connect-record', 'network.user.disconnect-record', 'network.user.cni-add', 'network.user.cni-del']) assert.ok(steps.includes(s), `${s} traced: ${steps.join(', ')}`);
    // By default (npm test's budget: two daemon boots a point) the connection recorded while
    // stopped, its plug at start and the dropped record.
    const at = (name: string, nth = 1) => steps.reduce<number[]>((acc, s, i) => (s === name ? [...acc, i + 1] : acc), [])[nth - 1] ?? 0;
    const points = killPoints(steps, [at('network.user.connect-record') + 1, at('network.user.cni-add', 2), at('network.user.disconnect-record')]);
    const failures: string[] = [];
    for (const n of points) {
      const step = steps[n - 1]!;
      const a: Acked = {};
      d = await killAt(dataDir, scope, n, step, (x) => lifecycle(x, image, a));
      const dd = d;
      if (a.ready && !a.inFlight && (await dd.cli(['inspect', 'fpeer'])).code === 0) {
        // Whatever state the crash left it in: stopped, then started, it is on cnet iff the last acknowledged call said so.
        await dd.cli(['stop', '-t', '0', 'fpeer']);
        const st = await dd.cli(['start', 'fpeer']);
        if (st.code !== 0) failures.push(`step ${n} ${step}: start after the crash: ${st.stderr.trim()}`);
        else {
          const onNet = async () => /eth1/.test((await dd.cli(['exec', 'fpeer', 'ip', 'link'])).stdout);
          if (a.connected && !(await until('fpeer plugged into cnet', onNet, 10_000).catch(() => false))) failures.push(`step ${n} ${step}: an acknowledged connection was lost`);
          if (!a.connected && (await onNet())) failures.push(`step ${n} ${step}: an acknowledged disconnect came back`);
        }
      }
      await dd.removeContainers();
      if ((await dd.api('GET', '/v1/networks/cnet')).status === 200) {
        const r = await dd.cli(['network', 'rm', 'cnet']);
        if (r.code !== 0) failures.push(`step ${n} ${step}: network rm: ${r.stderr.trim()}`);
      }
      const leaks = await listLeaks(dataDir);
      if (leaks.length) failures.push(`step ${n} ${step}: leaks after rm: ${leaks.join('; ')}`);
      await dd.stop({ keepData: true });
      d = undefined;
    }
    console.log(`user network connect fault suite: ${points.length} of ${steps.length} kill points (${steps.join(', ')})`);
    assert.deepEqual(failures, []);
  });
});
