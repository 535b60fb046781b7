// Function logs: what handlers print with console.*, and the pool's own notes (instance started,
// limit breached), kept per function in a bounded ring and streamed to followers.
import type { LogEntry } from './runtime/instance.js';

export class FunctionLogs {
  private readonly rings = new Map<string, LogEntry[]>();
  private readonly followers = new Map<string, Set<(e: LogEntry) => void>>();

  constructor(private readonly perFunction = 2000, private readonly now: () => Date = () => new Date()) {}

  write(fn: string, instance: string, level: string, text: string): void {
    const e: LogEntry = { time: this.now().toISOString(), function: fn, instance, level, text };
    let ring = this.rings.get(fn);
    if (!ring) this.rings.set(fn, (ring = []));
    ring.push(e);
    if (ring.length > this.perFunction) ring.splice(0, ring.length - this.perFunction);
    for (const f of this.followers.get(fn) ?? []) f(e);
    for (const f of this.followers.get('') ?? []) f(e);
  }

  tail(fn: string | undefined, n: number): LogEntry[] {
    if (fn) return (this.rings.get(fn) ?? []).slice(-n);
    return [...this.rings.values()].flat().sort((a, b) => a.time.localeCompare(b.time)).slice(-n);
  }

  /** Follows one function's logs ('' for all); returns the unsubscribe function. */
  follow(fn: string, cb: (e: LogEntry) => void): () => void {
    let set = this.followers.get(fn);
    if (!set) this.followers.set(fn, (set = new Set()));
    set.add(cb);
    return () => set.delete(cb);
  }

  forget(fn: string): void {
    this.rings.delete(fn);
  }
}
