// `llmos sim cluster` (issue 20, "Scale"): N simulated agents (cluster-agents.ts: the real join,
// credential and lease protocol, no containers, as KWOK's nodes) against a real server process
// (cluster-server.ts: `llmos up` on SQLite or on a real etcd), then a burst of placements
// (cluster-placements.ts), then F simultaneous node failures. The report:
// - server CPU and RSS while every node heartbeats at the lease period (and etcd's);
// - heartbeat latency: a renewal's round trip as the agents see it (p50, p99), which is the
//   server's processing of the lease plus the loopback hop and the agents' own queueing;
// - placements/s of the burst;
// - failure detection: F agents stop renewing at once; the time until the server has marked every
//   one NotReady (its /nodes/not-ready event, published by the node monitor), with a shortened
//   --node-grace. The bound is grace + one monitor period (the lease interval).
import { Unavailable } from '../kernel/errors.js';
import type { LlmosEvent } from '../contracts/system.js';
import type { NodeView } from '../contracts/cluster.js';
import { SimAgents, type HeartbeatWindow } from './cluster-agents.js';
import { placementBurst, type PlacementResult } from './cluster-placements.js';
import { procUsage, startSimEtcd, startSimServer, type ProcUsage, type SimEtcd, type SimServer } from './cluster-server.js';

export interface ClusterSimOptions {
  /** The command that runs `llmos` ([node, script]); the server is `llmos up` run with it. */
  llmos: string[];
  nodes: number;
  /** sqlite, etcd (one member started on loopback in a temp dir) or etcd://HOST:PORT,... */
  store: string;
  placements: number;
  concurrency: number;
  /** Simultaneous node failures (at most half the nodes). */
  fail: number;
  leaseIntervalMs: number;
  nodeGraceMs: number;
  /** How long the heartbeat footprint is measured, after one full round of renewals. */
  soakMs: number;
  /** Keep-alive connections the simulated agents share. */
  connections: number;
  onProgress?: (line: string) => void;
}

export interface ClusterSimReport {
  store: 'sqlite' | 'etcd';
  nodes: number;
  leaseIntervalMs: number;
  nodeGraceMs: number;
  join: { seconds: number; perSecond: number; retries: number };
  server: { rssMiB: number; cpuPercent: number; peakRssMiB: number };
  etcd?: { rssMiB: number; cpuPercent: number };
  /** Renewals during the soak. */
  heartbeats: HeartbeatWindow & { perSecond: number; lastError?: string };
  /** Renewals during the placement burst. */
  heartbeatsUnderPlacements: HeartbeatWindow & { lastError?: string };
  placements: PlacementResult;
  failures: { stopped: number; detected: number; seconds: number; p50Seconds: number; boundSeconds: number; nodesNotReadyAtEnd: number };
  /** NotReady events of nodes that never stopped renewing (a server too slow to take their leases). */
  spuriousNotReady: number;
  /** The simulating process's own RSS (5,000 agents in one process). */
  simRssMiB: number;
}

const Mi = 2 ** 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (b: number) => Math.round(b / Mi);

