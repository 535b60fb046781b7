// What other modules (services, functions, monitor, autoscaler) need of the containers module.
// Owned by the containers module; extend it, do not break it.
import { z } from 'zod';
import type { DnsConfig } from './network.js';
import type { WorkloadState } from './workloads.js';

const portMappingSchema = z.object({
  hostPort: z.number().int().min(1).max(65535),
  containerPort: z.number().int().min(1).max(65535),
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
  hostIp: z.string().optional(),
});
export type PortMapping = z.infer<typeof portMappingSchema>;

const volumeMountSchema = z.object({ hostPath: z.string().min(1), containerPath: z.string().min(1), readOnly: z.boolean().default(false) });
export type VolumeMount = z.infer<typeof volumeMountSchema>;

const restartPolicySchema = z.union([z.object({ name: z.literal('no') }), z.object({ name: z.literal('always') }), z.object({ name: z.literal('on-failure'), maxRetries: z.number().int().min(0).optional() })]);
export type RestartPolicy = z.infer<typeof restartPolicySchema>;

/**
 * A container as a client asks for it (`POST /v1/containers`, and what services and functions
 * create). Types and shapes only: the ranges are the runtime's validateSpec
 * (runtime-runc/spec-checks.ts), which knows the host's CPUs and memory.
 */
export const containerSpecSchema = z
  .object({
    name: z.string().min(1).max(128).optional(),
    image: z.string().min(1),
    /** Overrides the image's Entrypoint. */
    entrypoint: z.array(z.string()).optional(),
    /** Overrides the image's Cmd. */
    cmd: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    ports: z.array(portMappingSchema).optional(),
    volumes: z.array(volumeMountSchema).optional(),
    /** CPU limit in cores (0.5 = half a core). */
    cpus: z.number().optional(),
    /** Memory limit in bytes. */
    memory: z.number().optional(),
    pidsLimit: z.number().optional(),
    /** Scheduling requests (default: equal to the limits). */
    requests: z.object({ cpu: z.number().optional(), memory: z.number().optional() }).optional(),
    user: z.string().optional(),
    workingDir: z.string().optional(),
    readOnly: z.boolean().optional(),
    network: z.enum(['bridge', 'host', 'none']).optional(),
    restart: restartPolicySchema.optional(),
    /** Run an init (catatonit) as PID 1 that forwards signals and reaps zombies. */
    init: z.boolean().optional(),
    /** Remove the container when it exits. */
    autoRemove: z.boolean().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    namespace: z.string().optional(),
    /** Owning object, e.g. "service/web" or "function/hello". */
    owner: z.string().optional(),
    priority: z.number().optional(),
  })
  .strict();
export type ContainerSpec = z.infer<typeof containerSpecSchema>;

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
  /** Why it ended or failed when that is not its own exit (e.g. its supervisor died, a start failed). */
  reason?: string;
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
  /** The container's cgroup, relative to the hierarchy root (v1: below each controller), e.g. "/llmos/1a2b3c4d/ID". */
  cgroupPath?: string;
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

// ---- Extensions (compatible additions) ------------------------------------------------------

/** A container's network as the network module set it up; stored with the container record. */
export interface NetworkAttachment {
  mode: 'bridge' | 'host' | 'none';
  /** Path of the network namespace the container joins (bridge mode). */
  netnsPath?: string;
  ip?: string;
  gateway?: string;
  /** Prefix length of the bridge subnet. */
  prefixLength?: number;
  ports: PortMapping[];
  /** The CNI result of ADD, handed back to DEL. */
  cniResult?: unknown;
  /** The network's DNS server for the container's /etc/resolv.conf (resolvConfText in contracts/network.ts). */
  dns?: DnsConfig;
}

/** What the containers runtime needs of the network module (kind llmos.network.v1). */
export interface ContainerNetworkApi {
  /** Creates the container's network namespace and plugs it into the network. */
  attach(containerId: string, opts: { mode: 'bridge' | 'host' | 'none'; ports: PortMapping[]; /** DNS record NAME -> the container's address. */ name?: string; /** Search domains of the container's resolv.conf. */ namespace?: string }): Promise<NetworkAttachment>;
  /**
   * Optional: creates the (still empty) network namespace of a bridge-mode container and returns
   * its path, so the runtime can create the container while attach configures the namespace.
   */
  prepare?(containerId: string): Promise<string>;
  /** Undoes attach: CNI DEL, netns, IPAM lease, iptables chains. Idempotent. */
  detach(containerId: string, attachment?: NetworkAttachment): Promise<void>;
  /** Removes what crashed runs left behind for containers not in `keep`; returns what was removed. */
  removeLeftovers(keep: ReadonlySet<string>): Promise<string[]>;
  /** Whatever still exists on the host for this container (netns, leases, chains); empty when clean. */
  residue(containerId: string): Promise<string[]>;
}
