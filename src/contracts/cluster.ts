// Cluster mode: join tokens, node registration and leases (after k3s' tokens and Kubernetes'
// Node and Lease objects). The server side is the cluster module (kind llmos.cluster.v1); an agent
// (kind llmos.agent.v1) joins it with a token and renews its node's lease.
import { z } from 'zod';

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
}).strict();
export type JoinRequest = z.infer<typeof joinRequestSchema>;

export const joinAnswerSchema = z.object({ name: z.string(), credential: z.string(), leaseIntervalMs: z.number().int() });
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
});
export type NodeView = z.infer<typeof nodeViewSchema>;

/** `llmos node label|taint|cordon|uncordon`: labels set (null removes), taints added or removed by key. */
export const nodePatchSchema = z.object({
  labels: z.record(labelKey, labelValue.nullable()).optional(),
  addTaints: z.array(taintSchema).max(64).optional(),
  removeTaints: z.array(labelKey).max(64).optional(),
  unschedulable: z.boolean().optional(),
}).strict();
export type NodePatch = z.infer<typeof nodePatchSchema>;

export interface ClusterApi {
  /** The cluster CA certificate (PEM), made on first call. */
  ca(): Promise<string>;
  createToken(req: TokenCreate): Promise<TokenCreated>;
  listTokens(): Promise<TokenInfo[]>;
  deleteToken(id: string): Promise<void>;
  /** Unauthenticated for a bad or expired token, AlreadyExists for a name held by another machine. */
  join(req: JoinRequest, from: string): Promise<JoinAnswer>;
  /** Unauthenticated for an unknown credential (a removed node must join again). */
  renew(credential: string, report: NodeReport): Promise<{ renewTime: string; leaseIntervalMs: number }>;
  nodes(): Promise<NodeView[]>;
  node(name: string): Promise<NodeView>;
  updateNode(name: string, patch: NodePatch): Promise<NodeView>;
  removeNode(name: string): Promise<void>;
}

/** `K10<sha256 of the CA certificate, hex>::<id>.<secret>` (k3s' secure token format, kubeadm's id.secret). */
export function parseJoinToken(token: string): { caHash: string; id: string; secret: string } | undefined {
  const m = /^K10([0-9a-f]{64})::([0-9a-z]{6,32})\.([A-Za-z0-9_-]{16,128})$/.exec(token.trim());
  return m ? { caHash: m[1]!, id: m[2]!, secret: m[3]! } : undefined;
}
