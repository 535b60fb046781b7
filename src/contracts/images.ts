// What other modules (containers, functions) need of the images module. Owned by the images
// module; extend it, do not break it.

import { z } from 'zod';

/** The parts of an OCI image config that decide how a container runs. */
export interface ImageRunConfig {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
  exposedPorts?: string[];
  stopSignal?: string;
  labels?: Record<string, string>;
  /** Docker's HEALTHCHECK (config.Healthcheck), durations in ms; the container's flags override it field by field. */
  healthcheck?: { test: string[]; intervalMs?: number; timeoutMs?: number; retries?: number; startPeriodMs?: number };
}

export interface ImageRecord {
  /** Image id: the digest of its config blob ("sha256:..."). */
  id: string;
  /** Manifest digest as served by the registry ("sha256:..."). */
  digest: string;
  /** Names this image is known by ("127.0.0.1:5000/team/app:1.2"). */
  repoTags: string[];
  /** Uncompressed size of all layers, bytes. */
  size: number;
  created?: string;
  platform: { os: string; architecture: string; variant?: string };
  config: ImageRunConfig;
  /** Layer diff ids, base first. */
  layers: string[];
}

export interface ImagesApi {
  /** Pulls if not present locally (by tag: always checks the registry). */
  pull(ref: string, opts?: { platform?: string; onProgress?: (p: PullProgress) => void; signal?: AbortSignal }): Promise<ImageRecord>;
  /** A local image by reference, id or digest; NotFound otherwise. */
  get(ref: string): Promise<ImageRecord>;
  list(): Promise<ImageRecord[]>;
  /**
   * Builds a writable root filesystem for a container from the image's layers (overlayfs where
   * possible, else a copy). The path is stable for the container until removeRootfs.
   */
  createRootfs(ref: string, containerId: string): Promise<{ path: string; image: ImageRecord }>;
  /** Unmounts and deletes a container's root filesystem; idempotent. */
  removeRootfs(containerId: string): Promise<void>;
  /** Ids of containers that still hold a root filesystem (for orphan clean-up at boot). */
  listRootfs(): Promise<string[]>;
}

export interface PullProgress {
  layer: string;
  status: 'waiting' | 'downloading' | 'verifying' | 'extracting' | 'done' | 'exists';
  current: number;
  total: number;
}

/** `POST /v1/images/pull` with Accept: application/x-ndjson: one JSON object per line, what `llmos pull` renders as progress bars. */
export type PullStreamLine = { type: 'progress'; progress: PullProgress } | { type: 'done'; image: ImageRecord } | { type: 'error'; error: string; code: string };

/**
 * The whole images service, as the API routes use it: everything of ImagesApi plus local image
 * management, registry push and login, and images that do not come from a registry.
 */
export interface ImageStoreApi extends ImagesApi {
  /** Throws InvalidArgument for a malformed reference or platform (checked before a pull streams). */
  checkPull(ref: string, platform?: string): void;
  /** Adds a name to a local image (moving it off any other image). */
  tag(source: string, target: string): Promise<ImageRecord>;
  /** Untags (a name) or deletes (an id, or the last name); refuses while a container uses it, unless forced. */
  remove(ref: string, opts?: { force?: boolean }): Promise<{ untagged: string[]; deleted?: string }>;
  /** Removes untagged images no container uses, then unreferenced blobs and snapshots. */
  prune(): Promise<{ images: string[]; blobs: number; snapshots: number; bytes: number }>;
  /** Uploads what the registry lacks, then the manifest under the reference's tag. */
  push(ref: string, onBlob?: (blob: { digest: string; status: 'exists' | 'pushed' }) => void): Promise<{ ref: string; digest: string }>;
  /** Checks the credential against the registry, then stores it (0600). */
  login(registry: string, username: string, password: string): Promise<void>;
  logout(registry: string): Promise<void>;
  /** `docker save` archives, OCI archives and layouts (a tar stream, optionally gzip). */
  load(src: AsyncIterable<Uint8Array>): Promise<ImageRecord[]>;
  /** `docker save`: a docker-archive tar (manifest.json, repositories, uncompressed layer tars) of local images. */
  save?(refs: readonly string[]): Promise<AsyncIterable<Uint8Array>>;
  /** A root filesystem tarball (optionally gzip/zstd) becomes a one-layer image named `name`. */
  importRootfs(src: AsyncIterable<Uint8Array>, name: string, opts?: { cmd?: string[]; env?: string[] }): Promise<ImageRecord>;
}

// ---- Response schemas (the API's answers) ----

export const imageRecordSchema = z.object({
  id: z.string(),
  digest: z.string(),
  repoTags: z.array(z.string()),
  size: z.number(),
  created: z.string().optional(),
  platform: z.object({ os: z.string(), architecture: z.string(), variant: z.string().optional() }),
  config: z.object({
    entrypoint: z.array(z.string()).optional(),
    cmd: z.array(z.string()).optional(),
    env: z.array(z.string()).optional(),
    workingDir: z.string().optional(),
    user: z.string().optional(),
    exposedPorts: z.array(z.string()).optional(),
    stopSignal: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    healthcheck: z.object({ test: z.array(z.string()), intervalMs: z.number().optional(), timeoutMs: z.number().optional(), retries: z.number().optional(), startPeriodMs: z.number().optional() }).optional(),
  }),
  layers: z.array(z.string()),
});
