// The states of a workload (container, function instance), as the kernel's workload table
// moves them and as the API reports them.
import { z } from 'zod';

export const workloadStates = ['created', 'starting', 'running', 'stopping', 'exited', 'failed'] as const;
export const workloadStateSchema = z.enum(workloadStates);
export type WorkloadState = z.infer<typeof workloadStateSchema>;

/** What a workload asks for or is limited to. */
export interface Resources {
  /** CPU in millicores. */
  cpu?: number;
  /** Memory in bytes. */
  memory?: number;
  pids?: number;
}

// ---- Response schemas (the API's answers) ----

export const resourcesSchema = z.object({ cpu: z.number().optional(), memory: z.number().optional(), pids: z.number().optional() });
/** A row of the kernel's workload table (`GET /v1/workloads`). */
export const workloadSchema = z.object({
  id: z.string(),
  type: z.string(),
  name: z.string(),
  namespace: z.string(),
  state: workloadStateSchema,
  owner: z.string().optional(),
  labels: z.record(z.string(), z.string()),
  requests: resourcesSchema,
  limits: resourcesSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  reason: z.string().optional(),
  exitCode: z.number().optional(),
});
export type WorkloadRow = z.infer<typeof workloadSchema>;
