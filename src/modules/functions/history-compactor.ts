// Store history written by async invocations (request bodies, results, their deletions) would keep
// every byte until the store's own compaction, which counts revisions, not bytes. While async work
// flows, this compacts the store to the revision it saw one interval earlier: history older than
// that is dropped (a watch is always started from a fresh list, milliseconds old, so none breaks),
// and SQLite reuses the freed pages, so the file stops growing.
import type { Logger } from 'pino';
import type { StateStore } from '../../contracts/state-store.js';
import { faultPoint } from '../../kernel/faults.js';

export class HistoryCompactor {
  private mark?: number;
  private dirty = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly store: StateStore, private readonly intervalMs: number, private readonly log: Logger) {}

  /** Called after writes worth compacting away. */
  touch(): void {
    this.dirty = true;
    if (!this.timer && !this.stopped) this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One step: compact to the previous mark, take a new one. Exposed for tests. */
  async tick(): Promise<void> {
    if (this.mark !== undefined) {
      faultPoint('functions.async.compact');
      await this.store.compact(this.mark);
    }
    this.mark = this.dirty ? await this.store.revision() : undefined;
    this.dirty = false;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.tick()
        .catch((e: unknown) => this.log.warn({ err: e }, 'async history compaction failed'))
        .finally(() => {
          this.timer = undefined;
          if ((this.mark !== undefined || this.dirty) && !this.stopped) this.schedule();
        });
    }, this.intervalMs);
    this.timer.unref();
  }
}
