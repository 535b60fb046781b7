// The IoT contract (kind llmos.iot.v1): device models and devices (KubeEdge's DeviceModel and
// Device), their twins (desired / reported state with versions) and telemetry. One zod schema per
// wire shape; the module, the API routes, the CLI and the dashboard derive their types from them.
import { z } from 'zod';
import { deployBodySchema, type DeployInput } from './functions.js';

export const iotKind = 'llmos.iot.v1' as const;
/** The edge half of the iot module on a cluster agent: syncs its devices with the server. */
export const iotEdgeKind = 'llmos.iot-edge.v1' as const;

/** Device and model names: also MQTT usernames and topic levels, so no '/', '+', '#', ':' or spaces. */
export const deviceNameRe = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
const name = z.string().regex(deviceNameRe, 'names are 1-63 of a-z 0-9 _ . - starting with a letter or digit');
const propName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'property names are identifiers (letters, digits, _)');

export const propertySchema = z
  .object({
    name: propName,
    type: z.enum(['number', 'integer', 'boolean', 'string']),
    unit: z.string().max(32).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    enum: z.array(z.union([z.string().max(256), z.number()])).min(1).max(100).optional(),
    access: z.enum(['read', 'readwrite']).default('read'),
  })
  .strict();
export type PropertyDef = z.infer<typeof propertySchema>;

export const modelCreateSchema = z.object({ name, properties: z.array(propertySchema).min(1).max(100), labels: z.record(z.string(), z.string()).optional() }).strict();
export type ModelCreate = z.input<typeof modelCreateSchema>;

export const deviceCreateSchema = z
  .object({
    name,
    model: name,
    /** The node the device talks to (edge); '' or absent = this node. */
    node: z.string().max(253).optional(),
    labels: z.record(z.string().max(63), z.string().max(256)).optional(),
  })
  .strict();
export type DeviceCreate = z.infer<typeof deviceCreateSchema>;

/** A twin value: what a property may hold on the wire. */
export type TwinValue = number | boolean | string;
export const twinValueSchema = z.union([z.number(), z.boolean(), z.string().max(4096)]);

export const modelInfoSchema = z.object({ name: z.string(), properties: z.array(propertySchema), labels: z.record(z.string(), z.string()), createdAt: z.string() });
export type ModelInfo = z.infer<typeof modelInfoSchema>;

export const deviceInfoSchema = z.object({
  name: z.string(),
  model: z.string(),
  node: z.string(),
  labels: z.record(z.string(), z.string()),
  createdAt: z.string(),
  /** Reported state (from the device), keyed by property. */
  reported: z.record(z.string(), twinValueSchema),
  /** Desired state (set through LLMOS), keyed by property. */
  desired: z.record(z.string(), twinValueSchema),
  /** Desired properties whose reported value differs: what the device has yet to apply. */
  delta: z.record(z.string(), twinValueSchema),
  desiredVersion: z.number(),
  reportedVersion: z.number(),
  online: z.boolean(),
  /** ISO time of the last message from the device, or null when it never sent one. */
  lastSeen: z.string().nullable(),
});
export type DeviceInfo = z.infer<typeof deviceInfoSchema>;

/**
 * Issued credentials, shown once: a password, or (certificate) a client key and certificate whose
 * CN is the username. caFile/ca: the CA that signs the broker's certificate, when it has TLS.
 */
export const credentialsSchema = z.object({
  username: z.string(),
  password: z.string().optional(),
  url: z.string(),
  caFile: z.string().optional(),
  ca: z.string().optional(),
  cert: z.string().optional(),
  key: z.string().optional(),
});
export type DeviceCredentials = z.infer<typeof credentialsSchema>;

export const telemetryPointSchema = z.object({ t: z.number(), v: z.number(), downsampled: z.literal(true).optional(), max: z.number().optional() });
export const telemetrySchema = z.object({ device: z.string(), series: z.record(z.string(), z.array(telemetryPointSchema)) });
export type DeviceTelemetry = z.infer<typeof telemetrySchema>;

export const brokerInfoSchema = z.object({ url: z.string(), managed: z.boolean(), connected: z.boolean(), restarts: z.number(), rejected: z.number(), received: z.number() });
export type BrokerInfo = z.infer<typeof brokerInfoSchema>;

/**
 * Edge sync (POST /v1/cluster/agent/iot/sync, bearer: the node credential): an edge node's iot
 * module sends its broker's URL, the twins of its devices that changed and a batch of buffered
 * telemetry points; the server answers the models, the devices bound to that node (with their
 * password hashes) and their desired state. Points carry the edge's sequence numbers: the server
 * applies each once (a batch resent after a lost answer is skipped) and answers the highest it has.
 */
