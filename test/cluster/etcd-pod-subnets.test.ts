// The pod subnet index (issue 20) on both stores, SQLite and a real etcd: a join claims its
// subnet's index blocks in its own transaction, so two concurrent joins (on one server or on two
// servers sharing the store) never get the same or overlapping subnets, whatever the number of
// nodes; `node rm` frees the subnet; records from before the index are indexed at start.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { JoinRequest } from '../../src/contracts/cluster.js';
import type { StateStore } from '../../src/contracts/state-store.js';
import { NodeRegistry, nodeKey, type NodeRecord } from '../../src/modules/cluster/nodes.js';
import { podSubnetIndexPrefix } from '../../src/modules/cluster/pod-subnets.js';
import { EtcdStore } from '../../src/modules/state-store-etcd/etcd-store.js';
import { SqliteStore } from '../../src/modules/state-store/test-fixture.js';
import { simReport } from '../../src/sim/cluster-agents.js';
import { startEtcd, type TestEtcd } from '../support/etcd.js';

const timing = { leaseIntervalMs: 10_000, leaseGraceMs: 40_000 };
const req = (name: string, podSubnet?: string, machineId = randomBytes(16).toString('hex')): JoinRequest => ({ token: 't', name, machineId, labels: {}, taints: [], report: simReport(0), ...(podSubnet ? { podSubnet } : {}) });
const index = async (s: StateStore) => Object.fromEntries((await s.list<{ node: string; subnet: string }>(podSubnetIndexPrefix)).items.map((kv) => [kv.key.slice(podSubnetIndexPrefix.length), kv.value.node]));

