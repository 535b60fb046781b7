// Queues (Workers Queues) kept in the state store: producers send with env.Q.send/sendBatch (or the
// API), a queue's consumer function gets them in batches through its queue(batch, env, ctx)
// handler. Delivery is at least once: a message is deleted only when its batch's outcome acks it
// (what the handler did not decide is acked when it returns, retried when it throws); a retried
// message comes back after its delay until max retries, then goes to the dead-letter queue (or is
// dropped, logged). Messages not yet acked when the daemon stops are delivered again after it starts.
import { randomBytes } from 'node:crypto';
import type { StateStore } from '../../contracts/state-store.js';
import type { QueueInfo, QueueInput } from '../../contracts/functions.js';
import { AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, ResourceExhausted, errorMessage } from '../../kernel/errors.js';
import type { FunctionLogs } from './logs.js';
import type { InvokeRequest, InvokeResponse } from './runtime/instance.js';

export const QUEUE_METHOD = 'LLMOS-QUEUE';
const SPECS = '/functions/queues/specs/';
const MSGS = '/functions/queues/msgs/';
const NAME = /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/i;
const MAX_BODY = 128 * 1024; // Workers: 128 KB per message
const MAX_SEND = 256 * 1024; // and 256 KB per sendBatch
const MAX_DELAY_S = 43_200; // 12 h
const MAX_BACKLOG = 100_000;

export interface QueueSpec {
  name: string;
  consumer?: string;
  batchSize: number;
  batchTimeoutMs: number;
  maxRetries: number;
  deadLetterQueue?: string;
  retryDelayMs: number;
  createdAt: string;
}

interface Message {
  key: string;
  id: string;
  body: string;
  contentType: string;
  /** Deliveries so far. */
  attempts: number;
  timestamp: number;
  visibleAt: number;
}

interface Queue {
  spec: QueueSpec;
  msgs: Message[];
  inflight: Set<Message>;
  busy: boolean;
  timer?: NodeJS.Timeout;
  counts: { delivered: number; acked: number; retried: number; deadLettered: number; dropped: number };
}

export interface WireMessage {
  body: string;
  contentType: string;
  delaySeconds?: number;
}

type Decision = { ack: true } | { retry: number | null };

const range = (v: number | undefined, def: number, lo: number, hi: number, what: string): number => {
  const n = v ?? def;
  if (!Number.isInteger(n) || n < lo || n > hi) throw new InvalidArgument(`${what} must be an integer from ${lo} to ${hi}, got ${v}`);
  return n;
};

export class FunctionQueues {
  private readonly queues = new Map<string, Queue>();
  private seq = 0;
  private stopped = false;

  constructor(
    private readonly store: StateStore,
    private readonly invoke: (fn: string, req: InvokeRequest) => Promise<InvokeResponse>,
    /** undefined: no such function; queue consumers must be isolate functions. */
    private readonly runtimeOf: (fn: string) => 'isolate' | 'image' | undefined,
    private readonly logs: FunctionLogs,
  ) {}

  async load(): Promise<void> {
    const [{ items: specs }, { items: msgs }] = await Promise.all([this.store.list<QueueSpec>(SPECS), this.store.list<Omit<Message, 'key'>>(MSGS)]);
    for (const kv of specs) this.queues.set(kv.value.name, this.fresh(kv.value));
    for (const kv of msgs) {
      const q = this.queues.get(kv.key.slice(MSGS.length).split('/')[0]!);
      if (q) q.msgs.push({ ...kv.value, key: kv.key });
    }
  }

  private fresh(spec: QueueSpec): Queue {
    return { spec, msgs: [], inflight: new Set(), busy: false, counts: { delivered: 0, acked: 0, retried: 0, deadLettered: 0, dropped: 0 } };
  }

  start(): void {
    for (const q of this.queues.values()) this.schedule(q);
  }

  stop(): void {
    this.stopped = true;
    for (const q of this.queues.values()) clearTimeout(q.timer);
  }

  async create(input: QueueInput): Promise<QueueInfo> {
    if (!NAME.test(input.name)) throw new InvalidArgument(`queue name "${input.name}" must be letters, digits, - or _ (at most 63)`);
    if (this.queues.has(input.name)) throw new AlreadyExists(`queue ${input.name} already exists`);
    if (input.consumer !== undefined) this.checkConsumer(input.consumer);
    if (input.deadLetterQueue !== undefined && (input.deadLetterQueue === input.name || !this.queues.has(input.deadLetterQueue))) throw new InvalidArgument(`dead-letter queue ${input.deadLetterQueue} must be another existing queue`);
    const spec: QueueSpec = {
      name: input.name,
      ...(input.consumer !== undefined ? { consumer: input.consumer } : {}),
      batchSize: range(input.batchSize, 10, 1, 100, 'batch size'),
      batchTimeoutMs: range(input.batchTimeoutMs, 5000, 0, 60_000, 'batch timeout (ms)'),
      maxRetries: range(input.maxRetries, 3, 0, 100, 'max retries'),
      ...(input.deadLetterQueue !== undefined ? { deadLetterQueue: input.deadLetterQueue } : {}),
      retryDelayMs: range(input.retryDelayMs, 0, 0, MAX_DELAY_S * 1000, 'retry delay (ms)'),
      createdAt: new Date().toISOString(),
    };
    await this.store.put(SPECS + spec.name, spec);
    const q = this.fresh(spec);
    this.queues.set(spec.name, q);
    return this.info(q);
  }

