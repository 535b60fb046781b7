// The reconcile loop: modules register a function that compares desired with actual state and
// acts; the loop runs each one on its period. The ticker is injectable for tests.
import type { Logger } from 'pino';

export type ReconcileFn = (signal: AbortSignal) => Promise<void> | void;

interface Entry {
  name: string;
  fn: ReconcileFn;
  periodMs: number;
  timer?: NodeJS.Timeout;
  running: boolean;
}

export class Reconciler {
  private readonly entries = new Map<string, Entry>();
  private controller = new AbortController();
  private started = false;

  constructor(private readonly log?: Logger) {}

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
    if (e?.timer) clearInterval(e.timer);
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
    for (const e of this.entries.values()) if (e.timer) clearInterval(e.timer);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  private schedule(e: Entry): void {
    e.timer = setInterval(() => void this.run(e), e.periodMs);
    e.timer.unref();
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
