// Asynchronous invocations: accepted with 202 and an id, kept in the state store until done,
// retried with exponential back-off, their result kept for the function's TTL (`llmos fn result ID`)
// and then deleted. What a function may hold is bounded (async-quota.ts): past it, 429.
// The request body is a key of its own, written once and deleted when the invocation finishes, so
// status changes rewrite only a small record. Pending work survives a restart: start() resumes it.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { StateStore, TxnOp } from '../../contracts/state-store.js';
import { NotFound } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import { AsyncQuota, type AsyncLimits } from './async-quota.js';
import { InvocationFailed } from './failures.js';
import type { HistoryCompactor } from './history-compactor.js';
import type { InvokeRequest, InvokeResponse } from './runtime/instance.js';
import { wholeBody } from './runtime/whole-body.js';
import { retryDelayMs } from './scaling.js';
import type { AsyncRecord } from '../../contracts/functions.js';

export type { AsyncRecord };

const PREFIX = '/functions/async/';
const BODY = '/functions/async-body/';

export interface AsyncConfig {
  maxAttempts: number;
  retryBaseMs: number;
  retryCapMs: number;
  /** How long a finished invocation's result is kept when its function is gone (else the function's TTL). */
  retentionMs: number;
  /** Async invocations running at once, over all functions. */
  parallel: number;
  /** Bytes all functions' async invocations may hold together. */
  maxTotalBytes: number;
  /** Largest result body kept; a larger one is dropped (the record says how large it was). */
  maxResultBytes: number;
}

// Failures worth another try: the instance or the platform, not the caller's request.
const retryable = (e: unknown): boolean => !(e instanceof InvocationFailed) || !['not-found', 'body-too-large'].includes(e.reason);
const headerBytes = (h: [string, string][]): number => h.reduce((a, [k, v]) => a + k.length + v.length + 4, 0);
const finished = (r: AsyncRecord): boolean => r.status === 'succeeded' || r.status === 'failed';

export class AsyncInvocations {
  private readonly pending = new Map<string, number>(); // id -> due time
  private readonly expiries = new Map<string, number>(); // finished id -> expiry time
  private readonly quota: AsyncQuota;
  private running = 0;
  private timer?: NodeJS.Timeout;
  private expiryTimer?: NodeJS.Timeout;
  private expiring?: Promise<void>;
  private stopped = true;

  constructor(
    private readonly store: StateStore,
    private readonly invoke: (fn: string, req: InvokeRequest) => Promise<InvokeResponse>,
    private readonly cfg: AsyncConfig,
    private readonly log: Logger,
    /** The function's limits (its spec), or undefined when it is gone. */
    private readonly limitsOf: (fn: string) => AsyncLimits | undefined,
    private readonly compactor?: HistoryCompactor,
  ) {
    this.quota = new AsyncQuota(cfg.maxTotalBytes);
  }

  private limits(fn: string): AsyncLimits {
    return this.limitsOf(fn) ?? { ttlMs: this.cfg.retentionMs, maxRecords: 0, maxBytes: 0 };
  }

  usage(fn: string): { records: number; bytes: number } {
    return this.quota.usage(fn);
  }

  /** Throws the 429 a submission of about this many bytes would get now. */
  check(fn: string, bytes: number): void {
    this.quota.check(fn, bytes, this.limits(fn), () => this.retryAfterSeconds(fn));
  }

  async submit(fn: string, req: InvokeRequest): Promise<AsyncRecord> {
    const limits = this.limits(fn);
    const body = req.body?.byteLength ? Buffer.from(req.body) : undefined;
    const bytes = (body?.length ?? 0) + headerBytes(req.headers) + req.url.length;
    if (bytes > limits.maxBytes) throw new InvocationFailed('body-too-large', `async request of ${bytes} bytes exceeds the async byte quota of ${limits.maxBytes} of function ${fn}`);
    const now = new Date().toISOString();
    const rec: AsyncRecord = {
      id: randomUUID(),
      function: fn,
      status: 'queued',
      attempts: 0,
      createdAt: now,
      updatedAt: now,
      bytes,
      request: { method: req.method, url: req.url, headers: req.headers, bodyBytes: body?.length ?? 0 },
    };
    this.quota.admit(fn, rec.id, bytes, limits, () => this.retryAfterSeconds(fn));
    try {
      const ops: TxnOp[] = [{ type: 'put', key: PREFIX + rec.id, value: rec }];
      if (body) ops.push({ type: 'put', key: BODY + rec.id, value: body.toString('base64') });
      faultPoint('functions.async.submit');
      await this.store.txn({ compare: [], success: ops });
    } catch (e) {
      this.quota.release(rec.id);
      throw e;
    }
    this.compactor?.touch();
    this.pending.set(rec.id, Date.now());
    this.kick();
    return rec;
  }

