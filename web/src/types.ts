// Shapes of the /v1 answers the dashboard reads, kept by hand until the API declares response
// schemas: the routes and request bodies are generated from /v1/openapi.json (api-schema.gen.ts,
// see api.ts), but no route declares its response yet (0 of 68 operations), so the generated
// response types are empty. Each shape here goes when its route declares one (issue 14: wire types
// as zod schemas in src/contracts/, used as the routes' response schemas). Capability answers are
// read defensively (optional fields).

// The kernel's status shapes are the system contract's own types (type-only: nothing of the daemon
// is bundled into the page).
export type { KernelStatus, ModuleStatus, StageTiming } from '../../src/contracts/system.js';

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
