// The system contract: what the kernel reports about itself (`GET /v1/status`, `/v1/modules`,
// `/v1/events`): boot timeline, host probe, node capacity, modules and events. The CLI and the
// dashboard read these. Types only (and the boot stage names).

import { z } from 'zod';

export const bootStages = ['load-image', 'probe-hardware', 'start-kernel-services', 'load-modules', 'start-init'] as const;
export type BootStage = (typeof bootStages)[number];

export interface StageTiming {
  stage: BootStage;
  startMs: number;
  durationMs: number;
  detail?: string;
}

/** What the node has or gives, in the ledger's units. */
export interface Capacity {
  cpu: number; // millicores
  memory: number; // bytes
  pids: number;
}

export interface BinaryInfo {
  path: string | null;
  version: string | null;
}

/** Boot stage 2: what this host offers. */
export interface HostProbe {
  kernel: string;
  arch: string;
  cpus: number;
  memoryBytes: number;
  cgroup: { version: 1 | 2 | 'hybrid' | 'none'; controllers: string[]; root: string };
  namespaces: string[];
  overlayfs: boolean;
  binaries: Record<'runc' | 'conmon' | 'iptables' | 'catatonit', BinaryInfo>;
  cni: { dir: string | null; plugins: string[] };
  root: boolean;
}

export type ModuleState = 'loaded' | 'skipped' | 'failed' | 'unloaded' | 'disabled';

export interface ModuleStatus {
  name: string;
  uri: string;
  kind: string;
  id: string;
  description?: string;
  state: ModuleState;
  reason?: string;
  requires: string[];
  /** Kinds used when loaded; they may unload under this module. */
  optional: string[];
  requiredBy: string[];
  /** Modules that use this one when it is loaded (told when it unloads). */
  usedBy: string[];
  required: boolean;
  initMs?: number;
  exports: Record<string, unknown>;
}

export interface KernelStatus {
  version: string;
  startedAt: string;
  uptimeSeconds: number;
  dataDir: string;
  node: { capacity: Capacity; reserved: Capacity; allocatable: Capacity; allocated: Capacity };
  host: HostProbe | null;
  boot: { totalMs: number; stages: StageTiming[] };
  modules: ModuleStatus[];
  workloads: { total: number; byState: Record<string, number> };
}

/** One event on the kernel's bus, e.g. topic "/containers/start". */
export interface LlmosEvent {
  seq: number;
  time: string;
  topic: string;
  /** What the event is about, e.g. "container/web-1" or "service/web". */
  subject?: string;
  namespace?: string;
  message: string;
  data?: Record<string, unknown>;
}

/** What `llmos up` calls in the bundled daemon (dist/daemon.mjs, built from src/daemon.ts). */
export interface DaemonEntry {
  runDaemon(opts: { dataDir?: string; listen?: string; gateway?: string; dockerSocket?: string; logLevel?: string; profile?: string; store?: string; join?: string; joinToken?: string; nodeName?: string; nodeLabels?: Record<string, string>; mqttUrl?: string; nodeGrace?: string; evictionTimeout?: string }): Promise<never>;
  /** `llmos store` on a data dir without a daemon (src/store-tools.ts). */
  storeTools: StoreToolsEntry;
}

/**
 * The offline state-store tools of a data dir. check and backup answer 'daemon' when a daemon
 * holds the data dir (then the CLI goes through the API); restore refuses while one does.
 */
export interface StoreToolsEntry {
  checkStore(dataDir: string, full: boolean): Promise<{ file: string; problems: string[] } | 'daemon'>;
  backupStore(dataDir: string, dest: string): Promise<{ file: string } | 'daemon'>;
  restoreStore(dataDir: string, backup: string): Promise<{ file: string; replaced?: string }>;
}

// ---- Response schemas (the API's answers, in /v1/openapi.json; the interfaces above stay the
// modules' types, and each route's handler must return something these accept) ----

/** Every error answer of the API and the gateway: `{ error, code }` with a stable E_* code. */
export const errorBodySchema = z.object({ error: z.string(), code: z.string() });
export type ErrorBody = z.infer<typeof errorBodySchema>;

const capacitySchema = z.object({ cpu: z.number(), memory: z.number(), pids: z.number() });
const binaryInfoSchema = z.object({ path: z.string().nullable(), version: z.string().nullable() });
export const stageTimingSchema = z.object({ stage: z.enum(bootStages), startMs: z.number(), durationMs: z.number(), detail: z.string().optional() });
export const hostProbeSchema = z.object({
  kernel: z.string(),
  arch: z.string(),
  cpus: z.number(),
  memoryBytes: z.number(),
  cgroup: z.object({ version: z.union([z.literal(1), z.literal(2), z.literal('hybrid'), z.literal('none')]), controllers: z.array(z.string()), root: z.string() }),
  namespaces: z.array(z.string()),
  overlayfs: z.boolean(),
  binaries: z.object({ runc: binaryInfoSchema, conmon: binaryInfoSchema, iptables: binaryInfoSchema, catatonit: binaryInfoSchema }),
  cni: z.object({ dir: z.string().nullable(), plugins: z.array(z.string()) }),
  root: z.boolean(),
});
export const moduleStatusSchema = z.object({
  name: z.string(),
  uri: z.string(),
  kind: z.string(),
  id: z.string(),
  description: z.string().optional(),
  state: z.enum(['loaded', 'skipped', 'failed', 'unloaded', 'disabled']),
  reason: z.string().optional(),
  requires: z.array(z.string()),
  optional: z.array(z.string()),
  requiredBy: z.array(z.string()),
  usedBy: z.array(z.string()),
  required: z.boolean(),
  initMs: z.number().optional(),
  exports: z.record(z.string(), z.unknown()),
});
export const kernelStatusSchema = z.object({
  version: z.string(),
  startedAt: z.string(),
  uptimeSeconds: z.number(),
  dataDir: z.string(),
  node: z.object({ capacity: capacitySchema, reserved: capacitySchema, allocatable: capacitySchema, allocated: capacitySchema }),
  host: hostProbeSchema.nullable(),
  boot: z.object({ totalMs: z.number(), stages: z.array(stageTimingSchema) }),
  modules: z.array(moduleStatusSchema),
  workloads: z.object({ total: z.number(), byState: z.record(z.string(), z.number()) }),
});
export const llmosEventSchema = z.object({
  seq: z.number(),
  time: z.string(),
  topic: z.string(),
  subject: z.string().optional(),
  namespace: z.string().optional(),
  message: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
});