  async get(id: string): Promise<AsyncRecord> {
    const kv = await this.store.get<AsyncRecord>(PREFIX + id);
    const exp = kv?.value.expiresAt ? Date.parse(kv.value.expiresAt) : Infinity;
    if (!kv || exp <= Date.now()) {
      if (kv) this.scheduleExpiry(0);
      throw new NotFound(`no async invocation ${id} (results are kept for their function's async TTL, ${Math.round(this.cfg.retentionMs / 60_000)} min by default)`);
    }
    return kv.value;
  }

  async start(): Promise<void> {
    this.stopped = false;
    const { items } = await this.store.list<AsyncRecord>(PREFIX);
    for (const kv of items) {
      const r = kv.value;
      this.quota.restore(r.function, r.id, r.bytes ?? 0);
      if (finished(r)) this.expiries.set(r.id, r.expiresAt ? Date.parse(r.expiresAt) : Date.parse(r.updatedAt) + this.limits(r.function).ttlMs);
      else this.pending.set(r.id, r.nextAttemptAt ? Date.parse(r.nextAttemptAt) : Date.now());
    }
    this.kick();
    this.scheduleExpiry();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.expiryTimer);
  }

  /** Deletes finished records whose TTL has passed (with any body left) and frees their quota. */
  async expire(now = Date.now()): Promise<number> {
    const due = [...this.expiries.entries()].filter(([, t]) => t <= now).map(([id]) => id);
    for (let i = 0; i < due.length; i += 200) {
      const ids = due.slice(i, i + 200);
      faultPoint('functions.async.expire');
      await this.store.txn({ compare: [], success: ids.flatMap((id) => [{ type: 'delete' as const, key: PREFIX + id }, { type: 'delete' as const, key: BODY + id }]) });
      for (const id of ids) {
        this.expiries.delete(id);
        this.quota.release(id);
      }
    }
    if (due.length) this.compactor?.touch();
    return due.length;
  }

  /** Seconds until the function is likely to have room: its first result to expire, else a retry delay. */
  private retryAfterSeconds(fn: string): number {
    let first = Infinity;
    for (const [id, t] of this.expiries) if (t < first && this.quota.functionOf(id) === fn) first = t;
    const wait = Number.isFinite(first) ? first - Date.now() : this.cfg.retryBaseMs;
    return Math.max(1, Math.ceil(wait / 1000));
  }

  private scheduleExpiry(delay?: number): void {
    if (this.stopped) return;
    clearTimeout(this.expiryTimer);
    const next = delay ?? Math.min(...this.expiries.values()) - Date.now();
    if (!Number.isFinite(next)) return;
    this.expiryTimer = setTimeout(() => {
      // One sweep at a time; the next is scheduled when it ends.
      this.expiring ??= this.expire()
        .catch((e: unknown) => this.log.warn({ err: e }, 'expiring async results failed'))
        .then(() => {
          this.expiring = undefined;
          this.scheduleExpiry();
        });
    }, Math.min(2 ** 31 - 1, Math.max(0, next)));
    this.expiryTimer.unref();
  }

  private kick(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const now = Date.now();
    const due = [...this.pending.entries()].filter(([, t]) => t <= now).map(([id]) => id);
    for (const id of due) {
      if (this.running >= this.cfg.parallel) break;
      this.pending.delete(id);
      this.running++;
      void this.attempt(id)
        .catch((e: unknown) => this.log.warn({ err: e }, `async invocation ${id}: attempt failed`))
        .finally(() => {
          this.running--;
          this.kick();
        });
    }
    const next = Math.min(...this.pending.values());
    if (Number.isFinite(next)) this.timer = setTimeout(() => this.kick(), Math.max(10, next - now));
  }

  private async attempt(id: string): Promise<void> {
    const kv = await this.store.get<AsyncRecord>(PREFIX + id);
    if (!kv) return;
    const rec: AsyncRecord = { ...kv.value, status: 'running', attempts: kv.value.attempts + 1, updatedAt: new Date().toISOString() };
    await this.store.put(PREFIX + id, rec);
    const r = rec.request;
    const stored = r.body ?? (r.bodyBytes ? (await this.store.get<string>(BODY + id))?.value : undefined);
    let done: AsyncRecord;
    try {
      const res = await wholeBody(await this.invoke(rec.function, { method: r.method, url: r.url, headers: r.headers, body: stored ? Buffer.from(stored, 'base64') : null }), this.cfg.maxResultBytes + 1);
      if (res.status >= 500 && rec.attempts < this.cfg.maxAttempts) done = this.retry(rec, `function answered ${res.status}`);
      else done = this.finish(rec, res.status >= 500 ? 'failed' : 'succeeded', { res });
    } catch (e) {
      const msg = (e as Error).message;
      done = retryable(e) && rec.attempts < this.cfg.maxAttempts ? this.retry(rec, msg) : this.finish(rec, 'failed', { error: msg });
    }
    const ops: TxnOp[] = [{ type: 'put', key: PREFIX + id, value: done }];
    if (finished(done)) ops.push({ type: 'delete', key: BODY + id });
    faultPoint('functions.async.finish');
    try {
      await this.store.txn({ compare: [], success: ops });
    } catch (e) {
      this.log.warn({ err: e }, `async invocation ${id}: cannot save`);
    }
    this.compactor?.touch();
    if (finished(done)) {
      this.expiries.set(id, Date.parse(done.expiresAt!));
      this.scheduleExpiry();
    }
  }

  /** The finished record: the result kept if it fits the quota (replacing the request's bytes). */
  private finish(rec: AsyncRecord, status: 'succeeded' | 'failed', out: { res?: InvokeResponse; error?: string }): AsyncRecord {
    const limits = this.limits(rec.function);
    const now = Date.now();
    let result: AsyncRecord['result'];
    let error = out.error;
    let bytes = 0;
    if (out.res) {
      const { status: code, headers } = out.res;
      const body = Buffer.from(out.res.body ?? new Uint8Array());
      const hb = headerBytes(headers);
      if (body.length <= this.cfg.maxResultBytes && this.quota.tryResize(rec.id, hb + body.length, limits)) {
        bytes = hb + body.length;
        const text = body.toString('utf8');
        const utf8 = Buffer.from(text, 'utf8').equals(body);
        result = { status: code, headers, body: utf8 ? text : body.toString('base64'), bodyEncoding: utf8 ? 'utf8' : 'base64' };
      } else {
        const keepHeaders = this.quota.tryResize(rec.id, hb, limits);
        if (!keepHeaders) this.quota.tryResize(rec.id, 0, limits); // shrinking always fits
        bytes = keepHeaders ? hb : 0;
        error = `result of ${body.length} bytes not kept: over the function's async byte quota (${limits.maxBytes}) or the largest kept result (${this.cfg.maxResultBytes})`;
        result = { status: code, headers: keepHeaders ? headers : [], body: '', bodyEncoding: 'utf8', omittedBytes: body.length };
      }
    } else this.quota.tryResize(rec.id, 0, limits);
    const { nextAttemptAt: _n, error: _e, ...rest } = rec;
    return { ...rest, status, bytes, ...(result ? { result } : {}), ...(error ? { error } : {}), updatedAt: new Date(now).toISOString(), expiresAt: new Date(now + limits.ttlMs).toISOString() };
  }

  private retry(rec: AsyncRecord, why: string): AsyncRecord {
    const at = Date.now() + retryDelayMs(rec.attempts, this.cfg.retryBaseMs, this.cfg.retryCapMs);
    this.pending.set(rec.id, at);
    return { ...rec, status: 'queued', error: why, nextAttemptAt: new Date(at).toISOString(), updatedAt: new Date().toISOString() };
  }
}
