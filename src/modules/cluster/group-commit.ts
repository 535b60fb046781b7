// Group commit for small transactions that rarely conflict (lease renewals): the ones submitted
// within windowMs go to the store as one transaction, all compares and all writes together, so 1,000
// nodes renewing every 10 s cost the store a few calls a second instead of 100 (on etcd each call
// is a gRPC round trip and a raft proposal on every member; bench/cluster). When the combined
// transaction fails, one of its compares did: each request is then tried on its own, so every
// caller gets the answer its own transaction would have had.
import type { StateStore, TxnRequest, TxnResult } from '../../contracts/state-store.js';

interface Pending {
  req: TxnRequest;
  keys: string[];
  resolve(r: TxnResult): void;
  reject(e: unknown): void;
}

/** Requests per combined transaction at most (etcd refuses more than 128 ops per branch by default; a renewal has up to 2). */
const maxBatch = 60;
/** Bytes of values per combined transaction at most (etcd refuses a request over 1.5 MiB by default). */
const maxBytes = 512 * 1024;

export class GroupCommit {
  private batch: Pending[] = [];
  private bytes = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: StateStore,
    private readonly windowMs: number,
  ) {}

  /** As store.txn(req), maybe combined with others (a request with failure ops goes alone). */
  submit(req: TxnRequest): Promise<TxnResult> {
    if (req.failure?.length) return this.store.txn(req);
    const keys = [...req.compare.map((c) => c.key), ...req.success.map((op) => op.key)];
    const bytes = req.success.reduce((n, op) => n + (op.type === 'put' ? JSON.stringify(op.value).length : 0), 0);
    // Two requests on one key cannot share a transaction (etcd refuses a key written twice, and the
    // second's compare would be of the state before the first).
    if (this.bytes + bytes > maxBytes || this.batch.some((p) => p.keys.some((k) => keys.includes(k)))) this.flush();
    return new Promise<TxnResult>((resolve, reject) => {
      this.batch.push({ req, keys, resolve, reject });
      this.bytes += bytes;
      if (this.batch.length >= maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.batch;
    this.batch = [];
    this.bytes = 0;
    if (batch.length) void this.commit(batch);
  }

  private async commit(batch: Pending[]): Promise<void> {
    if (batch.length > 1) {
      try {
        const r = await this.store.txn({ compare: batch.flatMap((p) => p.req.compare), success: batch.flatMap((p) => p.req.success) });
        if (r.succeeded) {
          let at = 0;
          for (const p of batch) p.resolve({ succeeded: true, revision: r.revision, results: r.results.slice(at, (at += p.req.success.length)) });
          return;
        }
      } catch (e) {
        for (const p of batch) p.reject(e);
        return;
      }
    }
    await Promise.all(batch.map((p) => this.store.txn(p.req).then(p.resolve, p.reject)));
  }
}
