// The services contract: what is stored (desired state) and what the API reports about services,
// replicas and applied manifests; the CLI reads these. Types only.
import { z } from 'zod';
import { logLineSchema, type LogLine } from './containers.js';
import type { ServiceNetState } from './network.js';
import type { ServicePlacement } from './placement.js';
import { nodeAffinitySchema, type NodeAffinity } from './scheduler.js';

/** A probe with Kubernetes semantics; exactly one of exec, httpGet, tcpSocket is set. */
export interface ProbeSpec {
  exec?: { command: string[] };
  /** port is the container port to GET on the replica's bridge address. */
  httpGet?: { path: string; port: number };
  tcpSocket?: { port: number };
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

export type PortProtocol = 'http' | 'tcp';

export interface ServicePort {
  name?: string;
  containerPort: number;
  /** Published on the service's load balancer; absent: the port is only named (for probes, selectors). */
  hostPort?: number;
  protocol: PortProtocol;
}

/** What every replica of a service runs. Changing it is a rolling update. */
export interface ReplicaTemplate {
  image: string;
  /** Overrides the image's entrypoint (Kubernetes `command`). */
  command?: string[];
  /** Overrides the image's cmd (Kubernetes `args`). */
  args?: string[];
  env: Record<string, string>;
  /** Env vars from the replica itself (Kubernetes env[].valueFrom.fieldRef): NAME -> fieldPath, e.g. metadata.name. */
  fieldEnv?: Record<string, string>;
  /** CPU limit in cores. */
  cpus?: number;
  /** Memory limit in bytes. */
  memory?: number;
  /** Requests: cores and bytes (what the autoscaler's utilisation is relative to). */
  requests?: { cpu?: number; memory?: number };
  readinessProbe?: ProbeSpec;
  livenessProbe?: ProbeSpec;
  /** Labels put on every replica (Kubernetes pod template labels). */
  labels: Record<string, string>;
}

export interface ServiceSpec {
  replicas: number;
  template: ReplicaTemplate;
  ports: ServicePort[];
  /** Bounds for the autoscaler. */
  autoscale?: { min: number; max: number };
  /** A new template that has no ready replica after this long is rolled back. */
  progressDeadlineSeconds: number;
  /** Cluster mode: nodes matching `prefer` first, then `burst` ones (default: llmos.io/cloud=private first, then any). */
  placement?: ServicePlacement;
  /**
   * Cluster mode (issue 20): how long (seconds) a replica on a NotReady node is kept before it is
   * replaced on another node, or 'never' (OpenYurt's autonomy); absent: the server's --eviction-timeout.
   */
  tolerateUnreachable?: number | 'never';
  /** Cluster mode: a Deployment's required node affinity (and nodeSelector); only matching nodes get replicas. */
  nodeAffinity?: NodeAffinity;
}

export type RolloutPhase = 'progressing' | 'complete' | 'rolled-back';

export interface RolloutRecord {
  phase: RolloutPhase;
  /** Template hash being rolled out (the current one while progressing). */
  toHash: string;
  /** Template hash rolled out from, and its template, to roll back to. */
  fromHash?: string;
  fromTemplate?: ReplicaTemplate;
  startedAt: string;
  finishedAt?: string;
  reason?: string;
}

/** Stored at /services/NAMESPACE/NAME. */
export interface ServiceRecord {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  spec: ServiceSpec;
  /** Hash of spec.template; replicas carry it in the llmos.io/template-hash label. */
  templateHash: string;
  /** Bumped on every change of the spec. */
  generation: number;
  createdAt: string;
  updatedAt: string;
  rollout?: RolloutRecord;
  /** The manifest kind this service was last written from: Service (LLMOS), Deployment, or cli. */
  source: 'cli' | 'Service' | 'Deployment';
}

/** A Kubernetes v1 Service: publishes ports of the services whose labels match its selector. Stored at /service-exposures/NAMESPACE/NAME. */
export interface ExposureRecord {
  name: string;
  namespace: string;
  type: 'LoadBalancer' | 'NodePort' | 'ClusterIP';
  selector: Record<string, string>;
  /** port: on the ClusterIP (absent in records written before ClusterIPs: hostPort or targetPort). */
  ports: Array<{ name?: string; port?: number; hostPort?: number; targetPort: number | string; protocol: PortProtocol }>;
  /** clusterIP: None (headless): the name answers with the ready endpoints' addresses. */
  headless?: boolean;
  sessionAffinity?: 'None' | 'ClientIP';
}

/** Stored at /autoscalers/NAMESPACE/NAME for the autoscaler module. */
export interface AutoscalerRecord {
  name: string;
  namespace: string;
  /** "service/NAME". */
  target: string;
  policy: 'threshold';
  min: number;
  max: number;
  /** Normalised from autoscaling/v2 metrics: target utilisation (percent of requests) or average value per replica. */
  metrics: Array<{ name: 'cpu' | 'memory' | 'rps' | 'concurrency'; type: 'Utilization' | 'AverageValue'; target: number }>;
  source: 'HorizontalPodAutoscaler' | 'cli';
}

/** A replica as the services module reports it. */
export interface ReplicaStatus {
  id: string;
  name: string;
  state: string;
  ready: boolean;
  ip?: string;
  templateHash: string;
  image: string;
  restarts: number;
  createdAt: string;
  reason?: string;
  /** Cluster mode: the node the replica runs on (absent: this machine). */
  node?: string;
}

/** A service as the API reports it (`GET /v1/services`). */
export interface ServiceStatus extends ServiceRecord {
  readyReplicas: number;
  currentReplicas: number;
  replicaStatus: ReplicaStatus[];
  /** Host ports this service is published on, with where each listens and whether the bind succeeded. */
  endpoints: Array<{ hostPort: number; containerPort: number; protocol: PortProtocol; addresses: string[]; error?: string; via?: string }>;
  /** ClusterIP, DNS names and the kernel rules (with packet counters) of the service's name and of the v1 Services selecting it (inspect only). */
  network?: Array<ServiceNetState & { service: string }>;
}

/** What `llmos apply` / `delete` did to one object. */
export type ApplyAction = 'created' | 'configured' | 'unchanged' | 'deleted' | 'not found';

export interface ApplyOutcome {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  action: ApplyAction;
  /** Fields outside the supported subset, as "path: message". */
  warnings: string[];
  detail?: string;
}

/** A replica's log line, as `llmos logs service/NAME` shows it. */
export interface ServiceLogLine extends LogLine {
  replica: string;
}

// ---- Response schemas (the API's answers) ----

const probeSpecSchema = z.object({
  exec: z.object({ command: z.array(z.string()) }).optional(),
  httpGet: z.object({ path: z.string(), port: z.number() }).optional(),
  tcpSocket: z.object({ port: z.number() }).optional(),
  initialDelaySeconds: z.number(),
  periodSeconds: z.number(),
  timeoutSeconds: z.number(),
  successThreshold: z.number(),
  failureThreshold: z.number(),
});
const portProtocolSchema = z.enum(['http', 'tcp']);
const replicaTemplateSchema = z.object({
  image: z.string(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()),
  cpus: z.number().optional(),
  memory: z.number().optional(),
  requests: z.object({ cpu: z.number().optional(), memory: z.number().optional() }).optional(),
  readinessProbe: probeSpecSchema.optional(),
  livenessProbe: probeSpecSchema.optional(),
  labels: z.record(z.string(), z.string()),
});
const serviceRecordShape = {
  name: z.string(),
  namespace: z.string(),
  labels: z.record(z.string(), z.string()),
  spec: z.object({
    replicas: z.number(),
    template: replicaTemplateSchema,
    ports: z.array(z.object({ name: z.string().optional(), containerPort: z.number(), hostPort: z.number().optional(), protocol: portProtocolSchema })),
    autoscale: z.object({ min: z.number(), max: z.number() }).optional(),
    progressDeadlineSeconds: z.number(),
    placement: z.object({ prefer: z.record(z.string(), z.string()), burst: z.record(z.string(), z.string()).optional() }).optional(),
    tolerateUnreachable: z.union([z.number(), z.literal('never')]).optional(),
    nodeAffinity: nodeAffinitySchema.optional(),
  }),
  templateHash: z.string(),
  generation: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
  rollout: z
    .object({
      phase: z.enum(['progressing', 'complete', 'rolled-back']),
      toHash: z.string(),
      fromHash: z.string().optional(),
      fromTemplate: replicaTemplateSchema.optional(),
      startedAt: z.string(),
      finishedAt: z.string().optional(),
      reason: z.string().optional(),
    })
    .optional(),
  source: z.enum(['cli', 'Service', 'Deployment']),
};
export const serviceRecordSchema = z.object(serviceRecordShape);
export const replicaStatusSchema = z.object({
  id: z.string(),
  name: z.string(),
  state: z.string(),
  ready: z.boolean(),
  ip: z.string().optional(),
  templateHash: z.string(),
  image: z.string(),
  restarts: z.number(),
  createdAt: z.string(),
  reason: z.string().optional(),
  node: z.string().optional(),
});
export const serviceStatusSchema = z.object({
  ...serviceRecordShape,
  readyReplicas: z.number(),
  currentReplicas: z.number(),
  replicaStatus: z.array(replicaStatusSchema),
  endpoints: z.array(z.object({ hostPort: z.number(), containerPort: z.number(), protocol: portProtocolSchema, addresses: z.array(z.string()), error: z.string().optional(), via: z.string().optional() })),
});
export const applyOutcomeSchema = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  namespace: z.string(),
  action: z.enum(['created', 'configured', 'unchanged', 'deleted', 'not found']),
  warnings: z.array(z.string()),
  detail: z.string().optional(),
});
export const serviceLogLineSchema = logLineSchema.extend({ replica: z.string() });
