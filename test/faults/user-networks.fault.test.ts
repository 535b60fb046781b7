// Crash consistency of user networks, with a real daemon, runc, CNI, dnsmasq and iptables. One
// traced run of `network create`, `run --network`, `network connect`, `rm -f`, `network rm` lists
// every step that creates or removes a host resource of a user network (faultPoint
// 'network.user.*'); then, for N = 1..last, a daemon is SIGKILLed at step N, booted again, and
// checked: an acknowledged network is still there and works (its DNS answers), a removed one is
// not back, and once everything is removed nothing is left (claim, bridge, rules, DNS records,
// dnsmasq, netns, leases). Also: a SIGKILLed daemon's DNS records are rewritten by its next start.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { UserNetworkInfo } from '../../src/contracts/user-networks.js';
import { daemonTag } from '../../src/modules/network/cni-network.js';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { assertNoLeaks, listLeaks } from '../support/leaks.js';
import { registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { faultFixture, faultTeardown, killAt, killPoints, traceSteps } from '../support/fault-steps.js';
import { until } from '../support/until.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : !existsSync('/usr/sbin/runc') || !existsSync('/usr/sbin/dnsmasq') ? 'runc/dnsmasq missing' : registrySkipReason();
const scope = 'network.user.';

interface Acked {
  created?: boolean;
  ctr?: string;
  connected?: boolean;
  removeAsked?: boolean;
  removed?: boolean;
}

async function lifecycle(d: TestDaemon, image: string, a: Acked): Promise<void> {
  if ((await d.cli(['network', 'create', 'fnet'])).code !== 0) return;
  a.created = true;
  const r = await d.cli(['run', '-d', '--name', 'fctr', '--network', 'fnet', image, '/bin/sleep', '300'], { timeoutMs: 60_000 });
  if (r.code !== 0) return;
  a.ctr = r.stdout.trim();
  const r2 = await d.cli(['run', '-d', '--name', 'fpeer', image, '/bin/sleep', '300'], { timeoutMs: 60_000 });
  if (r2.code !== 0) return;
  if ((await d.cli(['network', 'connect', 'fnet', 'fpeer'])).code !== 0) return;
  a.connected = true;
  if ((await d.cli(['rm', '-f', 'fctr', 'fpeer'])).code !== 0) return;
  a.removeAsked = true;
  if ((await d.cli(['network', 'rm', 'fnet'])).code !== 0) return;
  a.removed = true;
}

describe('user network faults', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let image: string;
  let dataDir: string;
  let d: TestDaemon | undefined;

  before(async () => {
    reg = await startRegistry();
    ({ image, dataDir } = await faultFixture(reg, 'net'));
  });
  after(async () => {
    await reg?.stop();
    await faultTeardown(d, dataDir, (x) => x.cli(['network', 'prune']));
  });

  test('SIGKILL of the daemon at every step of a user network\'s life: nothing acknowledged is lost, a restart cleans up', { timeout: 30 * 60_000 }, async () => {
    const steps = await traceSteps(dataDir, scope, async (x) => {
      const acked: Acked = {};
      await lifecycle(x, image, acked);
      return !!acked.removed;
    });
    assert.ok(steps.length >= 8, `steps traced: ${steps.join(', ')}`);
    const failures: string[] = [];
    // By default (npm test's budget: each point is two daemon boots) the record write right after
    // the first CNI ADD (where a crash leaked the ADD's nat rules and lease), the bridge's creation
    // and its removal.
    const points = killPoints(steps, [steps.indexOf('network.user.cni-add') + 2, steps.indexOf('network.user.bridge-add') + 1, steps.indexOf('network.user.bridge-del') + 1]);
    for (const n of points) {
      const step = steps[n - 1]!;
      const a: Acked = {};
      d = await killAt(dataDir, scope, n, step, (x) => lifecycle(x, image, a));
      const net = await d.api<UserNetworkInfo>('GET', '/v1/networks/fnet');
      if (a.created && !a.removeAsked && net.status !== 200) failures.push(`step ${n} ${step}: acknowledged network is gone`);
      if (a.removed && net.status === 200) failures.push(`step ${n} ${step}: removed network is back`);
      if (net.status === 200) {
        // A network that survived works: a new container on it resolves a peer by name.
        await d.removeContainers();
        const s = await d.cli(['run', '-d', '--name', 'probe', '--network', 'fnet', image, '/bin/sleep', '300']);
        const p2 = await d.cli(['run', '-d', '--name', 'probe2', '--network', 'fnet', image, '/bin/sleep', '300']);
        if (s.code !== 0 || p2.code !== 0) failures.push(`step ${n} ${step}: run on the surviving network: ${s.stderr.trim()} ${p2.stderr.trim()}`);
        else {
          const ok = await until('probe resolves probe2', async () => /Name:[\s\S]*Address/.test((await d!.cli(['exec', 'probe', 'nslookup', 'probe2'])).stdout), 10_000).catch(() => false);
          if (!ok) failures.push(`step ${n} ${step}: names do not resolve on the surviving network`);
        }
      }
      await d.removeContainers();
      if (net.status === 200) {
        const r = await d.cli(['network', 'rm', 'fnet']);
        if (r.code !== 0) failures.push(`step ${n} ${step}: network rm: ${r.stderr.trim()}`);
      }
      const leaks = await listLeaks(dataDir);
      if (leaks.length) failures.push(`step ${n} ${step}: leaks after rm: ${leaks.join('; ')}`);
      await d.stop({ keepData: true });
      d = undefined;
    }
    console.log(`user network fault suite: ${points.length} of ${steps.length} kill points (${steps.join(', ')})`);
    assert.deepEqual(failures, []);
  });

  test('a SIGKILLed daemon\'s DNS records and dnsmasq are made current by its next start', { timeout: 120_000 }, async () => {
    d = await startDaemon({ dataDir });
    assert.equal((await d.cli(['network', 'create', 'knet'])).code, 0);
    assert.equal((await d.cli(['run', '-d', '--name', 'k1', '--network', 'knet', image, '/bin/sleep', '300'])).code, 0);
    const bridge = (await d.api<UserNetworkInfo>('GET', '/v1/networks/knet')).body.bridge;
    const dir = `/run/llmos/dns/${bridge}`;
    const hostsFile = path.join(dir, 'hosts.d', daemonTag(dataDir));
    await d.kill();
    // While the daemon is dead its dnsmasq dies too and its records go stale.
    process.kill(Number((await readFile(path.join(dir, 'dnsmasq.pid'), 'utf8')).trim()), 'SIGKILL');
    await writeFile(hostsFile, (await readFile(hostsFile, 'utf8')) + '10.90.250.250 ghost\n');
    d = await startDaemon({ dataDir });
    await until('records rewritten', async () => !(await readFile(hostsFile, 'utf8')).includes('ghost') && (await readFile(hostsFile, 'utf8')).includes('k1'), 10_000);
    assert.equal((await d.cli(['run', '-d', '--name', 'k2', '--network', 'knet', image, '/bin/sleep', '300'])).code, 0);
    await until('k2 resolves k1 through a restarted dnsmasq', async () => /Name:[\s\S]*Address/.test((await d!.cli(['exec', 'k2', 'nslookup', 'k1'])).stdout), 10_000);
    await d.removeContainers();
    assert.equal((await d.cli(['network', 'rm', 'knet'])).code, 0);
    assert.ok(!existsSync(dir), 'the network\'s DNS directory is gone');
    await d.stop({ keepData: true });
    d = undefined;
    await assertNoLeaks(dataDir);
  });
});
