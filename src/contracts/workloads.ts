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