function cases(name: string, open: () => Promise<StateStore>): void {
  test(`${name}: automatic subnets are distinct under concurrent joins on two servers, and a join reads no node list`, async () => {
    const store = await open();
    try {
      let lists = 0;
      const counting = new Proxy(store, { get: (t, p) => (p === 'list' ? (...a: Parameters<StateStore['list']>) => (a[0].startsWith('/cluster/nodes/') && lists++, t.list(...a)) : Reflect.get(t, p)) });
      const a = new NodeRegistry(counting, timing);
      const b = new NodeRegistry(counting, timing);
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).join(req(`n${i}`), '10.0.0.1')));
      const subnets = answers.map((x) => x.podSubnet);
      assert.equal(new Set(subnets).size, 12, subnets.join(' '));
      for (const s of subnets) assert.match(s!, /^10\.89\.([1-9]|1[0-2])\.0\/24$/);
      assert.equal(lists, 0);
      const idx = await index(store);
      assert.equal(Object.keys(idx).length, 12);
      for (const x of answers) assert.equal(idx[x.podSubnet!.replace('/24', '')], x.name);
    } finally {
      await store.close();
    }
  });

  test(`${name}: two concurrent joins asking one subnet: one wins, the other is refused naming the holder; rm frees it`, async () => {
    const store = await open();
    try {
      const a = new NodeRegistry(store, timing);
      const b = new NodeRegistry(store, timing);
      const r = await Promise.allSettled([a.join(req('x', '10.130.7.0/24'), '10.0.0.2'), b.join(req('y', '10.130.7.0/24'), '10.0.0.3')]);
      const won = r.filter((x) => x.status === 'fulfilled');
      const lost = r.filter((x): x is PromiseRejectedResult => x.status === 'rejected');
      assert.equal(won.length, 1);
      assert.match(String(lost[0]!.reason), /pod subnet 10\.130\.7\.0\/24 overlaps node [xy]'s 10\.130\.7\.0\/24/);
      const winner = (won[0] as PromiseFulfilledResult<{ name: string }>).value.name;
      const loser = winner === 'x' ? 'y' : 'x';
      assert.equal(await store.get(nodeKey(loser)), undefined, 'the refused join registered nothing');
      // A /23 over it overlaps too; after rm the subnet is free for another node.
      await assert.rejects(a.join(req('z', '10.130.6.0/23'), '10.0.0.4'), /overlaps node/);
      // Two /27s in one /24 do not overlap; a /24 over them does, whichever came first.
      await a.join(req('s1', '10.160.5.32/27'), '10.0.0.9');
      await a.join(req('s2', '10.160.5.64/27'), '10.0.0.9');
      await assert.rejects(b.join(req('s3', '10.160.5.0/24'), '10.0.0.9'), /overlaps node s1's 10\.160\.5\.32\/27/);
      await assert.rejects(b.join(req('s4', '10.160.5.48/28'), '10.0.0.9'), /overlaps node s1's/);
      await a.join(req('s5', '10.160.6.0/24'), '10.0.0.9');
      await assert.rejects(b.join(req('s6', '10.160.6.128/25'), '10.0.0.9'), /overlaps node s5's/);
      for (const n of ['s1', 's2', 's5']) await a.remove(n);
      await a.remove(winner);
      assert.deepEqual(await index(store), {});
      assert.equal((await b.join(req(loser, '10.130.6.0/23'), '10.0.0.3')).podSubnet, '10.130.6.0/23');
      assert.deepEqual(await index(store), { '10.130.6.0': loser, '10.130.7.0': loser });
    } finally {
      await store.close();
    }
  });

  test(`${name}: the same machine's join twice at once (a retry after a 503 that was applied) both succeed, one subnet`, async () => {
    const store = await open();
    try {
      const a = new NodeRegistry(store, timing);
      const b = new NodeRegistry(store, timing);
      const m = randomBytes(16).toString('hex');
      const [x, y] = await Promise.all([a.join(req('twice', undefined, m), '10.0.0.7'), b.join(req('twice', undefined, m), '10.0.0.7')]);
      assert.equal(x.podSubnet, y.podSubnet);
      assert.deepEqual(Object.values(await index(store)), ['twice']);
      // Another machine with that name is still refused.
      await assert.rejects(a.join(req('twice'), '10.0.0.8'), /already registered by another machine/);
    } finally {
      await store.close();
    }
  });

  test(`${name}: a rejoin keeps its subnet, a changed one moves its blocks, and old records are indexed at start`, async () => {
    const store = await open();
    try {
      const reg = new NodeRegistry(store, timing);
      const m = randomBytes(16).toString('hex');
      const first = await reg.join(req('r', undefined, m), '10.0.0.5');
      assert.equal((await reg.join(req('r', undefined, m), '10.0.0.5')).podSubnet, first.podSubnet);
      await reg.join(req('r', '10.140.0.0/24', m), '10.0.0.5');
      assert.deepEqual(await index(store), { '10.140.0.0': 'r' });
      // A record written before the index existed (no index key): the start-up backfill indexes it.
      const legacy = (await store.get<NodeRecord>(nodeKey('r')))!.value;
      await store.put(nodeKey('old'), { ...legacy, name: 'old', podSubnet: '10.150.0.0/24' });
      assert.equal(await new NodeRegistry(store, timing).backfillSubnetIndex(), 1);
      assert.deepEqual(await index(store), { '10.140.0.0': 'r', '10.150.0.0': 'old' });
      await assert.rejects(reg.join(req('new', '10.150.0.0/24'), '10.0.0.6'), /overlaps node old's/);
    } finally {
      await store.close();
    }
  });
}

describe('pod subnet index on SQLite', () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  cases('sqlite', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-subnets-'));
    dirs.push(dir);
    return new SqliteStore(path.join(dir, 'state.db'));
  });
});

describe('pod subnet index on etcd', { skip: existsSync('/usr/bin/etcd') ? false : 'etcd-server missing' }, () => {
  let etcd: TestEtcd;
  before(async () => {
    etcd = await startEtcd(1);
  });
  after(() => etcd?.stop());
  cases('etcd', async () => new EtcdStore({ endpoints: etcd.endpoints, prefix: `/t-${randomUUID()}` }));
});
