// A daemon on a real 3-member etcd losing members (issue 20), in the spirit of etcd's robustness
// tests: a writer logs every write the API acknowledged while the members go down and come back.
// One member down: a rolling update completes. Two down: writes and reads that need the store answer
// 503 "store unavailable (no quorum)" within 2 s, the replicas keep running and the daemon stays up.
// Both back: every acknowledged write is in the store, read back through the API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { setTimeout as pace } from 'node:timers/promises';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { startEtcd, type TestEtcd } from '../support/etcd.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { untilNoLeaks } from '../support/leaks.js';
import { until } from '../support/until.js';
import type { ServiceStatus } from '../../src/contracts/services.js';

const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : !existsSync('/usr/bin/etcd') ? 'etcd-server missing' : false);
const httpdCmd = ['/bin/sh', '-c', 'mkdir -p /www && echo "replica $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www'];

/** Writes join tokens through the API one after another, logging which the API acknowledged. */
function startWriter(d: TestDaemon) {
  const log: Array<{ description: string; status: number; error?: string }> = [];
  let stopped = false;
  const done = (async () => {
    for (let i = 0; !stopped; i++) {
      const description = `w-${i}`;
      const r = await d.api<{ error?: string }>('POST', '/v1/cluster/tokens', { description, ttlSeconds: 3600 }).catch((e: Error) => ({ status: 0, body: { error: e.message } }));
      log.push({ description, status: r.status, ...(r.body?.error ? { error: r.body.error } : {}) });
      await pace(50); // a steady load, not a wait on a condition
    }
  })();
  return { log, acked: () => log.filter((w) => w.status === 201), stop: async () => ((stopped = true), await done) };
}

/** Index of the etcd member that leads the raft group now. */
async function leaderOf(etcd: TestEtcd): Promise<number> {
  return until('an etcd leader', async () => {
    const st = await Promise.all(etcd.members.map((m) => fetch(`${m.clientUrl}/v3/maintenance/status`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(1000) }).then((r) => r.json() as Promise<{ header?: { member_id?: string }; leader?: string }>, () => undefined)));
    const i = st.findIndex((s) => s?.leader && s.header?.member_id === s.leader);
    return i >= 0 ? i + 1 : undefined;
  }, 10_000, 100).then((i) => i - 1);
}

async function timed<T>(p: Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  const value = await p;
  return { value, ms: Date.now() - t0 };
}

