// The functions module's settings (config.json `modules.functions`) and their defaults.
import type { AsyncConfig } from './async.js';

export interface FunctionsConfig {
  /** How often idle instances are checked against their keep-alive, ms. */
  reapIntervalMs: number;
  /** Log lines kept per function. */
  logLines: number;
  /** Isolates kept ready (web globals loaded, no function yet) per memory size, for fast cold starts. */
  spareIsolates: number;
  /** Function-host processes kept started ahead, for a namespace's first start or a crashed host's replacement (0: none). */
  spareHosts: number;
  /** Run cheap warm requests' synchronous part on the daemon's thread (faster; see docs). */
  fastPath: boolean;
  /** Longest wait for an image function's port, ms. */
  imageReadyTimeoutMs: number;
  async: AsyncConfig;
  /** How often store history written by async work is compacted while it flows, ms. */
  asyncCompactIntervalMs: number;
  /** Largest response body of one fetch from a function, bytes (also at most a quarter of its memory). */
  fetchMaxBytes: number;
  /** How long timers and waitUntil work may run after the response, ms (Workers: 30 s). */
  backgroundMs: number;
  /** Where isolates run: `process` (function-host processes, per namespace or --own-host) or `inline` (the daemon). */
  hosts: 'process' | 'inline';
  /** Limits of each function-host process's cgroup. */
  hostMemory: number;
  hostCpus: number;
  hostPids: number;
  /** Cluster server: how often the copies of its functions on the nodes are compared and fixed, ms. */
  clusterSyncMs: number;
}

export const FUNCTIONS_DEFAULTS: FunctionsConfig = {
  reapIntervalMs: 250,
  logLines: 2000,
  spareIsolates: 4,
  // Off by default: each costs a Node process (~50 MiB RSS) kept idle; set 1 where namespaces come and go or hosts crash.
  spareHosts: 0,
  // On the host process's thread (never the daemon's, with hosts: 'process'): a function turning
  // expensive holds up only its own namespace's host, until its CPU limit.
  fastPath: true,
  imageReadyTimeoutMs: 30_000,
  async: { maxAttempts: 3, retryBaseMs: 1000, retryCapMs: 60_000, retentionMs: 3_600_000, parallel: 4, maxTotalBytes: 512 * 2 ** 20, maxResultBytes: 6 * 2 ** 20 },
  asyncCompactIntervalMs: 10_000,
  fetchMaxBytes: 32 * 2 ** 20,
  backgroundMs: 30_000,
  hosts: 'process',
  hostMemory: 1024 * 2 ** 20,
  hostCpus: 1,
  hostPids: 256,
  clusterSyncMs: 2000,
};
