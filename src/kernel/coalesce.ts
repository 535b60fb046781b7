/**
 * A pass that runs now, or once more after the one under way: callers asking while a pass runs
 * share the next run instead of queueing one each (reconcile loops, sync loops). Each pass reads
 * the latest state, so one re-run covers every ask made during the pass.
 */
export class CoalescedRun {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly onError: (e: unknown) => void,
    private readonly stopped: () => boolean = () => false,
  ) {}

  /** Resolves when the pass, and any re-run asked for during it, is done; never rejects. */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    if (this.stopped()) return Promise.resolve();
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.pass();
        } catch (e) {
          this.onError(e);
        }
      } while (this.again && !this.stopped());
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  /** From inside a pass: run once more after it (its own actions changed the state). */
  runAgain(): void {
    this.again = true;
  }

  /** The pass under way, if any: what a stop waits for. */
  get current(): Promise<void> | undefined {
    return this.running;
  }
}
