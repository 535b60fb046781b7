// What async invocations hold in the store, per function and in all: records (queued, running, or
// finished and kept until their TTL) and bytes (request bodies while pending, results after). The
// checks are synchronous, so concurrent submissions cannot both take the last place.
import { InvocationFailed } from './failures.js';

export interface AsyncLimits {
  /** How long a finished invocation's result is kept, ms. */
  ttlMs: number;
  maxRecords: number;
  maxBytes: number;
}

interface Usage {
  records: number;
  bytes: number;
}

export class AsyncQuota {
  private readonly byFn = new Map<string, Usage>();
  private readonly held = new Map<string, { fn: string; bytes: number }>();
  private total = 0;

  constructor(private readonly maxTotalBytes: number) {}

  usage(fn: string): Usage {
    return { ...(this.byFn.get(fn) ?? { records: 0, bytes: 0 }) };
  }

  functionOf(id: string): string | undefined {
    return this.held.get(id)?.fn;
  }

  /** Takes a place for a new record, or throws a 429 (quota-exceeded) saying which limit is full. */
  admit(fn: string, id: string, bytes: number, limits: AsyncLimits, retryAfter: () => number): void {
    this.check(fn, bytes, limits, retryAfter);
    this.add(fn, id, bytes);
  }

  /** Throws what admit would, taking nothing (the gateway asks before it reads a body). */
  check(fn: string, bytes: number, limits: AsyncLimits, retryAfter: () => number): void {
    const u = this.usage(fn);
    let why: string | undefined;
    if (u.records + 1 > limits.maxRecords) why = `${u.records} async invocations held (limit ${limits.maxRecords})`;
    else if (u.bytes + bytes > limits.maxBytes) why = `${u.bytes} of ${limits.maxBytes} async bytes held, ${bytes} more asked`;
    else if (this.total + bytes > this.maxTotalBytes) why = `all functions hold ${this.total} of ${this.maxTotalBytes} async bytes`;
    if (why) throw new InvocationFailed('quota-exceeded', `function ${fn}: async quota full: ${why}; results are kept for ${Math.round(limits.ttlMs / 1000)} s`, { retryAfter: retryAfter() });
  }

  /** Records found in the store at start, counted whatever the limits are now. */
  restore(fn: string, id: string, bytes: number): void {
    if (!this.held.has(id)) this.add(fn, id, bytes);
  }

  /** Changes a record's bytes (request replaced by result) if that fits; false leaves it as it was. */
  tryResize(id: string, bytes: number, limits: AsyncLimits): boolean {
    const h = this.held.get(id);
    if (!h) return false;
    const u = this.byFn.get(h.fn)!;
    const delta = bytes - h.bytes;
    if (delta > 0 && (u.bytes + delta > limits.maxBytes || this.total + delta > this.maxTotalBytes)) return false;
    u.bytes += delta;
    this.total += delta;
    h.bytes = bytes;
    return true;
  }

  release(id: string): void {
    const h = this.held.get(id);
    if (!h) return;
    this.held.delete(id);
    const u = this.byFn.get(h.fn)!;
    u.records--;
    u.bytes -= h.bytes;
    this.total -= h.bytes;
    if (u.records === 0) this.byFn.delete(h.fn);
  }

  private add(fn: string, id: string, bytes: number): void {
    const u = this.byFn.get(fn) ?? { records: 0, bytes: 0 };
    u.records++;
    u.bytes += bytes;
    this.byFn.set(fn, u);
    this.held.set(id, { fn, bytes });
    this.total += bytes;
  }
}
