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

export interface ReadLogOptions {
  tail?: number;
  follow?: boolean;
  signal?: AbortSignal;
  /** Only lines written at or after / before this time (epoch ms). */
  sinceMs?: number;
  untilMs?: number;
}

export async function* readLog(file: string, target: FollowTarget, opts: ReadLogOptions = {}): AsyncIterable<LogLine> {
  const parser = new LogParser();
  const inTime = (l: LogLine) => {
    if (opts.sinceMs === undefined && opts.untilMs === undefined) return true;
    const t = Date.parse(l.time);
    return (opts.sinceMs === undefined || t >= opts.sinceMs) && (opts.untilMs === undefined || t < opts.untilMs);
  };
  // What is there now, read in bounded chunks (offsets are bytes: see logs.ts).
  let offset = 0;
  let lines: LogLine[] = [];
  for (;;) {
    const next = await readFrom(file, offset);
    if (next.truncated) lines = [];
    offset = next.offset;
    if (!next.lines.length) break;
    lines.push(...parser.push(next.lines).filter(inTime));
  }
  // Without follow the pending partial lines are the output so far; with follow they may go on.
  const pastUntil = opts.untilMs !== undefined && opts.untilMs <= Date.now();
  if (!opts.follow || pastUntil || !target.active() || !target.present()) lines.push(...parser.flush().filter(inTime));
  if (opts.tail !== undefined) lines = opts.tail > 0 ? lines.slice(-opts.tail) : [];
  yield* lines;
  if (!opts.follow || pastUntil) return;
  const release = target.hold();
  try {
    let idleAfterExit = 0;
    while (!opts.signal?.aborted) {
      if (opts.untilMs !== undefined && Date.now() >= opts.untilMs) break;
      const next = await readFrom(file, offset);
      offset = next.offset;
      yield* parser.push(next.lines).filter(inTime);
      if (next.lines.length) continue;
      // Ended: one more read after the exit is seen, so the last lines are not lost.
      if (!target.active() || !target.present()) {
        if (idleAfterExit++ >= 1) break;
      } else idleAfterExit = 0;
      await sleepOrAbort(target.active() ? 250 : 20, opts.signal, target.wakers);
    }
    if (!opts.signal?.aborted) yield* parser.flush().filter(inTime);
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
