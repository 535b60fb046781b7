// Shapes of the /v1 answers the dashboard reads. The kernel's are exact copies of
// src/kernel/kernel.ts (web/ is built apart from the daemon); capability answers are read
// defensively (optional fields), since each capability's API evolves on its own.

export interface StageTiming {
  stage: string;
  startMs: number;
  durationMs: number;
  detail?: string;
}

export interface Res {
  cpu: number;
  memory: number;
  pids?: number;
}

export interface ModuleStatus {
  name: string;
  uri: string;
  kind: string;
  id: string;
  description?: string;
  state: 'loaded' | 'skipped' | 'failed' | 'unloaded' | 'disabled';
  reason?: string;
  requires: string[];
  requiredBy: string[];
  required: boolean;
  initMs?: number;
  exports: Record<string, unknown>;
}

export interface KernelStatus {
  version: string;
  startedAt: string;
  uptimeSeconds: number;
  dataDir: string;
  node: { capacity: Res; reserved: Res; allocatable: Res; allocated: Res };
  boot: { totalMs: number; stages: StageTiming[] };
  modules: ModuleStatus[];
  workloads: { total: number; byState: Record<string, number> };
}

export interface Workload {
  id: string;
  type: string;
  name: string;
  namespace: string;
  state: string;
  owner?: string;
  labels: Record<string, string>;
  requests: { cpu?: number; memory?: number };
  limits: { cpu?: number; memory?: number };
  createdAt: string;
  reason?: string;
}

/** GET /v1/functions items: src/modules/functions/module.ts FunctionInfo (spec, stats, instances). */
export interface FunctionSummary {
  spec: { name: string; namespace?: string; runtime?: string; image?: string; memory?: number; min?: number; max?: number; keepAlive?: string };
  stats?: Record<string, number | string | undefined> & { invocations?: number; instances?: number; errors?: number; coldStarts?: number; lastError?: string };
  url?: string;
  name?: string;
  namespace?: string;
  kind?: string;
  runtime?: string;
  [k: string]: unknown;
}
