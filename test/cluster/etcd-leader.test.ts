// Two LLMOS servers on one etcd (issue 20): both serve the API, exactly one (the holder of the
// etcd lease) runs the controllers, so a service created through either is placed once, by the
// leader. SIGKILL the leader: the other takes over within the lease TTL and brings the service
// to its replicas, placing nothing twice; the old leader, started again, follows.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { startEtcd, type TestEtcd } from '../support/etcd.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { listLeaks, untilNoLeaks } from '../support/leaks.js';
import { until } from '../support/until.js';
import type { ModuleStatus } from '../../src/contracts/system.js';
import type { ServiceStatus } from '../../src/contracts/services.js';

const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : !existsSync('/usr/bin/etcd') ? 'etcd-server missing' : false);
const ttlSeconds = 3;
const sleepCmd = ['/bin/sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'];

interface Leadership {
  self: string;
  leader: string | null;
  isLeader: boolean;
}

async function leadership(d: TestDaemon): Promise<Leadership> {
  const r = await d.api<{ modules: ModuleStatus[] }>('GET', '/v1/modules');
  const m = r.body.modules.find((x) => x.name === 'leader');
  if (!m) throw new Error(`no leader module: ${JSON.stringify(r.body)}`);
  return m.exports as unknown as Leadership;
}

type Replica = { id: string; owner?: string; state: string; createdAt: string };
const replicasOn = async (d: TestDaemon): Promise<Replica[]> =>
  (await d.api<{ containers: Replica[] }>('GET', '/v1/containers?all=true')).body.containers.filter((c) => c.owner === 'service/lead');

