// Load-balancing decisions and load accounting, pure: the proxy passes in backends and time.

export interface BackendLoad {
  id: string;
  /** Requests (HTTP) or connections (TCP) in flight to this backend. */
  inflight: number;
}

/**
 * Least outstanding requests; ties go to the first candidate at or after `cursor`, so equal
 * backends take turns. Returns the chosen index (or -1 when there is none) and the next cursor.
 */
export function pickLeastOutstanding(backends: readonly BackendLoad[], cursor: number): { index: number; cursor: number } {
  if (!backends.length) return { index: -1, cursor };
  let best = -1;
  for (let k = 0; k < backends.length; k++) {
    const i = (cursor + k) % backends.length;
    if (best < 0 || backends[i]!.inflight < backends[best]!.inflight) best = i;
  }
  return { index: best, cursor: (best + 1) % backends.length };
}

/** Plain round robin. */
export function pickRoundRobin(count: number, cursor: number): { index: number; cursor: number } {
  if (count <= 0) return { index: -1, cursor };
  const index = cursor % count;
  return { index, cursor: (index + 1) % count };
}

/**
 * Requests per second and mean concurrency (time-weighted in-flight count) between samples.
 * Every method takes `now` in ms, so tests drive it with synthetic time.
 */
export class LoadMeter {
  private inflight = 0;
  private count = 0;
  /** Integral of in-flight over time since the last sample, in request-ms. */
  private area = 0;
  private lastChange: number;
  private lastSample: number;
  total = 0;

  constructor(now: number) {
    this.lastChange = now;
    this.lastSample = now;
  }

  private advance(now: number): void {
    this.area += this.inflight * Math.max(0, now - this.lastChange);
    this.lastChange = now;
  }

  begin(now: number): void {
    this.advance(now);
    this.inflight++;
    this.count++;
    this.total++;
  }

  end(now: number): void {
    this.advance(now);
    this.inflight = Math.max(0, this.inflight - 1);
  }

  get current(): number {
    return this.inflight;
  }

  /** Rates since the previous sample; starts a new window. */
  sample(now: number): { rps: number; concurrency: number; windowMs: number } {
    this.advance(now);
    const windowMs = now - this.lastSample;
    const out = windowMs > 0 ? { rps: (this.count * 1000) / windowMs, concurrency: this.area / windowMs, windowMs } : { rps: 0, concurrency: this.inflight, windowMs: 0 };
    this.count = 0;
    this.area = 0;
    this.lastSample = now;
    return out;
  }
}
