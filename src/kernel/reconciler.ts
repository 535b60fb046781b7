// The reconcile loop: modules register a function that compares desired with actual state and
// acts; the loop runs each one on its period. The ticker is injectable (as Knative's multiscaler
// takes a tickProvider), so tests drive ticks by hand instead of waiting on timers.
import type { Logger } from 'pino';

export type ReconcileFn = (signal: AbortSignal) => Promise<void> | void;

/** A running periodic tick; `stop` ends it. */
export interface Ticker {
  stop(): void;
}

/** Starts calling `onTick` every `periodMs` until the returned ticker is stopped. */
export type TickProvider = (periodMs: number, onTick: () => void) => Ticker;

/** The default: setInterval, unref'd so a pending tick never keeps the process alive. */
export const intervalTicker: TickProvider = (periodMs, onTick) => {
  const t = setInterval(onTick, periodMs);
  t.unref();
  return { stop: () => clearInterval(t) };
};

interface Entry {
  name: string;
  fn: ReconcileFn;
  periodMs: number;
  ticker?: Ticker;
  running: boolean;
}

export class Reconciler {
  private readonly entries = new Map<string, Entry>();
  private controller = new AbortController();
  private started = false;

  constructor(
    private readonly log?: Logger,
    private readonly tickProvider: TickProvider = intervalTicker,
  ) {}

  /** Registers (or replaces) a reconcile function; returns the unregister function. */
  register(name: string, fn: ReconcileFn, periodMs = 2000): () => void {
    this.unregister(name);
    const e: Entry = { name, fn, periodMs, running: false };
    this.entries.set(name, e);
    if (this.started) this.schedule(e);
    return () => this.unregister(name);
  }

  unregister(name: string): void {
    const e = this.entries.get(name);
    e?.ticker?.stop();
    this.entries.delete(name);
  }

  /** Runs one reconcile now (or every one), skipping those already running. */
  async runOnce(name?: string): Promise<void> {
    const targets = name ? [this.entries.get(name)].filter((e): e is Entry => !!e) : [...this.entries.values()];
    await Promise.all(targets.map((e) => this.run(e)));
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.controller = new AbortController();
    for (const e of this.entries.values()) this.schedule(e);
  }

  stop(): void {
    this.started = false;
    this.controller.abort();
    for (const e of this.entries.values()) {
      e.ticker?.stop();
      e.ticker = undefined;
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  private schedule(e: Entry): void {
    e.ticker?.stop();
    e.ticker = this.tickProvider(e.periodMs, () => void this.run(e));
  }

  private async run(e: Entry): Promise<void> {
    if (e.running) return;
    e.running = true;
    try {
      await e.fn(this.controller.signal);
    } catch (err) {
      this.log?.warn({ err, reconciler: e.name }, 'reconcile failed');
    } finally {
      e.running = false;
    }
  }
}
