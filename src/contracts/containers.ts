// What other modules (services, functions, monitor, autoscaler) need of the containers module.
// Owned by the containers module; extend it, do not break it.
import type { WorkloadState } from '../kernel/workloads.js';

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
  hostIp?: string;
}

export interface VolumeMount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export type RestartPolicy = { name: 'no' } | { name: 'on-failure'; maxRetries?: number } | { name: 'always' };

export interface ContainerSpec {
  name?: string;
  image: string;
  /** Overrides the image's Entrypoint. */
  entrypoint?: string[];
  /** Overrides the image's Cmd. */
  cmd?: string[];
  env?: Record<string, string>;
  ports?: PortMapping[];
  volumes?: VolumeMount[];
  /** CPU limit in cores (0.5 = half a core). */
  cpus?: number;
  /** Memory limit in bytes. */
  memory?: number;
  pidsLimit?: number;
  /** Scheduling requests (default: equal to the limits). */
  requests?: { cpu?: number; memory?: number };
  user?: string;
  workingDir?: string;
  readOnly?: boolean;
  network?: 'bridge' | 'host' | 'none';
  restart?: RestartPolicy;
  /** Run an init (catatonit) as PID 1 that forwards signals and reaps zombies. */
  init?: boolean;
  /** Remove the container when it exits. */
  autoRemove?: boolean;
  labels?: Record<string, string>;
  namespace?: string;
  /** Owning object, e.g. "service/web" or "function/hello". */
  owner?: string;
  priority?: number;
}

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  imageId: string;
  namespace: string;
  owner?: string;
  state: WorkloadState;
  /** Human status, e.g. "Up 3 minutes" or "Exited (137) 5 seconds ago". */
  status: string;
  exitCode?: number;
  oomKilled: boolean;
  pid?: number;
  /** Address on the bridge network, when it has one. */
  ip?: string;
  ports: PortMapping[];
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  restartCount: number;
  labels: Record<string, string>;
  spec: ContainerSpec;
}

export interface LogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface ContainerStats {
  id: string;
  name: string;
  cpuPercent: number;
  /** Total CPU time used, nanoseconds. */
  cpuUsageNs: number;
  memoryUsage: number;
  memoryLimit: number;
  memoryPeak?: number;
  pids: number;
}

export interface ContainersApi {
  create(spec: ContainerSpec): Promise<ContainerInfo>;
  start(idOrName: string): Promise<ContainerInfo>;
  /** create + start. */
  run(spec: ContainerSpec): Promise<ContainerInfo>;
  stop(idOrName: string, opts?: { timeoutSeconds?: number }): Promise<ContainerInfo>;
  kill(idOrName: string, signal?: string): Promise<void>;
  remove(idOrName: string, opts?: { force?: boolean }): Promise<void>;
  inspect(idOrName: string): Promise<ContainerInfo>;
  list(opts?: { all?: boolean; owner?: string; namespace?: string }): Promise<ContainerInfo[]>;
  logs(idOrName: string, opts?: { tail?: number; follow?: boolean; signal?: AbortSignal }): AsyncIterable<LogLine>;
  exec(idOrName: string, cmd: string[], opts?: { env?: Record<string, string>; timeoutMs?: number }): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  wait(idOrName: string, signal?: AbortSignal): Promise<{ exitCode: number; oomKilled: boolean }>;
  stats(idOrName: string): Promise<ContainerStats>;
}
