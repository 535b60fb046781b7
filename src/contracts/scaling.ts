// What the live autoscaler needs of the things it scales (services, functions). Each such module
// exposes `scaleTargets: ScaleTargetProvider` in its API; the autoscaler finds them per tick.

export interface ScaleTargetMetrics {
  /** Current desired replicas/instances. */
  replicas: number;
  /** Replicas that are ready to take traffic. */
  readyReplicas: number;
  /** Mean CPU use as a percentage of the CPU request, over ready replicas. */
  cpuUtilization?: number;
  /** Mean memory use as a percentage of the memory request, over ready replicas. */
  memoryUtilization?: number;
  /** Requests per second, total, over the last sampling period. */
  rps?: number;
  /** Mean number of in-flight requests, total, over the last sampling period. */
  concurrency?: number;
}

export interface ScaleTargetProvider {
  /** "service" or "function". */
  readonly kind: string;
  list(): Promise<Array<{ name: string; namespace: string; min: number; max: number }>>;
  metrics(name: string, namespace?: string): Promise<ScaleTargetMetrics>;
  /** Sets the desired count; the owner's reconcile loop makes it so. */
  scale(name: string, replicas: number, reason: string, namespace?: string): Promise<void>;
}
