// The etcd state store against a real 3-member etcd losing members (issue 20): one member down
// changes nothing, the leader included (the store waits out the members' election); two down and every call fails with "store unavailable (no quorum)" within 2 s
// instead of hanging; once they are back, writes go through again and a watch opened before the
// failure resumes from its last revision, missing nothing and repeating nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { EtcdStore } from '../../src/modules/state-store-etcd/etcd-store.js';
import type { WatchEvent } from '../../src/contracts/state-store.js';
import { startEtcd, type TestEtcd } from '../support/etcd.js';
import { until } from '../support/until.js';

const skip = !existsSync('/usr/bin/etcd') ? 'etcd-server missing' : false;

/** The index of etcd's leader member, or of a member that is not the leader. */
async function member(endpoints: string[], role: 'leader' | 'follower'): Promise<number> {
  const { stdout } = await promisify(execFile)('etcdctl', ['--endpoints', endpoints.join(','), 'endpoint', 'status', '-w', 'json']);
  const status = JSON.parse(stdout) as Array<{ Status: { header: { member_id: number }; leader: number } }>;
  const i = status.findIndex((s) => (String(s.Status.header.member_id) === String(s.Status.leader)) === (role === 'leader'));
  assert.ok(i >= 0, stdout);
  return i;
}

/** The rejection of p and how long it took (p must reject). */
async function rejection(p: Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const t0 = Date.now();
  try {
    await p;
  } catch (e) {
    return { error: e as Error, ms: Date.now() - t0 };
  }
  throw new Error('expected the call to fail');
}

describe('the etcd store losing members', { skip, concurrency: false }, () => {
  let etcd: TestEtcd;
  let store: EtcdStore;
  before(async () => {
    etcd = await startEtcd(3);
    store = new EtcdStore({ endpoints: etcd.endpoints, prefix: `/q${process.pid}` });
  });
  after(async () => {
    await store?.close();
    await etcd?.stop();
  });

  test('1 of 3 down: no change; 2 of 3 down: Unavailable within 2 s; back: writes and the watch resume', { timeout: 120_000 }, async () => {
    const events: WatchEvent[] = [];
    const cancel = await store.watch('/w/', await store.revision(), (e) => events.push(e));
    try {
      const acked: Array<{ key: string; revision: number }> = [];
      const put = async (key: string) => acked.push({ key, revision: (await store.put(key, { key })).revision });
      await put('/w/before');
      const first = await member(etcd.endpoints, 'follower');
      const second = (first + 1) % 3;
      await etcd.members[first]!.kill();
      await put('/w/one-down');
      assert.equal((await store.get<{ key: string }>('/w/one-down'))?.value.key, '/w/one-down');

      await etcd.members[second]!.kill();
      for (const call of [() => store.put('/w/no-quorum', 1), () => store.get('/w/before'), () => store.list('/w/'), () => store.txn({ compare: [], success: [{ type: 'put', key: '/w/t', value: 1 }] })]) {
        const { error, ms } = await rejection(call());
        assert.equal(error.name, 'Unavailable', error.message);
        assert.match(error.message, /^store unavailable \(no quorum\)/);
        assert.ok(ms < 2000, `answered after ${ms} ms`);
      }

      await etcd.members[first]!.restart();
      await etcd.members[second]!.restart();
      await until('a write goes through again', () => put('/w/after').then(() => true), 60_000, 200);
      await until('the watch delivered the write made after the restore', async () => events.some((e) => e.kv.key === '/w/after'), 30_000, 100);
      // Resumed, not restarted: every acknowledged write once, in revision order, nothing twice.
      const revs = events.map((e) => e.kv.modRevision);
      assert.deepEqual(revs, [...revs].sort((a, b) => a - b));
      assert.equal(new Set(revs).size, revs.length, 'an event was delivered twice');
      for (const a of acked) assert.ok(events.some((e) => e.kv.key === a.key && e.kv.modRevision === a.revision), `the watch missed ${a.key}@${a.revision}`);
      const { items } = await store.list<{ key: string }>('/w/');
      for (const a of acked) assert.ok(items.some((kv) => kv.key === a.key), `acknowledged ${a.key} is not in the store`);
    } finally {
      cancel();
    }
  });

  test('the leader member down: calls made during the election wait it out and answer', { timeout: 120_000 }, async () => {
    await until('a leader', () => member(etcd.endpoints, 'leader').then(() => true), 30_000, 200);
    const leader = await member(etcd.endpoints, 'leader');
    await etcd.members[leader]!.kill();
    try {
      // Calls from the first instant of the loss on, through the election (about a second).
      const t0 = Date.now();
      for (let i = 0; Date.now() - t0 < 3000; i++) {
        const { revision } = await store.put(`/e/${i}`, { i });
        assert.equal((await store.get<{ i: number }>(`/e/${i}`))?.modRevision, revision);
        const r = await store.txn({ compare: [{ key: `/e/${i}`, target: 'modRevision', op: '=', value: revision }], success: [{ type: 'delete', key: `/e/${i}` }] });
        assert.equal(r.succeeded, true);
        assert.equal((await store.list('/e/')).items.length, 0);
      }
    } finally {
      await etcd.members[leader]!.restart();
    }
  });
});
