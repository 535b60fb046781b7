// Readiness and liveness probes of service replicas: set up when a replica is first seen running,
// run on a timer, and their outcomes turned into events, balancer updates and reconcile passes.
// The pure parts (when a probe is due, what a result means) are in probes.ts; running one is in
// prober.ts.
import { faultPoint } from '../../kernel/faults.js';
import type { ClusterReplicas } from './cluster-replicas.js';
import { effectiveReadiness, failedOut, newTracker, probeDue, recordProbe } from './probes.js';
import { runProbe } from './prober.js';
import { isReady, templateFor, type ReplicaRuntime, type ServiceRuntime } from './replica-runtime.js';
import type { ServiceRecord } from './types.js';

export interface ReplicaProbesOptions {
  services: () => Iterable<ServiceRuntime>;
  placed: ClusterReplicas;
  now: () => number;
  publish: (rt: ServiceRuntime, topic: string, message: string, data: Record<string, unknown>) => void;
  /** A replica's readiness changed: the balancers follow. */
  refreshBackends: () => void;
  /** A result the plan acts on (readiness changed, failed out, liveness lost). */
  kick: () => void;
  /** The fault-injection step name for a service's event (the controller's naming). */
  step: (rec: ServiceRecord | undefined, name: string) => string;
}

export class ReplicaProbes {
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly o: ReplicaProbesOptions) {}

  start(tickMs: number): void {
    this.timer = setInterval(() => this.tick(), tickMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  /** Sets up a replica's probes the first time it is seen running (initialDelaySeconds counts from its start). */
  ensure(rec: ServiceRecord, r: ReplicaRuntime): void {
    if (r.probed || r.info.state !== 'running') return;
    r.probed = true;
    const started = Date.parse(r.info.startedAt ?? r.info.createdAt) || this.o.now();
    const t = templateFor(rec, r.hash);
    const rd = effectiveReadiness(t, rec.spec.ports);
    if (rd) r.readiness = { ...rd, t: newTracker(rd.spec, 'readiness', started) };
    if (t.livenessProbe) r.liveness = { spec: t.livenessProbe, t: newTracker(t.livenessProbe, 'liveness', started) };
  }

  /** Starts every probe that is due (the timer's round; tests call it to step). */
  tick(): void {
    const now = this.o.now();
    for (const rt of this.o.services())
      for (const r of rt.replicas.values()) {
        if (r.info.state !== 'running') continue;
        for (const kind of ['readiness', 'liveness'] as const) {
          const p = r[kind];
          if (!p || !probeDue(p.t, now)) continue;
          p.t = { ...p.t, running: true };
          const placed = this.o.placed;
          void runProbe(p.spec, { containerId: r.info.id, ip: r.info.ip }, placed.ops, placed.dialer(r.info.id)).then(({ ok, error }) => this.onResult(rt, r, kind, ok, error));
        }
      }
  }

  private onResult(rt: ServiceRuntime, r: ReplicaRuntime, kind: 'readiness' | 'liveness', ok: boolean, error?: string): void {
    const p = r[kind];
    if (!p || this.stopped) return;
    const before = p.t.passing;
    p.t = recordProbe(p.t, p.spec, ok, this.o.now(), error);
    const why = p.t.lastError ?? 'probe failed';
    if (kind === 'readiness') {
      const ready = isReady(r);
      if (ready !== r.announcedReady && rt.replicas.get(r.info.id) === r) {
        if (ready) faultPoint(this.o.step(rt.record, 'health-check-passed'));
        r.announcedReady = ready;
        this.o.publish(rt, ready ? 'replica-ready' : 'replica-unready', `service ${rt.name}: replica ${r.info.name} ${ready ? 'is ready' : `is not ready: ${why}`}`, { replica: r.info.name });
        this.o.refreshBackends();
        this.o.kick();
      } else if (!ok && failedOut(p.t, p.spec) && !('implicit' in p && p.implicit)) this.o.kick();
    } else if (before && !p.t.passing) {
      this.o.publish(rt, 'replica-unhealthy', `service ${rt.name}: replica ${r.info.name} failed its liveness probe: ${why}`, { replica: r.info.name });
      this.o.kick();
    }
  }
}
