// Restart decisions: pure functions of the policy, the exit and the history, with time passed in.
// Back-off follows Docker: 100 ms doubling per consecutive restart, capped at one minute, and
// reset once a run lasted at least 10 seconds.
import type { RestartPolicy } from '../../contracts/containers.js';

export const backoffBaseMs = 100;
export const backoffMaxMs = 60_000;
/** A run at least this long counts as healthy and resets the back-off. */
export const healthyRunMs = 10_000;

export interface RestartInput {
  policy: RestartPolicy | undefined;
  exitCode: number;
  /** Set when the user stopped or killed the container: policies never undo that. */
  stoppedByUser: boolean;
  /** Restarts so far (on-failure counts these against maxRetries). */
  restartCount: number;
  /** Consecutive quick failures so far, for the back-off. */
  backoffStep: number;
  startedAt: number;
  finishedAt: number;
}

export type RestartDecision = { restart: false; reason: string } | { restart: true; delayMs: number; nextBackoffStep: number };

export function backoffDelay(step: number): number {
  return Math.min(backoffMaxMs, backoffBaseMs * 2 ** Math.max(0, step));
}

export function decideRestart(i: RestartInput): RestartDecision {
  const p = i.policy ?? { name: 'no' };
  if (i.stoppedByUser) return { restart: false, reason: 'stopped by the user' };
  if (p.name === 'no') return { restart: false, reason: 'restart policy no' };
  if (p.name === 'on-failure') {
    if (i.exitCode === 0) return { restart: false, reason: 'exited 0 under on-failure' };
    if (p.maxRetries !== undefined && p.maxRetries > 0 && i.restartCount >= p.maxRetries) return { restart: false, reason: `gave up after ${i.restartCount} restarts` };
  }
  const step = i.finishedAt - i.startedAt >= healthyRunMs ? 0 : i.backoffStep;
  return { restart: true, delayMs: backoffDelay(step), nextBackoffStep: step + 1 };
}

/** Parses the CLI form: no | always | on-failure[:N]. */
export function parseRestartPolicy(s: string): RestartPolicy | undefined {
  if (s === 'no' || s === 'always') return { name: s };
  const m = /^on-failure(?::(\d+))?$/.exec(s);
  if (!m) return undefined;
  return m[1] !== undefined ? { name: 'on-failure', maxRetries: Number(m[1]) } : { name: 'on-failure' };
}
