// Time series in bounded memory: each series keeps its recent points at full resolution in a
// ring, and older ones folded into fixed buckets (mean, max and last of each bucket) in a second
// ring. Time is passed in; nothing here reads a clock.
import type { Point } from '../../contracts/monitor.js';

export type { Point };

export interface Bucket {
  /** Bucket start, ms since epoch. */
  t: number;
  mean: number;
  max: number;
  last: number;
  n: number;
}

export interface SeriesLimits {
  /** Full-resolution points kept per series. */
  recentPoints: number;
  /** Width of a downsampled bucket, ms. */
  bucketMs: number;
  /** Downsampled buckets kept per series. */
  buckets: number;
}

export const defaultLimits: SeriesLimits = { recentPoints: 360, bucketMs: 60_000, buckets: 1440 };

/** A fixed-capacity ring: push overwrites the oldest; values come out oldest first. */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private count = 0;
  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }
  push(x: T): T | undefined {
    const evicted = this.count === this.capacity ? this.items[this.head] : undefined;
    this.items[this.head] = x;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    return evicted;
  }
  get size(): number {
    return this.count;
  }
  last(): T | undefined {
    return this.count ? this.items[(this.head - 1 + this.capacity) % this.capacity] : undefined;
  }
  toArray(): T[] {
    const out: T[] = [];
    const start = (this.head - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) out.push(this.items[(start + i) % this.capacity]!);
    return out;
  }
}

export class Series {
  readonly recent: Ring<Point>;
  readonly older: Ring<Bucket>;
  /** The bucket being filled from points as they age out of `recent`. */
  private open?: Bucket;

  constructor(private readonly limits: SeriesLimits = defaultLimits) {
    this.recent = new Ring(limits.recentPoints);
    this.older = new Ring(limits.buckets);
  }

  add(t: number, v: number): void {
    const prev = this.recent.last();
    if (prev && t <= prev.t) return; // out of order or duplicate: keep the series monotonic
    const aged = this.recent.push({ t, v });
    if (aged) this.fold(aged);
  }

  private fold(p: Point): void {
    const start = p.t - (p.t % this.limits.bucketMs);
    if (this.open && this.open.t !== start) {
      this.older.push(this.open);
      this.open = undefined;
    }
    if (!this.open) this.open = { t: start, mean: p.v, max: p.v, last: p.v, n: 1 };
    else {
      const b = this.open;
      b.mean = (b.mean * b.n + p.v) / (b.n + 1);
      b.max = Math.max(b.max, p.v);
      b.last = p.v;
      b.n++;
    }
  }

  latest(): Point | undefined {
    return this.recent.last();
  }

  /**
   * Points from `from` on: downsampled buckets (their mean at the bucket start) for the old part,
   * then full-resolution points.
   */
  query(from = 0, to = Infinity): Array<Point & { downsampled?: true; max?: number }> {
    const out: Array<Point & { downsampled?: true; max?: number }> = [];
    const buckets = this.open ? [...this.older.toArray(), this.open] : this.older.toArray();
    const firstRecent = this.recent.toArray()[0]?.t ?? Infinity;
    for (const b of buckets) if (b.t >= from && b.t <= to && b.t < firstRecent) out.push({ t: b.t, v: b.mean, max: b.max, downsampled: true });
    for (const p of this.recent.toArray()) if (p.t >= from && p.t <= to) out.push(p);
    return out;
  }

  /** Buckets only, for persisting: bounded and small. */
  snapshot(): Bucket[] {
    return this.open ? [...this.older.toArray(), { ...this.open }] : this.older.toArray();
  }

  restore(buckets: Bucket[]): void {
    for (const b of buckets.slice(-this.limits.buckets)) this.older.push({ ...b });
  }
}

/** Series by metric name and label set, e.g. container_memory_usage_bytes{id="..."}. */
export class SeriesStore {
  private readonly byKey = new Map<string, { name: string; labels: Record<string, string>; series: Series }>();
  constructor(private readonly limits: SeriesLimits = defaultLimits) {}

  static key(name: string, labels: Record<string, string>): string {
    const ls = Object.keys(labels).sort().map((k) => `${k}="${labels[k]}"`);
    return ls.length ? `${name}{${ls.join(',')}}` : name;
  }

  add(name: string, labels: Record<string, string>, t: number, v: number): void {
    const key = SeriesStore.key(name, labels);
    let e = this.byKey.get(key);
    if (!e) this.byKey.set(key, (e = { name, labels: { ...labels }, series: new Series(this.limits) }));
    e.series.add(t, v);
  }

  /** Puts persisted buckets back into a series' downsampled ring. */
  restore(name: string, labels: Record<string, string>, buckets: Bucket[]): void {
    const key = SeriesStore.key(name, labels);
    let e = this.byKey.get(key);
    if (!e) this.byKey.set(key, (e = { name, labels: { ...labels }, series: new Series(this.limits) }));
    e.series.restore(buckets);
  }

  get(name: string, labels: Record<string, string>): Series | undefined {
    return this.byKey.get(SeriesStore.key(name, labels))?.series;
  }

  /** Every series whose name matches and whose labels include `labels`. */
  find(name?: string, labels: Record<string, string> = {}): Array<{ key: string; name: string; labels: Record<string, string>; series: Series }> {
    const out = [];
    for (const [key, e] of this.byKey) {
      if (name && e.name !== name) continue;
      if (Object.entries(labels).some(([k, v]) => e.labels[k] !== v)) continue;
      out.push({ key, ...e });
    }
    return out;
  }

  /** Drops series whose labels include `labels` (a removed workload). */
  drop(labels: Record<string, string>): number {
    let n = 0;
    for (const [key, e] of this.byKey) {
      if (Object.entries(labels).every(([k, v]) => e.labels[k] === v)) {
        this.byKey.delete(key);
        n++;
      }
    }
    return n;
  }

  get size(): number {
    return this.byKey.size;
  }
}
