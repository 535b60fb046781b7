// Cluster mode: join tokens, node registration and leases (after k3s' tokens and Kubernetes'
// Node and Lease objects). The server side is the cluster module (kind llmos.cluster.v1); an agent
// (kind llmos.agent.v1) joins it with a token and renews its node's lease.
import { z } from 'zod';
import type { ContainersApi, ContainerSpec } from './containers.js';
import type { NodeAffinity } from './scheduler.js';

export const clusterKind = 'llmos.cluster.v1' as const;
export const agentKind = 'llmos.agent.v1' as const;

/** Node names are DNS labels (RFC 1123), as Kubernetes' node names mostly are. */
export const nodeNameSchema = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a node name is a DNS label: lower-case letters, digits and -, at most 63');

/** CPU in millicores, memory in bytes. */
export const resourcesSchema = z.object({ cpu: z.number().int().min(0), memory: z.number().int().min(0) }).strict();
export type NodeResources = z.infer<typeof resourcesSchema>;

const labelKey = z.string().regex(/^([a-z0-9.-]{1,253}\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, 'a label key is [prefix/]name (Kubernetes syntax)');
const labelValue = z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, 'a label value is at most 63 letters, digits, -, _ or .');
export const labelsSchema = z.record(labelKey, labelValue);

export const taintSchema = z.object({ key: labelKey, value: labelValue.optional(), effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']) }).strict();
export type Taint = z.infer<typeof taintSchema>;

/** Labels every node carries (hybrid cloud placement reads them). */
export const cloudLabel = 'llmos.io/cloud';
export const zoneLabel = 'llmos.io/zone';

/** What an agent reports of its machine, at join and with each lease renewal. */
export const nodeReportSchema = z.object({
  capacity: resourcesSchema,
  allocatable: resourcesSchema,
  allocated: resourcesSchema,
  runtimes: z.array(z.string().max(64)).max(16),
  images: z.array(z.string().max(512)).max(10_000),
  workloads: z.number().int().min(0),
  agentVersion: z.string().max(64),
}).strict();
export type NodeReport = z.infer<typeof nodeReportSchema>;

export const joinRequestSchema = z.object({
  token: z.string().min(1).max(512),
  name: nodeNameSchema,
  /** Random id kept in the agent's data dir: the same name from another machine is a different node. */
  machineId: z.string().regex(/^[0-9a-f]{32}$/, 'machineId is 32 hex digits'),
  labels: labelsSchema,
  taints: z.array(taintSchema).max(64),
  report: nodeReportSchema,
  /** The node's configured pod subnet (CIDR); absent: the server allocates one (h19net). */
  podSubnet: z.string().max(18).optional(),
}).strict();
export type JoinRequest = z.infer<typeof joinRequestSchema>;

export const joinAnswerSchema = z.object({ name: z.string(), credential: z.string(), leaseIntervalMs: z.number().int(), podSubnet: z.string().optional() });
export type JoinAnswer = z.infer<typeof joinAnswerSchema>;

export const leaseRequestSchema = z.object({ report: nodeReportSchema }).strict();
export const leaseAnswerSchema = z.object({ renewTime: z.string(), leaseIntervalMs: z.number().int() });

export const tokenCreateSchema = z.object({ ttlSeconds: z.number().int().min(1).max(10 * 365 * 86_400).optional(), description: z.string().max(256).optional() }).strict();
export type TokenCreate = z.infer<typeof tokenCreateSchema>;
export const tokenInfoSchema = z.object({ id: z.string(), description: z.string(), createdAt: z.string(), expiresAt: z.string(), expired: z.boolean() });
export type TokenInfo = z.infer<typeof tokenInfoSchema>;
export const tokenCreatedSchema = tokenInfoSchema.extend({ token: z.string() });
export type TokenCreated = z.infer<typeof tokenCreatedSchema>;

export const nodeViewSchema = z.object({
  name: z.string(),
  status: z.enum(['Ready', 'NotReady']),
  /** Cordoned: no new workloads are placed here. */
  unschedulable: z.boolean(),
  roles: z.array(z.string()),
  labels: z.record(z.string(), z.string()),
  taints: z.array(taintSchema),
  zone: z.string(),
  cloud: z.string(),
  address: z.string(),
  /** The node's pod subnet ('' when it has none). */
  podSubnet: z.string(),
  capacity: resourcesSchema,
  allocatable: resourcesSchema,
  allocated: resourcesSchema,
  runtimes: z.array(z.string()),
  images: z.array(z.string()),
  workloads: z.number(),
  agentVersion: z.string(),
  createdAt: z.string(),
  lastHeartbeat: z.string().nullable(),
  /** Seconds since lastHeartbeat (null before the first). */
  heartbeatAgeSeconds: z.number().nullable(),
  /** `llmos node drain`: cordoned, and its service replicas are being moved elsewhere. */
  draining: z.boolean().optional(),
  /** Its agent's tunnel is open: the server can reach its API (NodeClient). */
  connected: z.boolean().optional(),
  /** NotReady since (ISO: last heartbeat + --node-grace); null while Ready (issue 20). */
  notReadySince: z.string().nullable().optional(),
});
export type NodeView = z.infer<typeof nodeViewSchema>;

/** `llmos node label|taint|cordon|uncordon`: labels set (null removes), taints added or removed by key. */
export const nodePatchSchema = z.object({
  labels: z.record(labelKey, labelValue.nullable()).optional(),
  addTaints: z.array(taintSchema).max(64).optional(),
  removeTaints: z.array(labelKey).max(64).optional(),
  unschedulable: z.boolean().optional(),
  /** Drain: cordon and move service replicas off (uncordon clears it). */
  draining: z.boolean().optional(),
}).strict();
export type NodePatch = z.infer<typeof nodePatchSchema>;

/** One request to a node's API through its tunnel (the agent adds its own API token). */
export interface NodeRequest {
  method: string;
  /** Path and query, e.g. /v1/containers?all=true. */
  path: string;
  headers?: Record<string, string | string[] | undefined>;
  body?: Buffer | string | NodeJS.ReadableStream;
}

export interface NodeResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body, streamed (logs -f, event streams). */
  body: NodeJS.ReadableStream;
}

/**
 * A connected node's LLMOS API, over the reverse tunnel its agent opened (HTTP/2 on the upgraded
 * connection; the server is the HTTP/2 client). Throws Unavailable when the tunnel is gone.
 */
export interface NodeClient {
  readonly name: string;
  request(req: NodeRequest): Promise<NodeResponse>;
  /** A JSON call; a non-2xx answer throws the matching LLMOS error with the node's message. */
  json<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** An HTTP upgrade (exec -it, attach) to the node's API: the 101's headers and the raw stream. */
  upgrade(req: NodeRequest): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; stream: NodeJS.ReadWriteStream }>;
  /** A TCP connection made from the node (its network namespace) to host:port, e.g. a probe of a replica. */
  dial(host: string, port: number): Promise<NodeJS.ReadWriteStream>;
}

