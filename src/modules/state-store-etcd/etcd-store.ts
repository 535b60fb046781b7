// The state store on an etcd v3 cluster (cluster mode). The contract was modelled on etcd, so most
// calls map one to one onto etcd's KV API: store revisions are etcd's revisions, compare-and-swap is
// an etcd transaction, watches are etcd watches with prev_kv. Keys live under a prefix (default
// /llmos) so that one etcd can hold other data too. The raw gRPC KV client of `etcd3` is used rather
// than its builder API because the contract needs exact ranges (after/limit) and per-op results.
import { circuitBreaker, ConsecutiveBreaker, handleWhen, noop } from 'cockatiel';
import { Etcd3, isRecoverableError, type IOptions } from 'etcd3';
import type * as RPC from 'etcd3/lib/rpc.js';
import { Conflict, InvalidArgument, Unavailable, errorMessage } from '../../kernel/errors.js';
import { majorityReachable } from './quorum-probe.js';
import type { Compare, KeyValue, ListOptions, StateStore, TxnOp, TxnRequest, TxnResult, WatchEvent, WatchOptions } from '../../contracts/state-store.js';

export interface EtcdStoreOptions {
  endpoints: string[];
  /** Every LLMOS key is stored under this prefix. */
  prefix?: string;
  /** Per-call deadline: a call that cannot reach a quorum fails with Unavailable after it. */
  timeoutMs?: number;
  auth?: IOptions['auth'];
  credentials?: IOptions['credentials'];
}

interface LocalWatch {
  prefix: string;
  /** Highest revision this watch has delivered (or been told it is past, by a progress notice). */
  delivered: number;
  cancelled: boolean;
  /** Writes wait for this watch's delivery (WatchOptions.readYourWrites). */
  settles: boolean;
  /** Stops the etcd watch (set once it is open). */
  stop: () => Promise<void>;
  waiters: Array<{ rev: number; resolve: () => void }>;
}

/** The smallest byte string greater than every key starting with `prefix` (etcd's prefix range end). */
export function rangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** gRPC call options as the etcd3 client takes them (its grpc-js is not a dependency of ours). */
type CallOptions = NonNullable<Parameters<RPC.KVClient['range']>[1]>;

const compareTargets = { modRevision: 'Mod', createRevision: 'Create', version: 'Version' } as const;
const compareOps = { '=': 'Equal', '!=': 'NotEqual', '<': 'Less', '>': 'Greater' } as const;

/** How long a call waits out an etcd leader election while most members are up (etcd's take about a second). */
const electionWaitMs = 5000;

/** The one message of a store that cannot answer (no leader, past the deadline, no member reachable). */
export const noQuorum = 'store unavailable (no quorum)';

/**
 * Maps an etcd/gRPC failure to the kernel's classes: no leader, a deadline or an unreachable
 * cluster is Unavailable (HTTP 503) with noQuorum and the etcd reason after it.
 */
export function storeFailure(e: unknown): Error {
  if (e instanceof Conflict || e instanceof InvalidArgument || e instanceof Unavailable) return e;
  const msg = errorMessage(e);
  if (/compacted/i.test(msg)) return new Conflict(`store: the requested revision has been compacted (${msg})`);
  return new Unavailable(`${noQuorum}: ${msg.replace(/\s*Please report this error at \S+/, '')}`, { cause: e });
}

export class EtcdStore implements StateStore {
  readonly backend = 'etcd';
  private readonly client: Etcd3;
  private readonly prefix: Buffer;
  private readonly timeoutMs: number;
  private readonly endpoints: readonly string[];
  private readonly watches = new Set<LocalWatch>();