  private checkConsumer(fn: string): void {
    const rt = this.runtimeOf(fn);
    if (rt === undefined) throw new InvalidArgument(`consumer ${fn}: no function of that name`);
    if (rt !== 'isolate') throw new InvalidArgument(`consumer ${fn}: queue consumers are isolate functions (a queue(batch, env, ctx) handler)`);
  }

  list(): QueueInfo[] {
    return [...this.queues.values()].sort((a, b) => a.spec.name.localeCompare(b.spec.name)).map((q) => this.info(q));
  }

  inspect(name: string): QueueInfo {
    return this.info(this.get(name));
  }

  private get(name: string): Queue {
    const q = this.queues.get(name);
    if (!q) throw new NotFound(`no queue named ${name}`);
    return q;
  }

  async remove(name: string): Promise<void> {
    const q = this.get(name);
    const users = [...this.queues.values()].filter((o) => o.spec.deadLetterQueue === name).map((o) => o.spec.name);
    if (users.length) throw new FailedPrecondition(`queue ${name} is the dead-letter queue of ${users.join(', ')}`);
    clearTimeout(q.timer);
    this.queues.delete(name);
    await this.store.txn({ compare: [], success: [{ type: 'delete', key: SPECS + name }, { type: 'delete', key: `${MSGS}${name}/`, prefix: true }] });
  }

  private info(q: Queue): QueueInfo {
    return { ...q.spec, backlog: q.msgs.length, inflight: q.inflight.size, ...q.counts };
  }

  /** Sends messages (already encoded by the producer binding or the API); the whole batch or nothing. */
  async send(name: string, messages: WireMessage[]): Promise<void> {
    const q = this.get(name);
    if (!Array.isArray(messages) || messages.length < 1 || messages.length > 100) throw new InvalidArgument(`queue ${name}: send 1 to 100 messages at once`);
    let total = 0;
    const now = Date.now();
    const made: Message[] = messages.map((m) => {
      if (typeof m?.body !== 'string' || !['v8', 'json', 'text', 'bytes'].includes(m.contentType)) throw new InvalidArgument(`queue ${name}: a message is a body and a contentType (v8, json, text or bytes)`);
      const size = Buffer.byteLength(m.body);
      if (size > MAX_BODY) throw new InvalidArgument(`queue ${name}: a message of ${size} bytes is over the limit of ${MAX_BODY}`);
      total += size;
      const d = m.delaySeconds ?? 0;
      if (!(typeof d === 'number' && d >= 0 && d <= MAX_DELAY_S)) throw new InvalidArgument(`queue ${name}: delaySeconds must be from 0 to ${MAX_DELAY_S}`);
      const id = `${now.toString(36).padStart(9, '0')}-${(++this.seq).toString(36).padStart(6, '0')}-${randomBytes(4).toString('hex')}`;
      return { key: `${MSGS}${name}/${id}`, id, body: m.body, contentType: m.contentType, attempts: 0, timestamp: now, visibleAt: now + d * 1000 };
    });
    if (total > MAX_SEND) throw new InvalidArgument(`queue ${name}: ${total} bytes in one send, over the limit of ${MAX_SEND}`);
    if (q.msgs.length + made.length > MAX_BACKLOG) throw new ResourceExhausted(`queue ${name} holds ${q.msgs.length} messages (limit ${MAX_BACKLOG})`);
    await this.store.txn({ compare: [], success: made.map(({ key, ...v }) => ({ type: 'put' as const, key, value: v })) });
    if (!this.queues.has(name)) return; // removed meanwhile
    q.msgs.push(...made);
    this.schedule(q);
  }

  /** A function was deployed or removed: its queues may deliver now. */
  poke(): void {
    for (const q of this.queues.values()) this.schedule(q);
  }