describe('a daemon on etcd losing members', { skip, concurrency: false }, () => {
  let etcd: TestEtcd;
  let reg: TestRegistry;
  let d: TestDaemon | undefined;
  before(async () => {
    etcd = await startEtcd(3);
    reg = await startRegistry();
  });
  after(async () => {
    for (const m of etcd?.members ?? []) if (!m.proc) await m.restart(); // the teardown needs the store
    if (d) {
      await until('the store answers again', async () => (await d!.api('GET', '/v1/services')).status === 200, 60_000, 250).catch(() => undefined);
      await d.cli(['service', 'rm', 'quorum']).catch(() => undefined);
      await d.removeContainers();
      await d.stop();
      await untilNoLeaks(d.dataDir);
    }
    await reg?.stop();
    await etcd?.stop();
  });

  test('1 member down: an update completes; 2 down: 503 within 2 s, replicas run on; back: no acknowledged write lost', { timeout: 240_000 }, async () => {
    const image = (await pushBusyboxImage(reg, 'test/busybox', { tag: '1' })).ref;
    d = await startDaemon({ args: ['--store', `etcd://${etcd.endpoints.map((e) => new URL(e).host).join(',')}`] });
    const created = await d.cli(['service', 'create', 'quorum', '--image', image, '--replicas', '2', '--', ...httpdCmd], { timeoutMs: 120_000 });
    assert.equal(created.code, 0, created.stderr);
    const svc = () => d!.api<ServiceStatus>('GET', '/v1/services/quorum').then((r) => r.body);
    await until('2 replicas ready', async () => (await svc()).readyReplicas === 2, 90_000, 300);
    const writer = startWriter(d);
    let pids: number[];
    try {
      await until('the writer is acknowledged', async () => writer.acked().length >= 3, 30_000, 100);

      // The etcd leader goes, in the middle of a rolling update: the update completes (calls in
      // the second or so of the members' election answer late; the store waits the election out).
      const upd = await d.cli(['service', 'update', 'quorum', '-e', 'ROUND=2', '--no-wait']);
      assert.equal(upd.code, 0, upd.stderr);
      const first = await leaderOf(etcd);
      await etcd.members[first]!.kill();
      let seen: ServiceStatus | undefined;
      const rolled = await until('the rolling update completed', async () => {
        const s = (seen = await svc());
        return s.rollout?.phase === 'complete' && s.readyReplicas === 2 && s.replicaStatus.every((r) => r.templateHash === s.templateHash) ? s : undefined;
      }, 120_000, 300).catch((e: Error) => {
        // What the rollout was doing, and the daemon's last words, say why it stalled.
        throw new Error(`${e.message}\nlast status: ${JSON.stringify(seen)}\ndaemon log (tail):\n${d!.output().slice(-6000)}`);
      });
      assert.equal(rolled.spec.template.env?.ROUND, '2');
      const second = etcd.members.findIndex((m, i) => i !== first && m.proc);
      const { containers } = (await d.api<{ containers: Array<{ id: string; pid?: number; owner?: string; state: string }> }>('GET', '/v1/containers?all=true')).body;
      const replicas = containers.filter((c) => c.owner === 'service/quorum' && c.state === 'running');
      assert.equal(replicas.length, 2, JSON.stringify(containers));
      pids = replicas.map((c) => c.pid!);

      await etcd.members[second]!.kill();
      const before = writer.log.length;
      const write = await timed(d.api<{ error: string }>('POST', '/v1/services/quorum/scale', { replicas: 3 }));
      assert.equal(write.value.status, 503, JSON.stringify(write.value.body));
      assert.match(write.value.body.error, /store unavailable \(no quorum\)/);
      assert.ok(write.ms < 2000, `the write answered after ${write.ms} ms`);
      const read = await timed(d.api<{ error: string }>('GET', '/v1/services/quorum'));
      assert.equal(read.value.status, 503, JSON.stringify(read.value.body));
      assert.match(read.value.body.error, /store unavailable \(no quorum\)/);
      assert.ok(read.ms < 2000, `the read answered after ${read.ms} ms`);
      const cli = await d.cli(['service', 'ls']);
      assert.equal(cli.code, 1);
      assert.match(cli.stderr.trim(), /^llmos: store unavailable \(no quorum\)/);
      await until('the writer met the failure a few times', async () => writer.log.slice(before).filter((w) => w.status === 503).length >= 3, 30_000, 100);
      for (const pid of pids) process.kill(pid, 0); // throws if a replica died
      assert.equal((await fetch(`${d.host}/healthz`)).status, 200);
      assert.equal(d.proc.exitCode, null);

      await etcd.members[first]!.restart();
      await etcd.members[second]!.restart();
      const n = writer.log.length;
      await until('writes are acknowledged again', async () => writer.log.slice(n).filter((w) => w.status === 201).length >= 3, 60_000, 200);
    } finally {
      await writer.stop();
    }
    // Only acknowledgements and the store's 503: never a 500, a hang or a dropped connection.
    const odd = writer.log.filter((w) => w.status !== 201 && !(w.status === 503 && /store unavailable \(no quorum\)/.test(w.error ?? '')));
    assert.deepEqual(odd, []);
    assert.ok(writer.log.some((w) => w.status === 503));
    const listed = await d.api<{ tokens: Array<{ description: string }> }>('GET', '/v1/cluster/tokens');
    assert.equal(listed.status, 200);
    const stored = new Set(listed.body.tokens.map((t) => t.description));
    const lost = writer.acked().filter((w) => !stored.has(w.description));
    assert.deepEqual(lost, [], 'acknowledged writes missing from the store');
    // The replicas ran through it all, and the service is as it was.
    const after = await svc();
    assert.equal(after.spec.replicas, 2);
    assert.equal(after.readyReplicas, 2);
    const now = (await d.api<{ containers: Array<{ pid?: number; owner?: string; state: string }> }>('GET', '/v1/containers?all=true')).body.containers.filter((c) => c.owner === 'service/quorum' && c.state === 'running');
    assert.deepEqual(now.map((c) => c.pid).sort(), [...pids].sort(), 'a replica was restarted');
  });
});
