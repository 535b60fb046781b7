// Pure decisions of the instance pool: how many instances to start for the waiting requests, and
// which idle instances the keep-alive lets go. Time is passed in; no I/O.

export interface PoolShape {
  /** Instances ready to serve, and their free request slots in total. */
  ready: number;
  freeSlots: number;
  /** Instances still starting (each will bring `concurrency` slots). */
  starting: number;
  /** Requests waiting for a slot. */
  queued: number;
  concurrency: number;
  max: number;
  /** Instances to keep warm even when idle (min, or the autoscaler's count). */
  floor: number;
}

/**
 * Instances to start now: enough for the queue beyond free and incoming slots, and enough to
 * reach the floor, never past max. Scale from zero is the case ready = starting = 0.
 * Example: queued 9, free 0, starting 1, concurrency 4 -> (9 - 4) / 4 = 1.25 -> 2 more.
 */
export function instancesToStart(p: PoolShape): number {
  const room = Math.max(0, p.max - p.ready - p.starting);
  const uncovered = p.queued - p.freeSlots - p.starting * p.concurrency;
  const forQueue = uncovered > 0 ? Math.ceil(uncovered / p.concurrency) : 0;
  const forFloor = Math.max(0, p.floor - p.ready - p.starting);
  return Math.min(room, Math.max(forQueue, forFloor));
}

export interface IdleInstance {
  id: string;
  /** When the keep-alive decided this idle instance may go (ms). */
  expiresAt: number;
  lastUsedAt: number;
}

/**
 * Idle instances to reclaim at `now`: expired ones, least recently used first, never taking the
 * live count below the floor. `live` counts busy and idle instances.
 */
export function instancesToReclaim(idle: readonly IdleInstance[], live: number, floor: number, now: number): string[] {
  const spare = live - floor;
  if (spare <= 0) return [];
  return idle
    .filter((i) => i.expiresAt <= now)
    .sort((a, b) => a.lastUsedAt - b.lastUsedAt)
    .slice(0, spare)
    .map((i) => i.id);
}

/** Back-off before async retry `attempt` (1-based): base * 2^(attempt-1), capped. 1 s, 2 s, 4 s ... */
export function retryDelayMs(attempt: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/** The event for a scale-out decision: what the pool saw and why it starts `n` instances. */
export function scaleOutEvent(fn: string, p: PoolShape, n: number): { topic: string; subject: string; message: string } {
  const uncovered = p.queued - p.freeSlots - p.starting * p.concurrency;
  const why = uncovered > 0 ? `${p.queued} queued, ${p.freeSlots} free slots, ${p.starting} starting x ${p.concurrency}` : `floor ${p.floor} (${p.ready} ready, ${p.starting} starting)`;
  return { topic: '/functions/scale-out', subject: `function/${fn}`, message: `function ${fn}: start ${n} instance${n === 1 ? '' : 's'}: ${why}; max ${p.max}` };
}

/** The event for reaping an idle instance: how long it was idle and the keep-alive decision that let it go. */
export function reapEvent(fn: string, id: string, idleMs: number, policy: string, reason: string): { topic: string; subject: string; message: string } {
  return { topic: '/functions/reap', subject: `function/${fn}`, message: `function ${fn}: stop idle instance ${id} after ${Math.round(idleMs / 1000)} s idle: keep-alive ${policy}: ${reason}` };
}

/** The event for a pre-warm: the keep-alive policy asked for an instance before the next call. */
export function prewarmEvent(fn: string, keepMs: number, policy: string): { topic: string; subject: string; message: string } {
  return { topic: '/functions/prewarm', subject: `function/${fn}`, message: `function ${fn}: pre-warm an instance for ${Math.round(keepMs / 1000)} s: keep-alive ${policy}` };
}
