// bench/cluster placement path (issue 19): the store work of the control plane's multi-node
// placement of one service replica, on SQLite (baseline) and on a 3-member etcd, in the same run,
// with 1,000+ registered nodes renewing their leases every 10 s through the cluster module's own
// NodeRegistry (join, renew: the same records and transactions the server writes).
//
// One placement = one replica more for a service, as `llmos scale` / the autoscaler then the
// services controller do it:
//   today:  scale  = store.get(service) + CAS store.put           (services module, record-cas.ts)
//           pass   = store.list(/services/) + store.list(/service-exposures/)   (controller.reconcileAll)
//                  + NodeRegistry.list() = list(/cluster/nodes/) + list(/cluster/leases/)   (cluster.nodes())
//           place  = placeAcross (scheduler/cluster-placement.ts, the daemon's pure placement)
//   cached: the node list and the service records from a watch-fed cache (one listing at start,
//           then the watch's events, as a Kubernetes informer), and the scale as ONE transaction
//           (compare the cached modRevision, put), so a placement is one store round trip.
// `concurrency` placements are in flight (the controller reconciles services in parallel).
// Run: npm run build && node dist/bench/cluster/placement-path.js [--nodes 1000] [--placements 600] [--concurrency 16] [--json]
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { PlacementNode } from '../../src/contracts/scheduler.js';
import type { StateStore } from '../../src/contracts/state-store.js';
import type { ServiceRecord } from '../../src/contracts/services.js';
import { Conflict } from '../../src/kernel/errors.js';
import { leaseKey, nodeKey, NodeRegistry, type NodeRecord } from '../../src/modules/cluster/nodes.js';
import { placeAcross } from '../../src/modules/scheduler/cluster-placement.js';
import { buildFramework, profileConfig } from '../../src/modules/scheduler/profile.js';
import { SqliteStore } from '../../src/modules/state-store/sqlite-store.js';
import { EtcdStore } from '../../src/modules/state-store-etcd/etcd-store.js';
import { startEtcd, type TestEtcd } from '../../test/support/etcd.js';
import { simReport } from '../../src/sim/cluster-agents.js';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const nodeCount = Number(arg('nodes', '1000'));
const placements = Number(arg('placements', '600'));
const concurrency = Number(arg('concurrency', '16'));
const services = 50;
const json = process.argv.includes('--json');
const Mi = 2 ** 20;
const timing = { leaseIntervalMs: 10_000, leaseGraceMs: 40_000 };
const fw = buildFramework(profileConfig('default'));

interface Lease { holder: string; renewTime: string }

const toPlacement = (rec: NodeRecord, lease: Lease | undefined, now: number): PlacementNode => ({
  name: rec.name,
  labels: rec.labels,
  taints: rec.taints,
  unschedulable: rec.unschedulable,
  ready: !!lease && now - Date.parse(lease.renewTime) <= timing.leaseGraceMs,
  allocatable: rec.report.allocatable,
  allocated: rec.report.allocated,
  images: rec.report.images,
});

/** The node list and service records as a watch keeps them (an informer): one listing, then events. */
async function watchCache(store: StateStore) {
  const nodes = new Map<string, NodeRecord>();
  const leases = new Map<string, Lease>();
  const svcs = new Map<string, { value: ServiceRecord; modRevision: number }>();
  const [n, l, s] = await Promise.all([store.list<NodeRecord>('/cluster/nodes/'), store.list<Lease>('/cluster/leases/'), store.list<ServiceRecord>('/services/')]);
  for (const kv of n.items) nodes.set(kv.key, kv.value);
  for (const kv of l.items) leases.set(kv.value.holder, kv.value);
  for (const kv of s.items) svcs.set(kv.key, { value: kv.value, modRevision: kv.modRevision });
  const rev = Math.min(n.revision, l.revision, s.revision);
  const cancels = await Promise.all([
    store.watch('/cluster/', rev, (e) => {
      if (e.kv.key.startsWith('/cluster/nodes/')) {
        if (e.type === 'put') nodes.set(e.kv.key, e.kv.value as NodeRecord);
        else nodes.delete(e.kv.key);
      } else if (e.kv.key.startsWith('/cluster/leases/') && e.type === 'put') leases.set((e.kv.value as Lease).holder, e.kv.value as Lease);
    }),
    store.watch('/services/', rev, (e) => {
      if (e.type === 'put') svcs.set(e.kv.key, { value: e.kv.value as ServiceRecord, modRevision: e.kv.modRevision });
      else svcs.delete(e.kv.key);
    }),
  ]);
  return { nodes: () => { const now = Date.now(); return [...nodes.values()].map((r) => toPlacement(r, leases.get(r.name), now)); }, svcs, stop: () => cancels.forEach((c) => c()) };
}

