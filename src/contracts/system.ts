// The system contract: what the kernel reports about itself (`GET /v1/status`, `/v1/modules`,
// `/v1/events`): boot timeline, host probe, node capacity, modules and events. The CLI and the
// dashboard read these. Types only (and the boot stage names).

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
  runDaemon(opts: { dataDir?: string; listen?: string; gateway?: string; dockerSocket?: string; logLevel?: string }): Promise<never>;
}
