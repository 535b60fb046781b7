// Probe bookkeeping with Kubernetes semantics, as pure functions of results and time (ms).
// Readiness starts failed and flips after successThreshold successes; liveness starts passing and
// flips after failureThreshold failures. Nothing runs before initialDelaySeconds.
import type { ProbeSpec, ServicePort, ReplicaTemplate } from './types.js';

export interface ProbeTracker {
  /** When the next probe is due (ms). */
  nextAt: number;
  successes: number;
  failures: number;
  /** Current outcome: ready (readiness) or alive (liveness). */
  passing: boolean;
  /** A probe is in flight; do not start another. */
  running: boolean;
  lastError?: string;
}

export function newTracker(spec: ProbeSpec, kind: 'readiness' | 'liveness', startedAt: number): ProbeTracker {
  return { nextAt: startedAt + spec.initialDelaySeconds * 1000, successes: 0, failures: 0, passing: kind === 'liveness', running: false };
}

export const probeDue = (t: ProbeTracker, now: number): boolean => !t.running && now >= t.nextAt;

/** The tracker after one probe result at `now`. */
export function recordProbe(t: ProbeTracker, spec: ProbeSpec, ok: boolean, now: number, error?: string): ProbeTracker {
  const successes = ok ? t.successes + 1 : 0;
  const failures = ok ? 0 : t.failures + 1;
  let passing = t.passing;
  if (ok && successes >= spec.successThreshold) passing = true;
  if (!ok && failures >= spec.failureThreshold) passing = false;
  return { nextAt: now + spec.periodSeconds * 1000, successes, failures, passing, running: false, lastError: ok ? undefined : error };
}

/** The probe has failed failureThreshold times in a row (a replica under rollout that does this has failed). */
export const failedOut = (t: ProbeTracker, spec: ProbeSpec): boolean => t.failures >= spec.failureThreshold;

/**
 * The readiness probe a replica gets: its own, else a TCP connect to its first port (so the
 * balancer never sends traffic to a replica that is not listening yet), else none.
 */
export function effectiveReadiness(t: ReplicaTemplate, ports: readonly Pick<ServicePort, 'containerPort'>[]): { spec: ProbeSpec; implicit: boolean } | undefined {
  if (t.readinessProbe) return { spec: t.readinessProbe, implicit: false };
  const p = ports[0];
  if (!p) return undefined;
  return { spec: { tcpSocket: { port: p.containerPort }, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 1 }, implicit: true };
}
