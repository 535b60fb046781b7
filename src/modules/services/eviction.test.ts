// Node failure for services, against a small in-memory fake of the cluster interface (the real
// agents, containers and etcd are in test/cluster/node-failure.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { ClusterApi, NodeClient, NodeView, ReplacedWorkload } from '../../contracts/cluster.js';
import type { ContainerInfo, ContainersApi } from '../../contracts/containers.js';
import { Unavailable } from '../../kernel/errors.js';
import { ClusterReplicas, type PlacedInfo } from './cluster-replicas.js';
import { Evictions } from './eviction.js';
import type { ServiceRecord } from './types.js';

const log = pino({ level: 'silent' });
const T0 = Date.parse('2026-12-01T12:00:00.000Z');

const replica = (id: string, service: string, node: string): PlacedInfo => ({ id, name: `${service}-${id}`, image: 'busybox', imageId: 'sha256:x', namespace: 'default', owner: `service/${service}`, state: 'running', status: 'Up', oomKilled: false, ports: [], createdAt: new Date(T0).toISOString(), restartCount: 0, labels: {}, spec: { image: 'busybox' }, node });
const service = (name: string, tolerateUnreachable?: number | 'never') => ({ name, namespace: 'default', spec: { replicas: 2, tolerateUnreachable } }) as unknown as ServiceRecord;
const node = (name: string, notReadyAt?: number) => ({ name, status: notReadyAt === undefined ? 'Ready' : 'NotReady', notReadySince: notReadyAt === undefined ? null : new Date(notReadyAt).toISOString(), connected: notReadyAt === undefined }) as NodeView;

function fakeCluster(evictionTimeoutMs: number) {
  const store = new Map<string, ReplacedWorkload>();
  const api = {
    evictionTimeoutMs,
    async markReplaced(_n: string, ws: readonly ReplacedWorkload[]) {
      for (const w of ws) store.set(w.id, w);
    },
    async replaced() {
      return [...store.values()];
    },
    async replacedDone(_n: string, ids: readonly string[]) {
      for (const id of ids) store.delete(id);
    },
  } as Partial<ClusterApi> as ClusterApi;
  return { api, store };
}

test('evictions: a NotReady node keeps its replicas until each service\'s toleration, then they are replaced and stay out', async () => {
  const { api, store } = fakeCluster(300_000);
  let now = T0;
  const events: string[] = [];
  const ev = new Evictions({ cluster: () => api, log, now: () => now, publish: (s, topic) => events.push(`${s.name}:${topic}`) });
  const all = [replica('a1', 'web', 'h1'), replica('a2', 'web', 'h2'), replica('b1', 'db', 'h1'), replica('c1', 'edge', 'h1')];
  const records = [service('web'), service('db', 'never'), service('edge', 3600)];
  const down = T0; // h1 NotReady since T0
  const ids = async (nodes: NodeView[]) => (await ev.filter(all, records, nodes)).map((c) => c.id).sort();
  // Ready: everything counts.
  assert.deepEqual(await ids([node('h1'), node('h2')]), ['a1', 'a2', 'b1', 'c1']);
  // NotReady for 299 s < 300 s: still counted, nothing recorded.
  now = down + 299_000;
  assert.deepEqual(await ids([node('h1', down), node('h2')]), ['a1', 'a2', 'b1', 'c1']);
  assert.equal(store.size, 0);
  // 300 s: web's (default timeout) replaced; db tolerates for ever, edge for an hour.
  now = down + 300_000;
  assert.deepEqual(await ids([node('h1', down), node('h2')]), ['a2', 'b1', 'c1']);
  assert.deepEqual([...store.keys()], ['a1']);
  assert.equal(store.get('a1')!.node, 'h1');
  assert.deepEqual(events, ['web:replica-evicted']);
  // An hour: edge's too; db's never.
  now = down + 3600_000;
  assert.deepEqual(await ids([node('h1', down), node('h2')]), ['a2', 'b1']);
  // The node is back (Ready): the replaced ones stay out while its agent has not stopped them...
  assert.deepEqual(await ids([node('h1'), node('h2')]), ['a2', 'b1']);
  // ...also once the agent reported them done but the pass still lists them (the listing came first).
  await api.replacedDone('h1', ['a1', 'c1']);
  assert.deepEqual(await ids([node('h1'), node('h2')]), ['a2', 'b1']);
  assert.equal(events.filter((e) => e.endsWith('replica-evicted')).length, 2, 'each replica is evicted once');
});

test('evictions: a replica whose service is gone, or without a node, is never recorded', async () => {
  const { api, store } = fakeCluster(0);
  const ev = new Evictions({ cluster: () => api, log, now: () => T0 + 1, publish: () => undefined });
  const local = { ...replica('l1', 'web', 'x'), node: undefined };
  const out = await ev.filter([replica('o1', 'gone', 'h1'), local], [service('web')], [node('h1', T0)]);
  assert.deepEqual(out.map((c) => c.id), ['o1', 'l1']);
  assert.equal(store.size, 0);
});

test('a probe of a replica on a node whose tunnel is down fails as a rejection, it does not throw out of the probe tick', async () => {
  // Before: dialer() looked the node's client up at once and threw Unavailable synchronously, out
  // of the controller's probe tick (its interval callback), leaving the probe marked running and
  // the replica ready for good, in the balancer of a dead node.
  let connected = true;
  const client = { json: async () => ({ containers: [{ ...replica('r1', 'web', 'h1'), owner: 'cluster/service/web' }] }), dial: async () => { throw new Error('unreachable'); } } as unknown as NodeClient;
  const cluster = {
    nodes: async () => [{ ...node('h1'), connected, allocatable: { cpu: 1, memory: 1 }, allocated: { cpu: 0, memory: 0 }, lastHeartbeat: null }],
    nodeClient: (name: string) => {
      if (!connected) throw new Unavailable(`node ${name} is not connected`);
      return client;
    },
    replaced: async () => [],
    evictionTimeoutMs: 300_000,
  } as Partial<ClusterApi> as ClusterApi;
  const local = { list: async (): Promise<ContainerInfo[]> => [] } as Partial<ContainersApi> as ContainersApi;
  const placed = new ClusterReplicas({ local: () => local, cluster: () => cluster, scheduler: () => undefined, log });
  assert.deepEqual((await placed.list()).map((c) => c.id), ['r1']);
  connected = false;
  const dial = placed.dialer('r1');
  assert.ok(dial, 'a remote replica is dialled from its node');
  await assert.rejects(dial('10.89.1.2', 80), /not connected/);
});