const serviceRecord = (i: number): ServiceRecord => ({ name: `s${i}`, namespace: 'default', labels: {}, spec: { replicas: 0, template: { image: 'busybox', env: {}, labels: {}, requests: { cpu: 0.1, memory: 64 * Mi } }, ports: [], progressDeadlineSeconds: 120 }, templateHash: 'bench', generation: 1, createdAt: '', updatedAt: '', source: 'cli' });
const skey = (i: number) => `/services/default/s${i}`;

interface Run { placements: number; seconds: number; perSecond: number; placed: number; conflicts: number; errors: number; p50ms: number; p99ms: number }

async function measure(one: (i: number) => Promise<boolean>): Promise<Run> {
  let next = 0, placed = 0, conflicts = 0, errors = 0;
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < placements) {
      const i = next++;
      const t = performance.now();
      for (let attempt = 0; ; attempt++) {
        try {
          if (await one(i)) placed++;
          break;
        } catch (e) {
          if (e instanceof Conflict && attempt < 20) conflicts++;
          else {
            errors++;
            if (errors <= 3) process.stderr.write(`placement ${i}: ${(e as Error).message}\n`);
            break;
          }
        }
      }
      lat.push(performance.now() - t);
      // SQLite answers within microtasks: yield to the timers (the heartbeats), as the real path's
      // request to the node would.
      await new Promise((r) => setImmediate(r));
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const q = (p: number) => Math.round(lat[Math.min(lat.length - 1, Math.floor(lat.length * p))]! * 10) / 10;
  return { placements, seconds: Math.round(seconds * 100) / 100, perSecond: Math.round(placed / seconds), placed, conflicts, errors, p50ms: q(0.5), p99ms: q(0.99) };
}

async function runStore(name: string, store: StateStore) {
  const reg = new NodeRegistry(store, timing);
  // The records a join writes (NodeRegistry.join: node record + lease in one transaction), written
  // directly, in batches of 32 (faster than one join each; a join no longer lists the nodes).
  const now = () => new Date().toISOString();
  for (let b = 0; b < nodeCount; b += 32) {
    await Promise.all(Array.from({ length: Math.min(32, nodeCount - b) }, (_, k) => b + k).map((i) => {
      const rec: NodeRecord = { name: `sim-${i}`, machineId: randomBytes(16).toString('hex'), credentialHash: 'bench', roles: ['worker'], labels: { 'llmos.io/zone': `z${i % 8}`, 'llmos.io/cloud': i % 4 === 3 ? 'public' : 'private', 'llmos.io/hostname': `sim-${i}` }, taints: [], unschedulable: false, address: `10.0.${i >> 8}.${i & 255}`, report: simReport(i), createdAt: now(), podSubnet: `10.${128 + (i >> 8)}.${i & 255}.0/24` };
      return store.txn({ compare: [], success: [{ type: 'put', key: nodeKey(rec.name), value: rec }, { type: 'put', key: leaseKey(rec.name), value: { holder: rec.name, renewTime: now() } }] });
    }));
  }
  for (let i = 0; i < services; i++) await store.put(skey(i), serviceRecord(i));
  // Heartbeats: every node renews every 10 s (staggered) with NodeRegistry.renew's store work:
  // read the node record, then a transaction on its modRevision that puts the lease.
  let renewals = 0, renewFailures = 0;
  const renew = async (i: number) => {
    const kv = await store.get<NodeRecord>(nodeKey(`sim-${i}`));
    const r = await store.txn({ compare: [{ key: nodeKey(`sim-${i}`), target: 'modRevision', value: kv!.modRevision }], success: [{ type: 'put', key: leaseKey(`sim-${i}`), value: { holder: `sim-${i}`, renewTime: now() } }] });
    if (!r.succeeded) throw new Conflict('renewal raced');
  };
  const timers = Array.from({ length: nodeCount }, (_, i) => {
    let t: NodeJS.Timeout | undefined;
    const s = setTimeout(() => (t = setInterval(() => void renew(i).then(() => renewals++, () => renewFailures++), timing.leaseIntervalMs)), (i * timing.leaseIntervalMs) / nodeCount);
    return () => { clearTimeout(s); if (t) clearInterval(t); };
  });
  // Replicas per node of each service, kept in the record here (the daemon learns them from the nodes' container lists).
  const peers = (s: ServiceRecord) => (s.labels['bench-peers'] ? (JSON.parse(s.labels['bench-peers']) as Record<string, number>) : {});
  const withReplica = (s: ServiceRecord, node: string): ServiceRecord => {
    const p = peers(s);
    p[node] = (p[node] ?? 0) + 1;
    return { ...s, spec: { ...s.spec, replicas: s.spec.replicas + 1 }, generation: s.generation + 1, labels: { 'bench-peers': JSON.stringify(p) } };
  };
  const req = (s: ServiceRecord, i: number) => ({ id: `s${i % services}-${i}`, requests: { cpu: 100, memory: 64 * Mi }, image: 'busybox', peers: peers(s) });
  try {
    // today: what the daemon's services path does per replica.
    const today = await measure(async (i) => {
      const kv = await store.get<ServiceRecord>(skey(i % services));
      const [, , nodes] = await Promise.all([store.list('/services/'), store.list('/service-exposures/'), reg.list()]);
      const pn = nodes.map((n) => ({ name: n.name, labels: n.labels, taints: n.taints, unschedulable: n.unschedulable, ready: n.status === 'Ready', allocatable: n.allocatable, allocated: n.allocated, images: n.images }));
      const d = placeAcross(fw, pn, req(kv!.value, i));
      if (!d.node) return false;
      await store.put(skey(i % services), withReplica(kv!.value, d.node), { prevRevision: kv!.modRevision });
      return true;
    });
    // cached: node list and records from a watch, the scale as one transaction.
    const cache = await watchCache(store);
    const cached = await measure(async (i) => {
      const k = skey(i % services);
      const cur = cache.svcs.get(k)!;
      const d = placeAcross(fw, cache.nodes(), req(cur.value, i));
      if (!d.node) return false;
      const r = await store.txn({ compare: [{ key: k, target: 'modRevision', value: cur.modRevision }], success: [{ type: 'put', key: k, value: withReplica(cur.value, d.node) }] });
      if (!r.succeeded) {
        // The cache is behind the write of another placement: wait for the watch, then retry.
        await new Promise((res) => setImmediate(res));
        throw new Conflict('service changed');
      }
      // Read-your-write without a read: the cache takes the revision the transaction answered.
      cache.svcs.set(k, { value: withReplica(cur.value, d.node), modRevision: r.revision });
      return true;
    });
    cache.stop();
    return { store: name, nodes: nodeCount, today, cached, renewals, renewFailures };
  } finally {
    for (const stop of timers) stop();
  }
}