/** The upgrade token of the agents' tunnel (`GET /v1/cluster/agent/tunnel`, Upgrade: llmos-tunnel). */
export const tunnelProtocol = 'llmos-tunnel';
export const tunnelPath = '/v1/cluster/agent/tunnel';

/** A plain container to place on a node (`llmos run IMG` without --node on a server nodes joined). */
export interface ContainerPlacementRequest {
  spec: Pick<ContainerSpec, 'name' | 'image' | 'cpus' | 'memory' | 'requests'>;
  /** `llmos run --node-selector K=V`: the node must carry every one of these labels. */
  nodeSelector?: Record<string, string>;
  nodeAffinity?: NodeAffinity;
}

/** What a module on an agent node may ask of its agent: the node's name and calls to the server with the node credential. */
export interface AgentLink {
  readonly nodeName: string;
  /** One JSON call to the server; Unavailable while it is unreachable or the node has not joined yet. */
  callServer<T>(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<T>;
}

export interface ClusterApi {
  /** The cluster CA certificate (PEM), made on first call. */
  ca(): Promise<string>;
  createToken(req: TokenCreate): Promise<TokenCreated>;
  listTokens(): Promise<TokenInfo[]>;
  deleteToken(id: string): Promise<void>;
  /** Unauthenticated for a bad or expired token, AlreadyExists for a name held by another machine. */
  join(req: JoinRequest, from: string): Promise<JoinAnswer>;
  /** Unauthenticated for an unknown credential (a removed node must join again). */
  /** The name of the node a credential belongs to; Unauthenticated otherwise. */
  authenticateNode(credential: string): Promise<string>;
  renew(credential: string, report: NodeReport): Promise<{ renewTime: string; leaseIntervalMs: number }>;
  nodes(): Promise<NodeView[]>;
  node(name: string): Promise<NodeView>;
  updateNode(name: string, patch: NodePatch): Promise<NodeView>;
  removeNode(name: string): Promise<void>;
  /** The client of a node whose agent's tunnel is open; Unavailable "node N is not connected" otherwise. */
  nodeClient(name: string): NodeClient;
  /** Names of the nodes with an open tunnel. */
  connectedNodes(): string[];
  /**
   * The node the scheduler picks for a new plain container (Ready, connected, runs runc; taints,
   * cordon, selector, affinity, resources), or undefined when no node has joined (one machine: run
   * it here). ResourceExhausted with the reasons when no node fits.
   */
  placeContainer(req: ContainerPlacementRequest): Promise<string | undefined>;
  /**
   * `local` with list, inspect, stop, kill, remove, wait, stats and logs extended to the containers
   * of every connected node (the Docker API socket's view on a server); the rest stays local.
   */
  containersView<T extends ContainersApi>(local: T): T;
  /**
   * Takes an agent's upgraded tunnel connection (after the 101 is written): authenticates the
   * node credential (Unauthenticated) and serves the node's client over it until it closes.
   */
  acceptTunnel(credential: string, socket: NodeJS.ReadWriteStream & { destroy(): void }, head: Buffer): Promise<string>;
  /** --eviction-timeout (ms): how long a NotReady node keeps its service replicas before they are replaced elsewhere. */
  readonly evictionTimeoutMs: number;
  /** Records workloads of a node that were replaced elsewhere while it was NotReady (its agent stops them when it is back). */
  markReplaced(node: string, workloads: readonly ReplacedWorkload[]): Promise<void>;
  /** The replaced workloads not yet stopped by their node's agent (of one node, or of all). */
  replaced(node?: string): Promise<ReplacedWorkload[]>;
  /** The agent stopped (or no longer has) these: forget them. */
  replacedDone(node: string, ids: readonly string[]): Promise<void>;
}

/** A workload replaced on other nodes while its node was NotReady (`/cluster/replaced/<node>/<id>`). */
export const replacedWorkloadSchema = z.object({
  id: z.string().max(128),
  name: z.string().max(253),
  node: z.string().max(63),
  /** What it was, e.g. service/web in namespace default. */
  owner: z.string().max(512),
  namespace: z.string().max(253),
  replacedAt: z.string(),
  reason: z.string().max(512),
});
export type ReplacedWorkload = z.infer<typeof replacedWorkloadSchema>;
export const replacedListSchema = z.object({ workloads: z.array(replacedWorkloadSchema) });
export const replacedDoneSchema = z.object({ ids: z.array(z.string().min(1).max(128)).max(10_000) }).strict();

/** `K10<sha256 of the CA certificate, hex>::<id>.<secret>` (k3s' secure token format, kubeadm's id.secret). */
export function parseJoinToken(token: string): { caHash: string; id: string; secret: string } | undefined {
  const m = /^K10([0-9a-f]{64})::([0-9a-z]{6,32})\.([A-Za-z0-9_-]{16,128})$/.exec(token.trim());
  return m ? { caHash: m[1]!, id: m[2]!, secret: m[3]! } : undefined;
}
