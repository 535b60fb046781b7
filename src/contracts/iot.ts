// The IoT contract (kind llmos.iot.v1): device models and devices (KubeEdge's DeviceModel and
// Device), their twins (desired / reported state with versions) and telemetry. One zod schema per
// wire shape; the module, the API routes, the CLI and the dashboard derive their types from them.
import { z } from 'zod';

export const iotKind = 'llmos.iot.v1' as const;

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

export const credentialsSchema = z.object({ username: z.string(), password: z.string(), url: z.string(), caFile: z.string().optional() });
export type DeviceCredentials = z.infer<typeof credentialsSchema>;

export const telemetryPointSchema = z.object({ t: z.number(), v: z.number(), downsampled: z.literal(true).optional(), max: z.number().optional() });
export const telemetrySchema = z.object({ device: z.string(), series: z.record(z.string(), z.array(telemetryPointSchema)) });
export type DeviceTelemetry = z.infer<typeof telemetrySchema>;

export const brokerInfoSchema = z.object({ url: z.string(), managed: z.boolean(), connected: z.boolean(), restarts: z.number(), rejected: z.number(), received: z.number() });
export type BrokerInfo = z.infer<typeof brokerInfoSchema>;

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
  rotateCredentials(name: string): Promise<DeviceCredentials>;
  /** Validates against the model (readwrite properties only) and publishes desired state. */
  setDesired(name: string, props: Record<string, unknown>): Promise<DeviceInfo>;
  telemetry(name: string, range?: { from?: number; to?: number }): Promise<DeviceTelemetry>;
  broker(): BrokerInfo;
  /** Rule triggers: called for every valid reported or telemetry property, with the device's current values. */
  subscribe(listener: (ev: DeviceEvent, values: Record<string, unknown>, device: DeviceInfo) => void): () => void;
  /** Applies DeviceModel / Device manifests (validated all together first). */
  apply(docs: unknown[], opts?: { dryRun?: boolean }): Promise<Array<{ kind: string; name: string; action: 'created' | 'updated' | 'unchanged' }>>;
}

/** The manifest kinds this contract owns (`llmos apply -f`). */
export const iotManifestKinds = ['DeviceModel', 'Device'] as const;
export const isIotManifest = (d: unknown): boolean => !!d && typeof d === 'object' && (iotManifestKinds as readonly string[]).includes(String((d as { kind?: unknown }).kind));
