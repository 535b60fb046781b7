// In-process coordination for concurrent pulls, on async-mutex: a FIFO counting semaphore for
// downloads, a per-key lock (one download per blob digest) and a mutex for read-modify-write of
// image records.
import { Mutex, Semaphore as CountingSemaphore } from 'async-mutex';

export { Mutex } from 'async-mutex';

/** FIFO counting semaphore whose release may be called more than once (only the first counts). */
export class Semaphore {
  private readonly s: CountingSemaphore;
  constructor(free: number) {
    this.s = new CountingSemaphore(free);
  }
  async acquire(): Promise<() => void> {
    const [, release] = await this.s.acquire();
    return release; // async-mutex's releasers are idempotent
  }
}

/** One holder per key at a time, FIFO; a key's mutex is dropped when nobody holds or waits for it. */
export class KeyedLock {
  private readonly locks = new Map<string, { mutex: Mutex; users: number }>();
  async lock(key: string): Promise<() => void> {
    let l = this.locks.get(key);
    if (!l) this.locks.set(key, (l = { mutex: new Mutex(), users: 0 }));
    l.users++;
    const release = await l.mutex.acquire();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
      if (--l.users === 0) this.locks.delete(key);
    };
  }
  /** Keys held or waited for (for tests: the map does not grow without bound). */
  get size(): number {
    return this.locks.size;
  }
}
