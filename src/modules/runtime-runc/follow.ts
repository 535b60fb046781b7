// Reading a container's log file (conmon's format), and following it while the container may
// still write: polled, and woken at once when the container exits so the last lines come quickly.
import type { LogLine } from '../../contracts/containers.js';
import { LogParser, readFrom } from './logs.js';

export interface FollowTarget {
  /** Whether the container runs or will restart: more output may come. */
  active(): boolean;
  /** Whether the container still exists. */
  present(): boolean;
  /** Taken while following (an auto-removing container waits for it); returns the release. */
  hold(): () => void;
  /** Where an exit finds the followers to wake. */
  wakers: { wakers?: Set<() => void> };
}

export async function* readLog(file: string, target: FollowTarget, opts: { tail?: number; follow?: boolean; signal?: AbortSignal } = {}): AsyncIterable<LogLine> {
  const first = await readFrom(file, 0);
  const parser = new LogParser();
  let lines = parser.push(first.lines);
  if (opts.tail !== undefined) lines = opts.tail > 0 ? lines.slice(-opts.tail) : [];
  yield* lines;
  if (!opts.follow) return;
  const release = target.hold();
  try {
    let offset = first.offset;
    let idleAfterExit = 0;
    while (!opts.signal?.aborted) {
      const next = await readFrom(file, offset);
      offset = next.offset;
      yield* parser.push(next.lines);
      if (next.lines.length) continue;
      // Ended: one more read after the exit is seen, so the last lines are not lost.
      if (!target.active() || !target.present()) {
        if (idleAfterExit++ >= 1) return;
      } else idleAfterExit = 0;
      await sleepOrAbort(target.active() ? 250 : 20, opts.signal, target.wakers);
    }
  } finally {
    release();
  }
}

export function sleepOrAbort(ms: number, signal?: AbortSignal, e?: { wakers?: Set<() => void> }): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    if (e) (e.wakers ??= new Set()).add(done);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      e?.wakers?.delete(done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
