// Bounded time series for live charts: a fixed-capacity ring per series, so hours of samples use
// constant memory and uPlot always draws at most `capacity` points.

export class Series {
  private readonly t: Float64Array;
  private readonly cols: Float64Array[];
  private head = 0;
  private size = 0;

  constructor(readonly names: readonly string[], readonly capacity = 7200) {
    this.t = new Float64Array(capacity);
    this.cols = names.map(() => new Float64Array(capacity).fill(NaN));
  }

  get length(): number {
    return this.size;
  }

  /** Appends a sample; time in seconds since the epoch, values in the order of `names` (NaN = gap). */
  push(time: number, values: readonly (number | null | undefined)[]): void {
    this.t[this.head] = time;
    this.cols.forEach((c, i) => (c[this.head] = values[i] ?? NaN));
    this.head = (this.head + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  last(): number | undefined {
    return this.size ? this.t[(this.head - 1 + this.capacity) % this.capacity] : undefined;
  }

  /** The samples oldest first, as uPlot's aligned data ([times, ...series]); gaps are null. */
  data(): [number[], ...(number | null)[][]] {
    const start = (this.head - this.size + this.capacity) % this.capacity;
    const t: number[] = new Array(this.size);
    const cols = this.cols.map(() => new Array<number | null>(this.size));
    for (let i = 0; i < this.size; i++) {
      const j = (start + i) % this.capacity;
      t[i] = this.t[j]!;
      this.cols.forEach((c, k) => {
        const v = c[j]!;
        cols[k]![i] = Number.isNaN(v) ? null : v;
      });
    }
    return [t, ...cols];
  }
}

/** Keeps one Series per key (per function, per service) for the life of the tab. */
export class SeriesMap {
  private readonly m = new Map<string, Series>();
  constructor(private readonly names: readonly string[], private readonly capacity = 7200) {}
  get(key: string): Series {
    let s = this.m.get(key);
    if (!s) this.m.set(key, (s = new Series(this.names, this.capacity)));
    return s;
  }
  keys(): string[] {
    return [...this.m.keys()];
  }
}