  private schedule(q: Queue): void {
    clearTimeout(q.timer);
    q.timer = undefined;
    if (this.stopped || q.busy || !q.spec.consumer || this.runtimeOf(q.spec.consumer) !== 'isolate') return;
    const now = Date.now();
    const ready = q.msgs.filter((m) => m.visibleAt <= now);
    if (ready.length >= q.spec.batchSize || (ready.length && now - ready[0]!.visibleAt >= q.spec.batchTimeoutMs)) return void this.deliver(q, ready.slice(0, q.spec.batchSize));
    let wake = Infinity;
    if (ready.length) wake = ready[0]!.visibleAt + q.spec.batchTimeoutMs;
    for (const m of q.msgs) if (m.visibleAt > now) wake = Math.min(wake, m.visibleAt);
    if (wake < Infinity) {
      q.timer = setTimeout(() => this.schedule(q), Math.max(1, wake - now));
      q.timer.unref();
    }
  }

  private async deliver(q: Queue, batch: Message[]): Promise<void> {
    const { name, consumer } = q.spec;
    q.busy = true;
    for (const m of batch) {
      q.inflight.add(m);
      m.attempts++;
    }
    q.counts.delivered += batch.length;
    let outcome: { decisions: Record<string, Decision>; all: Decision | null; error: string } | undefined;
    try {
      const body = Buffer.from(JSON.stringify({ queue: name, messages: batch.map((m) => ({ id: m.id, timestamp: m.timestamp, body: m.body, contentType: m.contentType, attempts: m.attempts })) }));
      const res = await this.invoke(consumer!, { method: QUEUE_METHOD, url: `http://queue.llmos/${encodeURIComponent(name)}`, headers: [['content-type', 'application/json'], ['x-llmos-queue', name]], body });
      if (res.status !== 200 || !res.body) throw new Error(`the consumer answered ${res.status}`);
      outcome = JSON.parse(Buffer.from(res.body).toString('utf8'));
      if (outcome?.error) this.logs.write(consumer!, 'queue', 'error', `queue ${name}: the handler threw (${batch.length} messages; undecided ones retried): ${outcome.error}`);
    } catch (e) {
      this.logs.write(consumer!, 'queue', 'error', `queue ${name}: delivery of ${batch.length} messages failed, retried: ${errorMessage(e)}`);
    }
    try {
      await this.settle(q, batch, outcome);
    } catch (e) {
      // The store refused: the messages stay as they were stored, and come again.
      this.logs.write(consumer!, 'queue', 'error', `queue ${name}: outcome not stored: ${errorMessage(e)}`);
    } finally {
      for (const m of batch) q.inflight.delete(m);
      q.busy = false;
      if (this.queues.get(name) === q) this.schedule(q);
    }
  }

  private async settle(q: Queue, batch: Message[], outcome: { decisions: Record<string, Decision>; all: Decision | null; error: string } | undefined): Promise<void> {
    const now = Date.now();
    const ops: Array<{ type: 'put'; key: string; value: unknown } | { type: 'delete'; key: string }> = [];
    const gone = new Set<Message>();
    const dlq = q.spec.deadLetterQueue ? this.queues.get(q.spec.deadLetterQueue) : undefined;
    const moved: Message[] = [];
    for (const m of batch) {
      const d: Decision = outcome?.decisions?.[m.id] ?? outcome?.all ?? (outcome && !outcome.error ? { ack: true } : { retry: null });
      if ('ack' in d) {
        ops.push({ type: 'delete', key: m.key });
        gone.add(m);
        q.counts.acked++;
      } else if (m.attempts > q.spec.maxRetries) {
        ops.push({ type: 'delete', key: m.key });
        gone.add(m);
        if (dlq) {
          const key = `${MSGS}${dlq.spec.name}/${m.id}`;
          const copy: Message = { ...m, key, attempts: 0, visibleAt: now };
          ops.push({ type: 'put', key, value: { id: m.id, body: m.body, contentType: m.contentType, attempts: 0, timestamp: m.timestamp, visibleAt: now } });
          moved.push(copy);
          q.counts.deadLettered++;
        } else {
          q.counts.dropped++;
          this.logs.write(q.spec.consumer!, 'queue', 'warn', `queue ${q.spec.name}: message ${m.id} dropped after ${m.attempts} deliveries (no dead-letter queue)`);
        }
      } else {
        const delayMs = d.retry !== null && Number.isFinite(d.retry) ? Math.min(MAX_DELAY_S, Math.max(0, d.retry)) * 1000 : q.spec.retryDelayMs;
        m.visibleAt = now + delayMs;
        ops.push({ type: 'put', key: m.key, value: { id: m.id, body: m.body, contentType: m.contentType, attempts: m.attempts, timestamp: m.timestamp, visibleAt: m.visibleAt } });
        q.counts.retried++;
      }
    }
    await this.store.txn({ compare: [], success: ops });
    q.msgs = q.msgs.filter((m) => !gone.has(m));
    if (dlq && moved.length) {
      dlq.msgs.push(...moved);
      this.schedule(dlq);
    }
  }
}