export const edgeSyncPath = '/v1/cluster/agent/iot/sync';
const edgeTwinSchema = z.object({
  name,
  reported: z.record(z.string(), twinValueSchema),
  reportedVersion: z.number().int().min(0),
  desired: z.record(z.string(), twinValueSchema),
  desiredVersion: z.number().int().min(0),
  lastSeen: z.number().nullable(),
  online: z.boolean(),
}).strict();
export type EdgeTwin = z.infer<typeof edgeTwinSchema>;
/** [seq, device, property, time (ms), value]. */
export const edgePointSchema = z.tuple([z.number().int().min(0), name, propName, z.number(), z.number()]);
export type EdgePoint = z.infer<typeof edgePointSchema>;
export const edgeSyncRequestSchema = z.object({
  /** certUrl and ca (its CA's PEM, which devices verify it with): its certificate listener, when its broker has TLS. */
  broker: z.object({ url: z.string().max(512), caFile: z.string().max(4096).optional(), certUrl: z.string().max(512).optional(), ca: z.string().max(16_384).optional() }).strict().optional(),
  twins: z.array(edgeTwinSchema).max(100_000),
  points: z.array(edgePointSchema).max(10_000),
  /** Points the edge dropped so far (its buffer was full: oldest first). */
  dropped: z.number().int().min(0),
}).strict();
export type EdgeSyncRequest = z.infer<typeof edgeSyncRequestSchema>;
export const edgeDeviceSchema = z.object({ name: z.string(), model: z.string(), labels: z.record(z.string(), z.string()), createdAt: z.string(), passwordHash: z.string().optional() });
/**
 * A server-deployed device rule that matches devices bound to the node: the deploy body of the
 * node's copy (the functions module's node-copy input with `onDevice`, `when`, `origin` and the
 * bundled code). Its selector is narrowed with `node=N`, so the copy fires for the node's devices only.
 */
export const edgeRuleSchema = deployBodySchema;
export type EdgeRule = z.infer<typeof edgeRuleSchema>;
export const edgeSyncAnswerSchema = z.object({
  ackSeq: z.number(),
  models: z.array(modelInfoSchema),
  devices: z.array(edgeDeviceSchema),
  desired: z.array(z.object({ name: z.string(), desired: z.record(z.string(), twinValueSchema), desiredVersion: z.number() })),
  rules: z.array(edgeRuleSchema),
  /** The cluster CA and its CRL (PEM), when the server issues device certificates: the node's certificate listener trusts them. */
  trust: z.object({ ca: z.string(), crl: z.string() }).optional(),
});
export type EdgeSyncAnswer = z.infer<typeof edgeSyncAnswerSchema>;

/**
 * What an edge node's iot module needs of its functions module to keep the server's device rules
 * there (deploy, list, remove); the functions module's API satisfies it.
 */
export interface DeviceRuleHost {
  deploy(input: DeployInput, code?: { files: Record<string, string>; entry: string }): Promise<unknown>;
  list(): Array<{ spec: { name: string; origin?: string; device?: { selector: string; when: string } } }>;
  remove(name: string): Promise<void>;
}

/** A device event given to rule functions (`--on-device`). */
export interface DeviceEvent {
  device: string;
  model: string;
  property: string;
  value: TwinValue;
  /** ms since epoch. */
  time: number;
  /** 'telemetry' or 'reported'. */
  source: 'telemetry' | 'reported';
}

export interface IotApi {
  createModel(m: ModelCreate): Promise<ModelInfo>;
  listModels(): Promise<ModelInfo[]>;
  getModel(name: string): Promise<ModelInfo>;
  /** Refused (FailedPrecondition) while a device uses it. */
  removeModel(name: string): Promise<void>;
  /** Creates devices (all or nothing); returns their names. */
  createDevices(ds: unknown[]): Promise<string[]>;
  listDevices(filter?: { model?: string; labels?: Record<string, string> }): Promise<DeviceInfo[]>;
  getDevice(name: string): Promise<DeviceInfo>;
  removeDevice(name: string): Promise<void>;
  /** A new password (the old one stops working); shown once, stored hashed. */
  rotateCredentials(name: string, opts?: { certificate?: boolean }): Promise<DeviceCredentials>;
  /** Validates against the model (readwrite properties only) and publishes desired state. */
  setDesired(name: string, props: Record<string, unknown>): Promise<DeviceInfo>;
  telemetry(name: string, range?: { from?: number; to?: number }): Promise<DeviceTelemetry>;
  broker(): BrokerInfo;
  /** Rule triggers: called for every valid reported or telemetry property, with the device's current values. */
  subscribe(listener: (ev: DeviceEvent, values: Record<string, unknown>, device: DeviceInfo) => void): () => void;
  /** Applies DeviceModel / Device manifests (validated all together first). */
  apply(docs: unknown[], opts?: { dryRun?: boolean }): Promise<Array<{ kind: string; name: string; action: 'created' | 'updated' | 'unchanged' }>>;
  /**
   * On a cluster server: where the device rules for edge nodes come from (the functions module
   * registers the node copies of its device rules: it loads after this module, so this module
   * cannot look it up). Returns the unregister.
   */
  provideEdgeRules?(source: () => EdgeRule[]): () => void;
  /** The server's side of an edge node's sync (node: the authenticated node name). */
  edgeSync?(node: string, req: EdgeSyncRequest): Promise<EdgeSyncAnswer>;
}

/** The manifest kinds this contract owns (`llmos apply -f`). */
export const iotManifestKinds = ['DeviceModel', 'Device'] as const;
export const isIotManifest = (d: unknown): boolean => !!d && typeof d === 'object' && (iotManifestKinds as readonly string[]).includes(String((d as { kind?: unknown }).kind));
