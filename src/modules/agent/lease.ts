// The agent's lease loop. While the server answers, it renews every leaseIntervalMs. Once a
// renewal fails (the server is down, or the link is cut: a request then hangs until its timeout)
// it probes every quarter interval without waiting for the probes still hanging on the dead link,
// so the first renewal after the link returns lands within one heartbeat, and it tells the agent
// (onReconnect) so the map watch and the tunnel start over at once instead of at their next
// back-off. Nothing here ever stops a workload: an agent without its server runs on.

const clamp = (v: number, lo: number, hi: number) => Math.round(Math.min(hi, Math.max(lo, v)));

export interface LeaseTimings {
  /** How long one renewal may take. */
  timeoutMs: number;
  /** When the next renewal starts (whether the last one answered or not). */
  nextMs: number;
  /** Renewals in flight at most: enough that a new one always starts on time while older ones hang. */
  maxInFlight: number;
}

/**
 * Healthy: one renewal per interval, 10 s to answer (as before the loop could probe). Failing: a
 * probe every quarter interval (250 ms to 2.5 s), so from a healed link to a renewal is at most a
 * quarter interval plus one round trip.
 */
export function leaseTimings(intervalMs: number, failing: boolean): LeaseTimings {
  if (!failing) return { timeoutMs: 10_000, nextMs: intervalMs, maxInFlight: 2 };
  const timeoutMs = clamp(intervalMs, 2000, 10_000);
  const nextMs = clamp(intervalMs / 4, 250, 2500);
  return { timeoutMs, nextMs, maxInFlight: Math.ceil(timeoutMs / nextMs) + 1 };
}

export interface LeaseLoopOptions {
  intervalMs: number;
  /** True when the agent booted without reaching the server: it starts probing. */
  offline: boolean;
  renew(timeoutMs: number): Promise<{ renewTime: string; leaseIntervalMs: number }>;
  /** After the first failure of an outage (logged once, not at every probe). */
  onDown(e: unknown): void;
  /** The first renewal after an outage of downMs. */
  onReconnect(downMs: number): void;
}

export class LeaseLoop {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private interval: number;
  private downSince: number | undefined;
  private last: string | undefined;
  private inFlight = 0;
  private seq = 0;
  private okSeq = 0;

  constructor(private readonly o: LeaseLoopOptions) {
    this.interval = o.intervalMs;
    if (o.offline) this.downSince = Date.now();
  }

  /** Time of the last renewal the server accepted (ISO). */
  lastRenewal(): string | undefined {
    return this.last;
  }

  /** Whether the server has not answered since the last failure. */
  failing(): boolean {
    return this.downSince !== undefined;
  }

  start(firstInMs = 0): void {
    this.timer = setTimeout(() => this.tick(), firstInMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private tick(): void {
    if (this.stopped) return;
    const t = leaseTimings(this.interval, this.failing());
    if (this.inFlight < t.maxInFlight) void this.renewOnce(t.timeoutMs);
    this.timer = setTimeout(() => this.tick(), t.nextMs);
  }

  private async renewOnce(timeoutMs: number): Promise<void> {
    this.inFlight++;
    const seq = ++this.seq;
    try {
      const r = await this.o.renew(timeoutMs);
      if (this.stopped) return;
      this.okSeq = Math.max(this.okSeq, seq);
      if (!this.last || r.renewTime > this.last) this.last = r.renewTime;
      this.interval = r.leaseIntervalMs;
      if (this.downSince !== undefined) {
        const down = Date.now() - this.downSince;
        this.downSince = undefined;
        this.o.onReconnect(down);
        // Back to the healthy period from now, not from the last probe's schedule.
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.tick(), this.interval);
      }
    } catch (e) {
      // A probe sent into the outage that gives up after a later one got through says nothing new.
      if (this.stopped || seq < this.okSeq) return;
      if (this.downSince === undefined) {
        this.downSince = Date.now();
        this.o.onDown(e);
        // Start probing now rather than a whole interval later.
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.tick(), leaseTimings(this.interval, true).nextMs);
      }
    } finally {
      this.inFlight--;
    }
  }
}
