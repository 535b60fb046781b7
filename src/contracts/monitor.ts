// What the monitor module offers (kind llmos.monitor.v1): the latest sample, time series, the
// Prometheus registry. Types only.
import type { Registry } from 'prom-client';
import type { QosClass } from './scheduler.js';
import { z } from 'zod';

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
  /** A new bounded, downsampled series store of the monitor's kind, for another module's own series (iot telemetry). */
  createSeriesStore?(limits: { recentPoints: number; bucketMs: number; buckets: number }): SeriesStoreHandle;
}

/** What createSeriesStore gives: add points, read one series, drop by labels. */
export interface SeriesStoreHandle {
  add(name: string, labels: Record<string, string>, t: number, v: number): void;
  get(name: string, labels: Record<string, string>): { query(from?: number, to?: number): Array<Point & { downsampled?: true; max?: number }>; latest(): Point | undefined } | undefined;
  drop(labels: Record<string, string>): number;
}

// ---- Response schemas (the API's answers) ----

const qosSchema = z.enum(['Guaranteed', 'Burstable', 'BestEffort']);
export const workloadMetricsSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  namespace: z.string(),
  qos: qosSchema,
  priority: z.number(),
  cpuCores: z.number(),
  cpuSecondsTotal: z.number(),
  memoryUsage: z.number(),
  memoryPeak: z.number().optional(),
  memoryLimit: z.number().optional(),
  memoryRequest: z.number(),
  pids: z.number(),
  oomKills: z.number(),
});
export const nodeMetricsSchema = z.object({
  cpus: z.number(),
  cpuBusy: z.number(),
  cpuSecondsTotal: z.record(z.string(), z.number()),
  memTotal: z.number(),
  memAvailable: z.number(),
  allocatableMemoryAvailable: z.number(),
  dataDir: z.string(),
  diskSize: z.number(),
  diskAvail: z.number(),
  dataDirBytes: z.number().optional(),
});
export const metricsSnapshotSchema = z.object({ time: z.string(), node: nodeMetricsSchema, workloads: z.array(workloadMetricsSchema) });
export const seriesInfoSchema = z.object({ key: z.string(), name: z.string(), labels: z.record(z.string(), z.string()) });
/** A point of a series; older points are downsampled buckets (mean v, and max). */
export const queryPointSchema = z.object({ t: z.number(), v: z.number(), downsampled: z.literal(true).optional(), max: z.number().optional() });
