// Simulated agents for `llmos sim cluster` (after KWOK): each speaks the real agent protocol to a
// real server (the CA fetched once and checked against the join token's hash, then
// POST /v1/cluster/agent/join with the token for a node credential, then
// PUT /v1/cluster/agent/lease with its status report at the lease period the join answered,
// from its join on) but runs nothing. What makes 5,000 of them cheap in one process: one
// undici pool of keep-alive TLS connections (sessions resumed) serves them all, and a node is a
// credential and a timer, not a daemon.
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { parseJoinToken, type JoinAnswer, type NodeReport } from '../contracts/cluster.js';
import { caHash } from '../kernel/cluster-ca.js';
import { FailedPrecondition, Unavailable } from '../kernel/errors.js';

const Gi = 2 ** 30;

/** What a simulated node reports: 8 cores and 32 GiB, nothing running (KWOK's default node is as big). */
export function simReport(i: number): NodeReport {
  const cpu = 8000;
  const memory = 32 * Gi;
  return { capacity: { cpu, memory }, allocatable: { cpu: cpu - 500, memory: memory - Gi }, allocated: { cpu: 0, memory: 0 }, runtimes: ['runc'], images: [], workloads: i % 3, agentVersion: 'sim' };
}

export interface HeartbeatWindow {
  renewals: number;
  failures: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface SimNode {
  name: string;
  credential: string;
  report: NodeReport;
  timer?: NodeJS.Timeout;
}

export interface SimAgentsOptions {
  /** https://HOST:PORT of the server. */
  server: string;
  token: string;
  count: number;
  prefix?: string;
  /** Joins in flight at once. */
  joinConcurrency?: number;
  /** Keep-alive connections shared by every simulated agent. */
  connections?: number;
  /** Told every 500 joins. */
  onJoined?: (joined: number) => void;
}

export class SimAgents {
  readonly nodes: SimNode[] = [];
  joinRetries = 0;
  leaseIntervalMs = 10_000;
  /** Renewals answered and failed since the start (window() counts per window). */
  renewed = 0;
  failed = 0;
  private latencies: number[] = [];
  private failures = 0;
  private lastError = '';
  private closed = false;

  private constructor(private readonly pool: Pool) {}

  /** Fetches the CA (checked against the token), then joins `count` nodes. */
  static async join(o: SimAgentsOptions): Promise<SimAgents> {
    const t = parseJoinToken(o.token);
    if (!t) throw new FailedPrecondition('malformed join token');
    const origin = new URL(o.server).origin;
    // The one untrusted call, as an agent's first: what it answers is trusted only if its hash matches the token's.
    const bootstrap = new Pool(origin, { connections: 1, connect: { rejectUnauthorized: false } });
    const ca = await call<{ ca: string }>(bootstrap, 'GET', '/v1/cluster/agent/ca').then((r) => r.ca).finally(() => bootstrap.close());
    if (caHash(ca) !== t.caHash) throw new FailedPrecondition(`the server's CA does not match the join token's: not joining ${origin}`);
    const sim = new SimAgents(new Pool(origin, { connections: o.connections ?? 64, connect: { ca }, keepAliveTimeout: 60_000 }));
    try {
      await sim.joinAll(o);
    } catch (e) {
      await sim.close();
      throw e;
    }
    return sim;
  }

  private async joinAll(o: SimAgentsOptions): Promise<void> {
    let next = 0;
    let joined = 0;
    const prefix = o.prefix ?? 'sim';
    await Promise.all(Array.from({ length: o.joinConcurrency ?? 16 }, async () => {
      while (next < o.count && !this.closed) {
        const i = next++;
        const report = simReport(i);
        // Pod subnets 10.128.0.0/24 upwards, one per node: the server refuses overlapping ones.
        const body = { token: o.token, name: `${prefix}-${i}`, machineId: randomBytes(16).toString('hex'), labels: { 'llmos.io/zone': `z${i % 8}` }, taints: [], report, podSubnet: `10.${128 + (i >> 8)}.${i & 255}.0/24` };
        for (let attempt = 1; ; attempt++) {
          try {
            const a = await call<JoinAnswer>(this.pool, 'POST', '/v1/cluster/agent/join', body);
            this.leaseIntervalMs = a.leaseIntervalMs;
            this.nodes[i] = { name: a.name, credential: a.credential, report };
            this.begin(this.nodes[i]!);
            if (++joined % 500 === 0) o.onJoined?.(joined);
            break;
          } catch (e) {
            // The store busy (503) or a connection lost: tried again with an agent's back-off (1 s doubling to 15 s), for a few minutes.
            if (attempt >= 20 || !(e instanceof Unavailable) || this.closed) throw e;
            this.joinRetries++;
            await new Promise((r) => setTimeout(r, Math.min(15_000, 1000 * 2 ** Math.min(4, attempt - 1))));
          }
        }
      }
    }));
  }

  /** A joined node renews at once and then every lease period, as an agent's lease loop does after its join. */
  private begin(n: SimNode): void {
    this.renew(n);
    n.timer = setInterval(() => this.renew(n), this.leaseIntervalMs);
  }

  private renew(n: SimNode): void {
    const t0 = performance.now();
    call(this.pool, 'PUT', '/v1/cluster/agent/lease', { report: n.report }, n.credential).then(
      () => {
        this.latencies.push(performance.now() - t0);
        this.renewed++;
      },
      (e: unknown) => {
        if (this.closed) return;
        this.failures++;
        this.failed++;
        this.lastError = e instanceof Error ? e.message : String(e);
      },
    );
  }

  /** Stops renewing for these nodes (a node failure: its lease then ages until the server marks it NotReady). */
  fail(names: readonly string[]): void {
    const set = new Set(names);
    for (const n of this.nodes) if (set.has(n.name)) clearTimeout(n.timer);
  }

  /** Renewals answered since the last call, their latency percentiles, and the failures; starts a new window. */
  window(): HeartbeatWindow & { lastError: string } {
    const sorted = this.latencies.sort((a, b) => a - b);
    const r = { renewals: sorted.length, failures: this.failures, p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)), maxMs: round(sorted.at(-1) ?? 0), lastError: this.lastError };
    this.latencies = [];
    this.failures = 0;
    return r;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const n of this.nodes) clearTimeout(n?.timer);
    await this.pool.destroy();
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** One request on the shared pool; a non-2xx answer is Unavailable (5xx, connection lost) or FailedPrecondition, with the server's message. */
async function call<T>(pool: Pool, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, bearer?: string): Promise<T> {
  let res;
  try {
    res = await pool.request({
      method,
      path,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (e) {
    throw new Unavailable(`${method} ${path}: ${(e as Error).message}`, { cause: e });
  }
  const text = await res.body.text();
  if (res.statusCode >= 300) {
    const Err = res.statusCode >= 500 ? Unavailable : FailedPrecondition;
    throw new Err(`${method} ${path}: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
  }
  return JSON.parse(text) as T;
}