export async function simulateCluster(o: ClusterSimOptions): Promise<ClusterSimReport> {
  const say = o.onProgress ?? (() => undefined);
  let etcd: SimEtcd | undefined;
  let server: SimServer | undefined;
  let agents: SimAgents | undefined;
  const storeUrl = o.store === 'sqlite' ? undefined : o.store === 'etcd' ? undefined : o.store;
  try {
    if (o.store === 'etcd') {
      etcd = await startSimEtcd();
      say(`etcd on ${etcd.endpoint}`);
    }
    server = await startSimServer({ llmos: o.llmos, store: storeUrl ?? (etcd ? `etcd://${etcd.endpoint}` : undefined), leaseIntervalMs: o.leaseIntervalMs, nodeGraceMs: o.nodeGraceMs });
    const srv = server;
    say(`server on ${srv.url} (pid ${srv.pid})`);
    const { token } = await srv.api<{ token: string }>('POST', '/v1/cluster/tokens', { description: 'llmos sim cluster' });
    let peakRss = 0;
    const sample = async (): Promise<ProcUsage> => {
      const u = await procUsage(srv.pid);
      peakRss = Math.max(peakRss, u.rss);
      return u;
    };
    const peak = setInterval(() => void sample().catch(() => undefined), 1000);
    try {
      const j0 = performance.now();
      agents = await SimAgents.join({ server: srv.url, token, count: o.nodes, connections: o.connections, joinConcurrency: 16, onJoined: (n) => say(`${n} nodes joined (${Math.round((performance.now() - j0) / 1000)} s)`) });
      const joinSeconds = (performance.now() - j0) / 1000;
      say(`${o.nodes} nodes joined in ${joinSeconds.toFixed(1)} s (${agents.joinRetries} retried)`);
      await sleep(o.leaseIntervalMs); // one full round of renewals before measuring
      agents.window();
      const etcdPid = etcd?.pid;
      const [s0, e0] = [await sample(), etcdPid ? await procUsage(etcdPid) : undefined];
      await sleep(o.soakMs);
      const [s1, e1] = [await sample(), etcdPid ? await procUsage(etcdPid) : undefined];
      const hb = agents.window();
      const pct = (a: ProcUsage, b: ProcUsage) => Math.round(((b.cpu - a.cpu) / (o.soakMs / 1000)) * 1000) / 10;
      say(`heartbeats: ${hb.renewals} renewals in ${o.soakMs / 1000} s, p99 ${hb.p99Ms} ms, ${hb.failures} failed; server ${mib(s1.rss)} MiB, ${pct(s0, s1)}% CPU`);

      const placements = await placementBurst(srv.api, o.placements, o.concurrency);
      const hbp = agents.window();
      say(`placements: ${placements.bound} bound in ${placements.seconds} s (${placements.perSecond}/s), ${placements.bindFailures} bind failures; heartbeat p99 meanwhile ${hbp.p99Ms} ms`);

      const failures = await detectFailures(srv, agents, Math.min(o.fail, Math.floor(o.nodes / 2)), o);
      say(`failures: ${failures.detected}/${failures.stopped} marked NotReady in ${failures.seconds} s (bound ${failures.boundSeconds} s)`);
      const stoppedNames = new Set(failures.names);
      const notReady = (await srv.api<{ events: LlmosEvent[] }>('GET', '/v1/events?prefix=/nodes/not-ready&limit=10000')).events;
      const spurious = new Set(notReady.map((e) => e.subject?.slice('node/'.length) ?? '').filter((n) => !stoppedNames.has(n))).size;
      const { names: _n, ...failureReport } = failures;
      return {
        store: storeUrl || etcd ? 'etcd' : 'sqlite',
        nodes: agents.nodes.length,
        leaseIntervalMs: o.leaseIntervalMs,
        nodeGraceMs: o.nodeGraceMs,
        join: { seconds: Math.round(joinSeconds * 10) / 10, perSecond: Math.round(o.nodes / joinSeconds), retries: agents.joinRetries },
        server: { rssMiB: mib(s1.rss), cpuPercent: pct(s0, s1), peakRssMiB: mib(peakRss) },
        ...(e0 && e1 ? { etcd: { rssMiB: mib(e1.rss), cpuPercent: pct(e0, e1) } } : {}),
        heartbeats: { ...strip(hb), perSecond: Math.round(hb.renewals / (o.soakMs / 1000)) },
        heartbeatsUnderPlacements: strip(hbp),
        placements,
        failures: failureReport,
        spuriousNotReady: spurious,
        simRssMiB: mib(process.memoryUsage().rss),
      };
    } finally {
      clearInterval(peak);
    }
  } finally {
    await agents?.close();
    await server?.stop();
    await etcd?.stop();
  }
}

/** The window without its last error unless something failed. */
const strip = ({ lastError, ...w }: HeartbeatWindow & { lastError: string }): HeartbeatWindow & { lastError?: string } => (w.failures ? { ...w, lastError } : w);

/** Stops `count` agents spread over the node list at once; waits until the server has marked each NotReady. */
async function detectFailures(srv: SimServer, agents: SimAgents, count: number, o: ClusterSimOptions) {
  const step = agents.nodes.length / count;
  const names = Array.from({ length: count }, (_, k) => agents.nodes[Math.floor(k * step)]!.name);
  const want = new Set(names);
  const seq0 = (await srv.api<{ events: LlmosEvent[] }>('GET', '/v1/events?limit=1')).events.at(-1)?.seq ?? 0;
  const t0 = Date.now();
  agents.fail(names);
  const boundMs = o.nodeGraceMs + o.leaseIntervalMs;
  const seen = new Map<string, number>();
  const deadline = t0 + boundMs * 2 + 30_000;
  while (seen.size < want.size && Date.now() < deadline) {
    await sleep(250);
    const { events } = await srv.api<{ events: LlmosEvent[] }>('GET', '/v1/events?prefix=/nodes/not-ready&limit=10000').catch(() => ({ events: [] as LlmosEvent[] }));
    for (const e of events) {
      const name = e.subject?.slice('node/'.length) ?? '';
      if (e.seq > seq0 && want.has(name) && !seen.has(name)) seen.set(name, Date.parse(e.time) - t0);
    }
  }
  const nodes = (await srv.api<{ nodes: NodeView[] }>('GET', '/v1/nodes')).nodes;
  const times = [...seen.values()].sort((a, b) => a - b);
  if (!times.length) throw new Unavailable(`none of the ${count} stopped nodes was marked NotReady within ${Math.round((deadline - t0) / 1000)} s`);
  return {
    names,
    stopped: count,
    detected: seen.size,
    seconds: Math.round(times.at(-1)! / 100) / 10,
    p50Seconds: Math.round(times[Math.floor(times.length / 2)]! / 100) / 10,
    boundSeconds: boundMs / 1000,
    nodesNotReadyAtEnd: nodes.filter((n) => want.has(n.name) && n.status === 'NotReady').length,
  };
}