const results: Array<Awaited<ReturnType<typeof runStore>>> = [];
const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-bench-place-'));
let etcd: TestEtcd | undefined;
try {
  const sqlite = new SqliteStore(path.join(dir, 'state.db'));
  results.push(await runStore('sqlite', sqlite));
  await sqlite.close();
  if (!json) process.stderr.write(`${JSON.stringify(results.at(-1))}\n`);
  etcd = await startEtcd(3);
  const store = new EtcdStore({ endpoints: etcd.endpoints, prefix: '/bench', timeoutMs: 30_000 });
  results.push(await runStore('etcd', store));
  await store.close();
  if (!json) process.stderr.write(`${JSON.stringify(results.at(-1))}\n`);
} finally {
  await etcd?.stop();
  await rm(dir, { recursive: true, force: true });
}
const [base, llmos] = results as [(typeof results)[0], (typeof results)[0]];
const ratio = (k: 'today' | 'cached') => Math.round((llmos[k].perSecond / base[k].perSecond) * 100) / 100;
if (json) process.stdout.write(`${JSON.stringify({ results, ratio: { today: ratio('today'), cached: ratio('cached') } }, null, 2)}\n`);
else {
  process.stdout.write(`placement path: ${nodeCount} nodes renewing every 10 s, ${placements} placements, ${concurrency} in flight\n`);
  for (const k of ['today', 'cached'] as const) {
    process.stdout.write(`  ${k === 'today' ? 'today (get+put per scale, 4 listings per pass)' : 'cached (watch-fed node list and records, one txn)'}:\n`);
    process.stdout.write(`    baseline (SQLite): ${base[k].perSecond} placements/s (p50 ${base[k].p50ms} ms, p99 ${base[k].p99ms} ms, ${base[k].placed} placed, ${base[k].errors} errors, ${base[k].conflicts} conflicts)\n`);
    process.stdout.write(`    LLMOS (etcd, 3 members): ${llmos[k].perSecond} placements/s (p50 ${llmos[k].p50ms} ms, p99 ${llmos[k].p99ms} ms, ${llmos[k].placed} placed, ${llmos[k].errors} errors, ${llmos[k].conflicts} conflicts)\n`);
    process.stdout.write(`    ratio etcd/SQLite: ${ratio(k).toFixed(2)}x (target >= 0.5x)\n`);
  }
}
