// What the services controller keeps per service and replica between passes, and the pure
// decisions on it: which template a replica runs, whether it is ready, how the plan sees it,
// which container spec a new replica gets.
import os from 'node:os';
import type { ContainerInfo, ContainerSpec } from '../../contracts/containers.js';
import type { WorkloadState } from '../../kernel/workloads.js';
import type { ReplicaView } from './plan.js';
import { failedOut, type ProbeTracker } from './probes.js';
import type { Backend } from './proxy.js';
import { expandVars, replicaEnv } from './virtual.js';
import { LABEL_HASH, LABEL_SERVICE, ownerOf, type ProbeSpec, type ReplicaStatus, type ReplicaTemplate, type ServiceRecord, type ServiceStatus } from './types.js';

export interface Probe {
  spec: ProbeSpec;
  t: ProbeTracker;
}

export interface ReplicaRuntime {
  info: ContainerInfo;
  hash: string;
  readiness?: Probe & { implicit: boolean };
  liveness?: Probe;
  /** Being stopped and removed: no traffic, and the plan leaves it alone. */
  removing?: boolean;
  /** Probes are set up (they are, from the first time the replica is seen running). */
  probed?: boolean;
  /** Last readiness outcome reported by an event, to publish changes only. */
  announcedReady?: boolean;
}

export interface ServiceRuntime {
  name: string;
  namespace: string;
  record?: ServiceRecord;
  replicas: Map<string, ReplicaRuntime>;
  failures: number;
  backoffUntil: number;
  startErrors: number;
  startErrorsHash?: string;
  lastStartError?: string;
}

export const rtKey = (ns: string, name: string): string => `${ns}/${name}`;

/** The template a replica of `hash` runs: the current one, or the one a rollout started from. */
export function templateFor(rec: ServiceRecord, hash: string): ReplicaTemplate {
  if (hash === rec.templateHash) return rec.spec.template;
  if (hash === rec.rollout?.fromHash && rec.rollout.fromTemplate) return rec.rollout.fromTemplate;
  return rec.spec.template;
}

export function isReady(r: ReplicaRuntime): boolean {
  return r.info.state === 'running' && !r.removing && !!r.probed && (r.readiness ? r.readiness.t.passing : true);
}

/** Running but without a readiness result yet (probes not set up, or none answered): after a daemon restart every adopted replica starts so. */
export function isPending(r: ReplicaRuntime): boolean {
  if (r.info.state !== 'running' || r.removing || isReady(r)) return false;
  if (!r.probed) return true;
  return !!r.readiness && r.readiness.t.successes === 0 && r.readiness.t.failures === 0;
}

/** How the plan sees a replica; one stuck in "created" past the grace counts as failed. */
export function replicaView(r: ReplicaRuntime, now: number, createdGraceMs = 30_000): ReplicaView {
  const created = Date.parse(r.info.createdAt) || now;
  const stuck = r.info.state === 'created' && now - created > createdGraceMs;
  return {
    id: r.info.id,
    name: r.info.name,
    hash: r.hash,
    state: r.removing ? 'stopping' : stuck ? 'failed' : r.info.state,
    ready: isReady(r),
    ...(isPending(r) ? { pending: true } : {}),
    livenessFailed: !!r.liveness && !r.liveness.t.passing,
    readinessFailedOut: !!r.readiness && !r.readiness.implicit && failedOut(r.readiness.t, r.readiness.spec),
    createdAt: created,
    ...(r.info.exitCode !== undefined ? { exitCode: r.info.exitCode } : {}),
  };
}

/** `suffix` makes the name unique (random in the controller); `serviceEnv`: the services' env vars at start. */
export function replicaSpec(rec: ServiceRecord, suffix: string, serviceEnv: Record<string, string> = {}): ContainerSpec {
  const t = rec.spec.template;
  const name = `${rec.namespace === 'default' ? '' : `${rec.namespace}-`}${rec.name}-${rec.templateHash.slice(0, 5)}-${suffix}`;
  const fields: Record<string, string> = { 'metadata.name': name, 'metadata.namespace': rec.namespace, 'spec.nodeName': os.hostname(), 'spec.serviceAccountName': 'default' };
  const fieldEnv = Object.fromEntries(Object.entries(t.fieldEnv ?? {}).map(([k, fp]) => [k, fields[fp] ?? '']));
  const env = replicaEnv({ ...serviceEnv, ...fieldEnv }, t.env);
  return {
    name,
    image: t.image,
    // Kubernetes expands $(VAR) in command and args from the container's env.
    ...(t.command ? { entrypoint: t.command.map((a) => expandVars(a, env)) } : {}),
    ...(t.args ? { cmd: t.args.map((a) => expandVars(a, env)) } : {}),
    env,
    ...(t.cpus !== undefined ? { cpus: t.cpus } : {}),
    ...(t.memory !== undefined ? { memory: t.memory } : {}),
    ...(t.requests ? { requests: t.requests } : {}),
    network: 'bridge',
    // The controller replaces failed replicas itself (with back-off, and rollback in a rollout).
    restart: { name: 'no' },
    init: true,
    labels: { ...t.labels, [LABEL_SERVICE]: rec.name, [LABEL_HASH]: rec.templateHash },
    namespace: rec.namespace,
    owner: ownerOf(rec.name),
  };
}

/** The ready replicas with an address, as balancer backends for one container port. */
export function readyBackends(rt: ServiceRuntime | undefined, containerPort: number): Backend[] {
  const backends: Backend[] = [];
  for (const r of rt?.replicas.values() ?? []) if (isReady(r) && r.info.ip) backends.push({ id: r.info.id, name: r.info.name, host: r.info.ip, port: containerPort });
  return backends;
}

const DEAD: readonly WorkloadState[] = ['exited', 'failed'];

/** What `service inspect` shows: the record, its replicas as seen on the last pass, and its ports. */
export function serviceStatus(rec: ServiceRecord, rt: ServiceRuntime | undefined, endpoints: ServiceStatus['endpoints']): ServiceStatus {
  const replicas: ReplicaStatus[] = [...(rt?.replicas.values() ?? [])].map((r) => ({
    id: r.info.id,
    name: r.info.name,
    state: r.removing ? 'stopping' : r.info.state,
    ready: isReady(r),
    ...(r.info.ip ? { ip: r.info.ip } : {}),
    templateHash: r.hash,
    image: r.info.image,
    restarts: r.info.restartCount,
    createdAt: r.info.createdAt,
    ...(r.readiness?.t.lastError ? { reason: r.readiness.t.lastError } : {}),
    ...((r.info as { node?: string }).node ? { node: (r.info as { node?: string }).node } : {}),
  }));
  return {
    ...rec,
    readyReplicas: replicas.filter((r) => r.ready && r.templateHash === rec.templateHash).length,
    currentReplicas: replicas.filter((r) => r.templateHash === rec.templateHash && !DEAD.includes(r.state as WorkloadState)).length,
    replicaStatus: replicas,
    endpoints,
  };
}
