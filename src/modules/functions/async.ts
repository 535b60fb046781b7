// Asynchronous invocations: accepted with 202 and an id, kept in the state store until done,
// retried with exponential back-off, their result kept for a while (`llmos fn result ID`).
// Pending work survives a daemon restart: start() picks it up again.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { StateStore } from '../../contracts/state-store.js';
import { NotFound } from '../../kernel/errors.js';
import { InvocationFailed } from './failures.js';
import type { InvokeRequest, InvokeResponse } from './runtime/instance.js';
import { retryDelayMs } from './scaling.js';

const PREFIX = '/functions/async/';

export interface AsyncConfig {
  maxAttempts: number;
  retryBaseMs: number;
  retryCapMs: number;
  /** How long a finished invocation's result is kept. */
  retentionMs: number;
  /** Async invocations running at once, over all functions. */
  parallel: number;
}

export interface AsyncRecord {
  id: string;
  function: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  attempts: number;
  createdAt: string;
  updatedAt: string;
  nextAttemptAt?: string;
  request: { method: string; url: string; headers: [string, string][]; body?: string };
  result?: { status: number; headers: [string, string][]; body: string; bodyEncoding: 'utf8' | 'base64' };
  error?: string;
}

// Failures worth another try: the instance or the platform, not the caller's request.
const retryable = (e: unknown): boolean => !(e instanceof InvocationFailed) || !['not-found', 'body-too-large'].includes(e.reason);

export class AsyncInvocations {
  private readonly pending = new Map<string, number>(); // id -> due time
  private running = 0;
  private timer?: NodeJS.Timeout;
  private stopped = true;

  constructor(
    private readonly store: StateStore,
    private readonly invoke: (fn: string, req: InvokeRequest) => Promise<InvokeResponse>,
    private readonly cfg: AsyncConfig,
    private readonly log: Logger,
  ) {}

  async submit(fn: string, req: InvokeRequest): Promise<AsyncRecord> {
    const now = new Date().toISOString();
    const rec: AsyncRecord = {
      id: randomUUID(),
      function: fn,
      status: 'queued',
      attempts: 0,
      createdAt: now,
      updatedAt: now,
      request: { method: req.method, url: req.url, headers: req.headers, ...(req.body?.byteLength ? { body: Buffer.from(req.body).toString('base64') } : {}) },
    };
    await this.store.put(PREFIX + rec.id, rec);
    this.pending.set(rec.id, Date.now());
    this.kick();
    return rec;
  }

  async get(id: string): Promise<AsyncRecord> {
    const kv = await this.store.get<AsyncRecord>(PREFIX + id);
    if (!kv) throw new NotFound(`no async invocation ${id} (results are kept for ${Math.round(this.cfg.retentionMs / 60_000)} min)`);
    return kv.value;
  }

  async start(): Promise<void> {
    this.stopped = false;
    const { items } = await this.store.list<AsyncRecord>(PREFIX);
    for (const kv of items) {
      const r = kv.value;
      if (r.status === 'queued' || r.status === 'running') this.pending.set(r.id, r.nextAttemptAt ? Date.parse(r.nextAttemptAt) : Date.now());
    }
    this.kick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Deletes finished records older than the retention. */
  async expire(now = Date.now()): Promise<void> {
    const { items } = await this.store.list<AsyncRecord>(PREFIX);
    const old = items.filter((kv) => (kv.value.status === 'succeeded' || kv.value.status === 'failed') && now - Date.parse(kv.value.updatedAt) > this.cfg.retentionMs);
    if (old.length) await this.store.txn({ compare: [], success: old.map((kv) => ({ type: 'delete' as const, key: kv.key })) });
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
      void this.attempt(id).finally(() => {
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
    const rec = { ...kv.value, status: 'running' as const, attempts: kv.value.attempts + 1, updatedAt: new Date().toISOString() };
    await this.store.put(PREFIX + id, rec);
    const r = rec.request;
    let done: AsyncRecord;
    try {
      const res = await this.invoke(rec.function, { method: r.method, url: r.url, headers: r.headers, body: r.body ? Buffer.from(r.body, 'base64') : null });
      const body = Buffer.from(res.body ?? new Uint8Array());
      const text = body.toString('utf8');
      const utf8 = Buffer.from(text, 'utf8').equals(body);
      const result = { status: res.status, headers: res.headers, body: utf8 ? text : body.toString('base64'), bodyEncoding: utf8 ? ('utf8' as const) : ('base64' as const) };
      if (res.status >= 500 && rec.attempts < this.cfg.maxAttempts) done = this.retry(rec, `function answered ${res.status}`, result);
      else done = { ...rec, status: res.status >= 500 ? 'failed' : 'succeeded', result, updatedAt: new Date().toISOString(), nextAttemptAt: undefined };
    } catch (e) {
      const msg = (e as Error).message;
      if (retryable(e) && rec.attempts < this.cfg.maxAttempts) done = this.retry(rec, msg);
      else done = { ...rec, status: 'failed', error: msg, updatedAt: new Date().toISOString(), nextAttemptAt: undefined };
    }
    await this.store.put(PREFIX + id, done).catch((e: unknown) => this.log.warn({ err: e }, `async invocation ${id}: cannot save`));
  }

  private retry(rec: AsyncRecord, why: string, result?: AsyncRecord['result']): AsyncRecord {
    const at = Date.now() + retryDelayMs(rec.attempts, this.cfg.retryBaseMs, this.cfg.retryCapMs);
    this.pending.set(rec.id, at);
    return { ...rec, status: 'queued', error: why, ...(result ? { result } : {}), nextAttemptAt: new Date(at).toISOString(), updatedAt: new Date().toISOString() };
  }
}
