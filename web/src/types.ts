// Shapes of the /v1 answers the dashboard reads, kept by hand until the API declares response
// schemas: the routes and request bodies are generated from /v1/openapi.json (api-schema.gen.ts,
// see api.ts), but no route declares its response yet (0 of 68 operations), so the generated
// response types are empty. Each shape here goes when its route declares one (issue 14: wire types
// as zod schemas in src/contracts/, used as the routes' response schemas). The kernel's mirror
// src/kernel/kernel.ts; capability answers are read defensively (optional fields).

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
