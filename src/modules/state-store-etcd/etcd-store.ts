// The state store on an etcd v3 cluster (cluster mode). The contract was modelled on etcd, so most
// calls map one to one onto etcd's KV API: store revisions are etcd's revisions, compare-and-swap is
// an etcd transaction, watches are etcd watches with prev_kv. Keys live under a prefix (default
// /llmos) so that one etcd can hold other data too. The raw gRPC KV client of `etcd3` is used rather
// than its builder API because the contract needs exact ranges (after/limit) and per-op results.
import { Etcd3, type IOptions } from 'etcd3';
import type * as RPC from 'etcd3/lib/rpc.js';
import { Conflict, InvalidArgument, Unavailable, errorMessage } from '../../kernel/errors.js';
import type { Compare, KeyValue, ListOptions, StateStore, TxnOp, TxnRequest, TxnResult, WatchEvent } from '../../contracts/state-store.js';

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

const compareTargets = { modRevision: 'Mod', createRevision: 'Create', version: 'Version' } as const;
const compareOps = { '=': 'Equal', '!=': 'NotEqual', '<': 'Less', '>': 'Greater' } as const;

/** Maps an etcd/gRPC failure to the kernel's classes: unreachable or no quorum is Unavailable. */
function storeFailure(e: unknown): Error {
  if (e instanceof Conflict || e instanceof InvalidArgument || e instanceof Unavailable) return e;
  const msg = errorMessage(e);
  if (/compacted/i.test(msg)) return new Conflict(`store: the requested revision has been compacted (${msg})`);
  return new Unavailable(`store unavailable (no quorum or etcd unreachable): ${msg}`, { cause: e });
}

export class EtcdStore implements StateStore {
  readonly backend = 'etcd';
  private readonly client: Etcd3;
  private readonly prefix: Buffer;
  private readonly timeoutMs: number;
  private readonly watches = new Set<LocalWatch>();

  constructor(opts: EtcdStoreOptions) {
    if (opts.endpoints.length === 0) throw new InvalidArgument('etcd store: at least one endpoint is needed');
    this.prefix = Buffer.from(opts.prefix ?? '/llmos');
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.client = new Etcd3({
      hosts: opts.endpoints,
      auth: opts.auth,
      credentials: opts.credentials,
      // The client's default fault handling retries on another member when one is down; the
      // per-call deadline bounds the whole attempt.
      dialTimeout: this.timeoutMs,
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

  /** Runs one etcd call with the store's deadline and error mapping. */
  private async call<T>(fn: (opts: { deadline: Date }) => Promise<T>): Promise<T> {
    try {
      return await fn({ deadline: new Date(Date.now() + this.timeoutMs) });
    } catch (e) {
      throw storeFailure(e);
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
    const request_put = { key: this.full(key), value: Buffer.from(JSON.stringify(value)) };
    if (opts.prevRevision === undefined) {
      const res = await this.call((o) => this.client.kv.put(request_put, o));
      const revision = Number(res.header.revision);
      await this.settle([key], revision);
      return { revision };
    }
    const res = await this.call((o) => this.client.kv.txn({ compare: [{ key: request_put.key, target: 'Mod', result: 'Equal', mod_revision: opts.prevRevision }], success: [{ request_put }] }, o));
    if (!res.succeeded) throw new Conflict(`store: ${key} is not at revision ${opts.prevRevision}`);
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
    const res = await this.call((o) => this.client.kv.txn({ compare: req.compare.map((c) => this.compare(c)), success, failure }, o));
    const taken = res.succeeded ? req.success : (req.failure ?? []);
    const results = res.responses.map((r, i) => (taken[i]?.type === 'get' && r.response_range.kvs[0] ? this.toKv(r.response_range.kvs[0]) : undefined));
    const revision = Number(res.header.revision);
    const written = taken.filter((op) => op.type !== 'get').map((op) => op.key);
    if (written.length) await this.settle(written, revision);
    return { succeeded: res.succeeded, revision, results };
  }

  async watch(prefix: string, fromRevision: number, onEvent: (e: WatchEvent) => void): Promise<() => void> {
    // etcd only says "compacted" once the stream is open; ask first, so the caller gets the
    // contract's Conflict from this call. A range at a compacted revision fails, a kept one answers.
    const current = await this.revision();
    if (fromRevision < current) await this.call((o) => this.client.kv.range({ key: this.full(prefix), count_only: true, revision: Math.max(1, fromRevision) }, o));
    const local: LocalWatch = { prefix, delivered: Math.max(fromRevision, current), cancelled: false, stop: async () => undefined, waiters: [] };
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
    const pending = [...this.watches].filter((w) => w.delivered < revision && keys.some((k) => k.startsWith(w.prefix) || w.prefix.startsWith(k)));
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

function checkKey(key: string): void {
  if (typeof key !== 'string' || key === '') throw new InvalidArgument('store: keys must be non-empty strings');
}
