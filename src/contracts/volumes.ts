// Named volumes (Docker's `docker volume`): directories in the data dir that outlive containers.
// Owned by the volumes module (kind llmos.volumes.v1); the containers runtime mounts them.
import { z } from 'zod';

export const volumesKind = 'llmos.volumes.v1' as const;

export const volumeCreateSchema = z.object({ name: z.string().min(1).max(128).optional(), labels: z.record(z.string(), z.string()).optional() }).strict();
export type VolumeCreate = z.infer<typeof volumeCreateSchema>;

export interface VolumeInfo {
  name: string;
  driver: 'local';
  /** Host directory holding the data. */
  mountpoint: string;
  createdAt: string;
  labels: Record<string, string>;
  /** Made for one container (-v /path): removed with it when it was run with --rm. */
  anonymous: boolean;
  /** Ids of the containers that mount it. */
  usedBy: string[];
}

export interface VolumesApi {
  create(req: VolumeCreate, opts?: { anonymous?: boolean }): Promise<VolumeInfo>;
  list(): Promise<VolumeInfo[]>;
  inspect(name: string): Promise<VolumeInfo>;
  /** Refused (FailedPrecondition) while a container uses it. */
  remove(name: string): Promise<void>;
  /** Removes every volume no container uses; returns their names. */
  prune(): Promise<string[]>;
  /** For the runtime: the volume (created when missing) marked as used by `containerId`; `created` when this call made it (then the image's files are copied up). */
  acquire(name: string | undefined, containerId: string): Promise<{ volume: VolumeInfo; created: boolean }>;
  /** For the runtime: `containerId` no longer uses it; an anonymous one is removed when `removeAnonymous`. Idempotent. */
  release(name: string, containerId: string, opts?: { removeAnonymous?: boolean }): Promise<void>;
}
