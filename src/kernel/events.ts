// The kernel's event bus: namespaced topics ("/containers/start"), synchronous fan-out,
// and a bounded in-memory history for `llmos events` and the dashboard's live feed.
import type { LlmosEvent } from '../contracts/system.js';

export type { LlmosEvent };

export type EventInput = Omit<LlmosEvent, 'seq' | 'time'>;
type Handler = (e: LlmosEvent) => void;

/** The store key of an event (events-store) and its identity across runs. */
export const eventKey = (e: Pick<LlmosEvent, 'time' | 'seq'>): string => `${e.time}-${String(e.seq).padStart(8, '0')}`;

export class EventBus {
  private seq = 0;
  private readonly history: LlmosEvent[] = [];
  private readonly subscribers = new Set<{ prefix: string; handler: Handler }>();

  constructor(private readonly historyLimit = 5000, private readonly now: () => Date = () => new Date()) {}

  publish(input: EventInput): LlmosEvent {
    const e: LlmosEvent = { seq: ++this.seq, time: this.now().toISOString(), ...input };
    this.history.push(e);
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
    for (const s of this.subscribers) {
      if (!e.topic.startsWith(s.prefix)) continue;
      try {
        s.handler(e);
      } catch {
        // A faulty subscriber must not break the publisher or the other subscribers.
      }
    }
    return e;
  }

  /**
   * Puts events from an earlier run (oldest first) back into the history; new events number after
   * them. Events already in the history are skipped, so restoring twice (a reloaded events-store) adds nothing.
   */
  restore(past: readonly LlmosEvent[]): void {
    const have = new Set(this.history.map(eventKey));
    this.history.unshift(...past.filter((e) => !have.has(eventKey(e))).slice(-this.historyLimit));
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
    this.seq = Math.max(this.seq, ...past.map((e) => e.seq));
  }

  /** Subscribes to every topic that starts with prefix ("" for all). Returns the unsubscribe function. */
  subscribe(prefix: string, handler: Handler): () => void {
    const s = { prefix, handler };
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }

  recent(filter: { prefix?: string; subject?: string; afterSeq?: number; limit?: number } = {}): LlmosEvent[] {
    const out = this.history.filter(
      (e) =>
        (!filter.prefix || e.topic.startsWith(filter.prefix)) &&
        (!filter.subject || e.subject === filter.subject) &&
        (filter.afterSeq === undefined || e.seq > filter.afterSeq),
    );
    return filter.limit ? out.slice(-filter.limit) : out;
  }
}
