// The requests of a pool waiting for a free instance slot, oldest first, each with its own timeout.
interface Waiter<T> {
  resolve(v: T): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout;
}

export class WaitQueue<T> {
  private readonly waiters: Waiter<T>[] = [];

  get length(): number {
    return this.waiters.length;
  }

  /** Waits (queued now, synchronously) for a value give() hands over; rejects with timeout() after waitMs. */
  wait(waitMs: number, timeout: () => unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w: Waiter<T> = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(w);
          if (i < 0) return;
          this.waiters.splice(i, 1);
          reject(timeout());
        }, waitMs),
      };
      this.waiters.push(w);
    });
  }

  /** Hands v to the oldest waiter. */
  give(v: T): void {
    const w = this.waiters.shift();
    if (!w) return;
    clearTimeout(w.timer);
    w.resolve(v);
  }

  /** Rejects every waiter with e; onEach runs once per waiter first (to count them). */
  rejectAll(e: unknown, onEach?: () => void): void {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      onEach?.();
      w.reject(e);
    }
  }
}