  constructor(opts: EtcdStoreOptions) {
    if (opts.endpoints.length === 0) throw new InvalidArgument('etcd store: at least one endpoint is needed');
    this.prefix = Buffer.from(opts.prefix ?? '/llmos');
    this.timeoutMs = opts.timeoutMs ?? 1500;
    this.endpoints = opts.endpoints;
    this.client = new Etcd3({
      hosts: opts.endpoints,
      auth: opts.auth,
      credentials: opts.credentials,
      // Retries are call()'s, not the client's: its default retries a call past its deadline three
      // times, and a transaction that was applied but answered late then fails its own compare (CI:
      // a token create refused as "not at revision 0"). call() knows which calls are writes.
      dialTimeout: this.timeoutMs,
      faultHandling: {
        global: noop,
        // The client's default breaker shuts a member out for 5 s after 3 consecutive failures. With
        // one member there is none to fail over to: that turned a few calls past their deadline on a
        // loaded machine into 5 s of refused calls (bench/cluster). With several, the live members
        // fail too while they elect a leader, and all were shut out for 5 s (CI: a rolling update
        // rolled back on "circuit breaker is open"): a dead member is now skipped for 1 s at a time.
        host: () => (opts.endpoints.length === 1 ? noop : circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(3) })),
      },
    });
  }

  private full(key: string): Buffer {
    return Buffer.concat([this.prefix, Buffer.from(key)]);
  }

  private toKv<V>(kv: RPC.IKeyValue): KeyValue<V> {
    return {
      key: kv.key.subarray(this.prefix.length).toString(),
      value: JSON.parse(kv.value.toString()) as V,
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
      version: Number(kv.version),
    };
  }

  /**
   * Runs one etcd call with the error mapping. Each attempt gets a third of the store's deadline, so
   * a first attempt on a dead member (a channel still connecting) leaves time for another. Attempts
   * go on for timeoutMs; while most members accept connections (an election), for up to
   * electionWaitMs; with most members down the first failure past timeoutMs is the answer. A call
   * given up on may still be applied: as any 503, its outcome is unknown. fn is told the attempt
   * number: a write's later attempt may follow one that was applied (see txn()).
   */
  private async call<T>(fn: (opts: CallOptions, attempt: number) => Promise<T>): Promise<T> {
    const started = Date.now();
    const perAttemptMs = Math.max(100, Math.floor(this.timeoutMs / 3));
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt((o) => fn(o, attempt), perAttemptMs);
      } catch (e) {
        if (!(e instanceof Unavailable)) throw e;
        const elapsed = Date.now() - started + perAttemptMs;
        const again = elapsed <= this.timeoutMs || (this.endpoints.length > 1 && elapsed <= Math.max(electionWaitMs, 3 * this.timeoutMs) && (await majorityReachable(this.endpoints)));
        if (!again) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** One try, bounded by its gRPC deadline and, should the client not honour it, by a timer. */
  private async attempt<T>(fn: (opts: CallOptions) => Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Unavailable(`${noQuorum}: no answer within ${ms} ms`)), ms + 100)));
    try {
      return await Promise.race([fn({ deadline: Date.now() + ms }), late]);
    } catch (e) {
      throw storeFailure(e);
    } finally {
      clearTimeout(timer);
    }
  }

  async get<V = unknown>(key: string): Promise<KeyValue<V> | undefined> {
    const res = await this.call((o) => this.client.kv.range({ key: this.full(key) }, o));
    return res.kvs[0] ? this.toKv<V>(res.kvs[0]) : undefined;
  }

  async list<V = unknown>(prefix: string, opts: ListOptions = {}): Promise<{ items: KeyValue<V>[]; revision: number }> {
    const start = opts.after !== undefined && opts.after >= prefix ? Buffer.concat([this.full(opts.after), Buffer.from([0])]) : this.full(prefix);
    const res = await this.call((o) => this.client.kv.range({ key: start, range_end: rangeEnd(this.full(prefix)), limit: opts.limit ?? 0 }, o));
    return { items: res.kvs.map((kv) => this.toKv<V>(kv)), revision: Number(res.header.revision) };
  }

  async put(key: string, value: unknown, opts: { prevRevision?: number } = {}): Promise<{ revision: number }> {
    checkKey(key);
    if (opts.prevRevision !== undefined) {
      const r = await this.txn({ compare: [{ key, target: 'modRevision', value: opts.prevRevision }], success: [{ type: 'put', key, value }] });
      if (!r.succeeded) throw new Conflict(`store: ${key} is not at revision ${opts.prevRevision}`);
      return { revision: r.revision };
    }
    // Made again after a lost answer, a plain put writes the same value: no harm done.
    const res = await this.call((o) => this.client.kv.put({ key: this.full(key), value: Buffer.from(JSON.stringify(value)) }, o));
    const revision = Number(res.header.revision);
    await this.settle([key], revision);
    return { revision };
  }

  async delete(key: string, opts: { prefix?: boolean } = {}): Promise<{ deleted: number; revision: number }> {
    const k = this.full(key);
    const res = await this.call((o) => this.client.kv.deleteRange({ key: k, ...(opts.prefix ? { range_end: rangeEnd(k) } : {}) }, o));
    const deleted = Number(res.deleted);
    const revision = Number(res.header.revision);
    if (deleted > 0) await this.settle([key], revision);
    return { deleted, revision };
  }

  private op(op: TxnOp): RPC.IRequestOp {
    if (op.type === 'put') {
      checkKey(op.key);
      return { request_put: { key: this.full(op.key), value: Buffer.from(JSON.stringify(op.value)) } };
    }
    const k = this.full(op.key);
    if (op.type === 'delete') return { request_delete_range: { key: k, ...(op.prefix ? { range_end: rangeEnd(k) } : {}) } };
    return { request_range: { key: k } };
  }

  private compare(c: Compare): RPC.ICompare {
    const key = this.full(c.key);
    if (c.target === 'exists') return { key, target: 'Version', result: c.value ? 'Greater' : 'Equal', version: 0 };
    const field = { modRevision: 'mod_revision', createRevision: 'create_revision', version: 'version' }[c.target];
    return { key, target: compareTargets[c.target], result: compareOps[c.op ?? '='], [field]: c.value };
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    // Build every op first: a bad op rejects the whole transaction before anything is sent.
    const success = req.success.map((op) => this.op(op));
    const failure = (req.failure ?? []).map((op) => this.op(op));
    let retried = false;
    const res = await this.call((o, attempt) => ((retried = attempt > 1), this.client.kv.txn({ compare: req.compare.map((c) => this.compare(c)), success, failure }, o)));
    // A failed attempt may have been applied with its answer lost; then the next one fails its
    // own compare. Tell that from a real conflict by what the success branch wrote (a branch that
    // writes nothing is a read: the retry's answer stands).
    const landed = !res.succeeded && retried && writtenKeys(req.success).length ? await this.landed(req.success) : undefined;
    if (landed) {
      await this.settle(writtenKeys(req.success), landed.revision);
      return landed;
    }
    const taken = res.succeeded ? req.success : (req.failure ?? []);
    const results = res.responses.map((r, i) => (taken[i]?.type === 'get' && r.response_range.kvs[0] ? this.toKv(r.response_range.kvs[0]) : undefined));
    const revision = Number(res.header.revision);
    const written = writtenKeys(taken);
    if (written.length) await this.settle(written, revision);
    return { succeeded: res.succeeded, revision, results };
  }

  /**
   * The result of an earlier attempt of this success branch if the store shows it applied: every
   * key it puts holds the bytes it wrote, all at one revision (a transaction's writes share one),
   * and every key it deletes is gone. Another writer could only match that by writing the same
   * state, and then the caller's intent holds too. A branch of deletes (and gets) shows no
   * revision of its own: the store's current one is given.
   */
  private async landed(ops: TxnOp[]): Promise<TxnResult | undefined> {
    const reads = ops.map((op) => (op.type === 'delete' ? { request_range: { key: this.full(op.key), ...(op.prefix ? { range_end: rangeEnd(this.full(op.key)) } : {}), count_only: true } } : { request_range: { key: this.full(op.key) } }));
    const res = await this.call((o) => this.client.kv.txn({ compare: [], success: reads, failure: [] }, o));
    const revisions = new Set<number>();
    const results: Array<KeyValue | undefined> = [];
    for (const [i, op] of ops.entries()) {
      const range = res.responses[i]!.response_range;
      const kv = range.kvs[0];
      if (op.type === 'delete' && Number(range.count) !== 0) return undefined;
      if (op.type === 'put') {
        if (!kv || kv.value.toString() !== JSON.stringify(op.value)) return undefined;
        revisions.add(Number(kv.mod_revision));
      }
      results.push(op.type === 'get' && kv ? this.toKv(kv) : undefined);
    }
    if (revisions.size > 1) return undefined;
    return { succeeded: true, revision: revisions.size ? [...revisions][0]! : Number(res.header.revision), results };
  }

  async watch(prefix: string, fromRevision: number, onEvent: (e: WatchEvent) => void, opts: WatchOptions = {}): Promise<() => void> {
    // etcd only says "compacted" once the stream is open; ask first, so the caller gets the
    // contract's Conflict from this call. A range at a compacted revision fails, a kept one answers.
    const current = await this.revision();
    if (fromRevision < current) await this.call((o) => this.client.kv.range({ key: this.full(prefix), count_only: true, revision: Math.max(1, fromRevision) }, o));
    const local: LocalWatch = { prefix, delivered: Math.max(fromRevision, current), cancelled: false, settles: opts.readYourWrites !== false, stop: async () => undefined, waiters: [] };
    const deliver = (type: 'put' | 'delete', kv: RPC.IKeyValue, prev?: RPC.IKeyValue) => {
      if (local.cancelled) return;
      const rev = Number(kv.mod_revision);
      // A delete event carries no value: the contract's kv for a delete is the key as it was.
      const base = type === 'delete' ? { key: kv.key.subarray(this.prefix.length).toString(), value: prev ? JSON.parse(prev.value.toString()) : null, createRevision: prev ? Number(prev.create_revision) : 0, modRevision: rev, version: 0 } : this.toKv(kv);
      onEvent({ type, kv: base, ...(prev ? { prev: this.toKv(prev) } : {}) });
      this.advance(local, rev);
    };
    const watcher = await this.call(() => this.client.watch().prefix(this.full(prefix).toString()).startRevision(String(fromRevision + 1)).withPreviousKV().create());
    watcher.on('put', (kv, prev) => deliver('put', kv, prev));
    watcher.on('delete', (kv, prev) => deliver('delete', kv, prev));
    watcher.on('data', (res) => this.advance(local, Number(res.header.revision)));
    // The client reconnects and resumes by itself; errors while it does so are not fatal here.
    watcher.on('error', () => undefined);
    local.stop = () => watcher.cancel().catch(() => undefined);
    this.watches.add(local);
    return () => void this.unwatch(local);
  }

  private async unwatch(local: LocalWatch): Promise<void> {
    local.cancelled = true;
    this.watches.delete(local);
    for (const w of local.waiters.splice(0)) w.resolve();
    await local.stop();
  }

  private advance(local: LocalWatch, rev: number): void {
    if (rev <= local.delivered) return;
    local.delivered = rev;
    local.waiters = local.waiters.filter((w) => (w.rev <= rev ? (w.resolve(), false) : true));
  }

  /**
   * Read-your-writes for this process's watches: a write resolves once every local watch covering
   * one of its keys has delivered it, as with the embedded store (controllers rely on seeing their
   * own change before the next step). Bounded by the call deadline: a slow stream is not an error.
   */
  private async settle(keys: string[], revision: number): Promise<void> {
    const pending = [...this.watches].filter((w) => w.settles && w.delivered < revision && keys.some((k) => k.startsWith(w.prefix) || w.prefix.startsWith(k)));
    if (!pending.length) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, this.timeoutMs)));
    await Promise.race([Promise.all(pending.map((w) => new Promise<void>((resolve) => w.waiters.push({ rev: revision, resolve })))), timeout]);
    clearTimeout(timer);
  }

  async revision(): Promise<number> {
    const res = await this.call((o) => this.client.kv.range({ key: this.prefix, count_only: true }, o));
    return Number(res.header.revision);
  }

  async compact(revision: number): Promise<void> {
    await this.call((o) => this.client.kv.compact({ revision, physical: true }, o));
  }

  async close(): Promise<void> {
    await Promise.all([...this.watches].map((w) => this.unwatch(w)));
    this.client.close();
  }
}

/** The keys a branch of a transaction puts or deletes. */
function writtenKeys(ops: readonly TxnOp[]): string[] {
  return ops.filter((op) => op.type !== 'get').map((op) => op.key);
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key === '') throw new InvalidArgument('store: keys must be non-empty strings');
}