describe('two servers on one etcd', { skip, concurrency: false }, () => {
  let etcd: TestEtcd;
  let reg: TestRegistry;
  const dirs: string[] = [];
  const daemons: TestDaemon[] = [];
  let store: string;
  const server = async (dir?: string): Promise<TestDaemon> => {
    if (!dir) {
      dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-lead-'));
      dirs.push(dir);
      await writeFile(path.join(dir, 'config.json'), JSON.stringify({ modules: { leader: { ttlSeconds } } }));
    }
    const d = await startDaemon({ dataDir: dir, args: ['--store', store] });
    daemons.push(d);
    return d;
  };
  before(async () => {
    etcd = await startEtcd(1);
    reg = await startRegistry();
    store = `etcd://${etcd.endpoints.map((e) => new URL(e).host).join(',')}`;
  });
  after(async () => {
    const alive = (d: TestDaemon) => d.proc.exitCode === null && d.proc.signalCode === null;
    // A server killed by the test left its replicas running: start it again to remove them.
    for (const dir of dirs) if (!daemons.some((d) => d.dataDir === dir && alive(d))) await server(dir).catch(() => undefined);
    const live = daemons.filter(alive);
    await live[0]?.cli(['service', 'rm', 'lead']).catch(() => undefined);
    for (const d of live) await d.removeContainers();
    // A server releases its service addresses when, leading, it reconciles the service away: the
    // current leader (first in the list) stops first and resigns, and the last waits until it leads.
    for (const [i, d] of live.entries()) {
      if (i === live.length - 1) await until('the last server leads and released its service address', async () => (await leadership(d)).isLeader && !(await listLeaks(d.dataDir)).some((l) => l.includes('llmos-services')), 20_000, 250).catch(() => undefined);
      await d.stop();
    }
    for (const dir of dirs) await untilNoLeaks(dir).catch((e: Error) => assert.fail(e.message));
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    await reg?.stop();
    await etcd?.stop();
  });

  test('one leader runs the controllers; SIGKILL it and the other takes over within the TTL, placing nothing twice', { timeout: 240_000 }, async (t) => {
    const image = (await pushBusyboxImage(reg, 'test/busybox', { tag: '1' })).ref;
    const dirA = (await server(), dirs[0]!);
    await server();
    const [a0, b0] = daemons as [TestDaemon, TestDaemon];
    // Exactly one leads, and both name the same one.
    const [la, lb] = await until('one leader, seen by both', async () => {
      const l = await Promise.all([leadership(a0), leadership(b0)]);
      return l.filter((x) => x.isLeader).length === 1 && l[0]!.leader && l[0]!.leader === l[1]!.leader ? l : undefined;
    }, 30_000, 200);
    const leader = la!.isLeader ? a0 : b0;
    const follower = la!.isLeader ? b0 : a0;
    assert.notEqual(la!.self, lb!.self);

    // Image records are in the shared store and layers in each server's data dir: each pulls.
    for (const d of [a0, b0]) assert.equal((await d.cli(['pull', image], { timeoutMs: 60_000 })).code, 0);
    // Created through the follower (any server serves the API), placed by the leader only.
    const created = await follower.cli(['service', 'create', 'lead', '--image', image, '--replicas', '2', '--', ...sleepCmd], { timeoutMs: 120_000 });
    assert.equal(created.code, 0, created.stderr);
    await until('the leader runs both replicas', async () => {
      const s = (await leader.api<ServiceStatus>('GET', '/v1/services/lead')).body;
      assert.equal((await replicasOn(follower)).length, 0, 'the follower placed a replica');
      return s.readyReplicas === 2 && (await replicasOn(leader)).filter((c) => c.state === 'running').length === 2;
    }, 120_000, 300);
    assert.equal((await follower.cli(['service', 'ls'])).code, 0);
    assert.equal((await replicasOn(follower)).length, 0);
    assert.equal((await leadership(follower)).isLeader, false);

    // The leader dies without resigning: its lease runs out and the follower takes over.
    await leader.kill();
    const killedAt = Date.now();
    await until('the follower leads', async () => (await leadership(follower)).isLeader, 30_000, 100);
    const tookOverMs = Date.now() - killedAt;
    t.diagnostic(`took over ${tookOverMs} ms after the SIGKILL (lease TTL ${ttlSeconds} s)`);
    // The follower watches the key: within the TTL (from the last keepalive), plus etcd's expiry
    // check (every 500 ms) and the API round trips under load; no poll period any more.
    assert.ok(tookOverMs <= ttlSeconds * 1000 + 1000, `took over after ${tookOverMs} ms (TTL ${ttlSeconds} s)`);
    const placed = await until('the new leader runs the service', async () => {
      const rs = await replicasOn(follower);
      assert.ok(rs.length <= 2, `the new leader placed ${rs.length} replicas`);
      const s = (await follower.api<ServiceStatus>('GET', '/v1/services/lead')).body;
      return s.readyReplicas === 2 && rs.filter((c) => c.state === 'running').length === 2 ? rs : undefined;
    }, 120_000, 300).catch(async (e: Error) => {
      const s = await follower.api('GET', '/v1/services/lead').catch(() => undefined);
      throw new Error(`${e.message}\nservice: ${JSON.stringify(s?.body)}\nreplicas: ${JSON.stringify(await replicasOn(follower).catch(() => []))}\nnew leader log:\n${(await readFile(path.join(follower.dataDir, 'llmos.log'), 'utf8')).split('\n').filter((l) => /servic|reconcil|leader|warn|error/i.test(l)).slice(-60).join('\n')}`);
    });
    for (const c of placed) assert.ok(Date.parse(c.createdAt) >= killedAt - 1000, `replica ${c.id} was placed before the takeover (${c.createdAt})`);
    // Stable: a few reconcile periods later, still exactly two, the same ones.
    await until('three reconcile periods passed', async () => Date.now() - killedAt > tookOverMs + 3000, 10_000, 200);
    assert.deepEqual((await replicasOn(follower)).map((c) => c.id).sort(), placed.map((c) => c.id).sort());

    // The old leader comes back as a follower (the new leader keeps its lease) and places nothing.
    const back = await server(dirA);
    await until('the old leader sees the new one', async () => (await leadership(back)).leader === (await leadership(follower)).self, 30_000, 200);
    assert.equal((await leadership(back)).isLeader, false);
    assert.equal((await leadership(follower)).isLeader, true);
    // Its own old replicas were adopted as they were (it left them running when killed), not added to.
    assert.ok((await replicasOn(back)).length <= 2);
  });
});
