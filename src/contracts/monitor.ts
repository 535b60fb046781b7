// What the monitor module offers (kind llmos.monitor.v1): the latest sample, time series, the
// Prometheus registry. Types only.
import type { Registry } from 'prom-client';
import type { QosClass } from './scheduler.js';

/** One sample of a time series. */
export interface Point {
  /** ms since epoch. */
  t: number;
  v: number;
}

export interface WorkloadMetrics {
  id: string;
  name: string;
  type: string;
  namespace: string;
  qos: QosClass;
  priority: number;
  /** CPU in cores over the last period (0.5 = half a core). */
  cpuCores: number;
  cpuSecondsTotal: number;
  memoryUsage: number;
  memoryPeak?: number;
  memoryLimit?: number;
  memoryRequest: number;
  pids: number;
  oomKills: number;
}

export interface NodeMetrics {
  cpus: number;
  /** Busy fraction 0..1 over the last period. */
  cpuBusy: number;
  cpuSecondsTotal: Record<string, number>;
  memTotal: number;
  memAvailable: number;
  /** Allocatable memory minus what workloads use: the eviction signal together with memAvailable. */
  allocatableMemoryAvailable: number;
  dataDir: string;
  diskSize: number;
  diskAvail: number;
  /** What the data dir itself takes on disk (du), refreshed every diskUsageMs; undefined until measured. */
  dataDirBytes?: number;
}

export interface MetricsSnapshot {
  time: string;
  node: NodeMetrics;
  workloads: WorkloadMetrics[];
}

export interface SeriesInfo {
  key: string;
  name: string;
  labels: Record<string, string>;
}

export interface MonitorApi {
  /** The last sample, or undefined before the first one. */
  latest(): MetricsSnapshot | undefined;
  /** Samples now (also runs the eviction check). */
  sampleNow(): Promise<MetricsSnapshot>;
  series(filter?: { name?: string; labels?: Record<string, string> }): SeriesInfo[];
  query(name: string, labels: Record<string, string>, range?: { from?: number; to?: number }): Array<Point & { downsampled?: true; max?: number }>;
  /** Prometheus registry of this module (container_*, node_*, llmos_*). */
  readonly registry: Registry;
}
