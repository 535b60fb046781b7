// What other modules (services, functions, monitor, autoscaler) need of the containers module.
// Owned by the containers module; extend it, do not break it.
import { z } from 'zod';
import { workloadStateSchema, type WorkloadState } from './workloads.js';

const portMappingSchema = z.object({
  /** 0: any free host port, chosen at create (Docker's -p CONTAINERPORT and -P). */
  hostPort: z.number().int().min(0).max(65535),
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
 * A mount beyond `volumes` (Docker's --mount, --tmpfs, and -v NAME:/path): a host path (bind), a
 * named volume of the volumes module (created on first use, filled from the image's path), or a tmpfs.
 */
const mountSchema = z.object({
  type: z.enum(['bind', 'volume', 'tmpfs']),
  /** bind: an absolute host path; volume: the volume's name (absent: an anonymous volume); tmpfs: unused. */
  source: z.string().min(1).optional(),
  target: z.string().min(1),
  readOnly: z.boolean().optional(),
  /** tmpfs size in bytes and mode (default 1777). */
  tmpfsSize: z.number().optional(),
  tmpfsMode: z.number().optional(),
  /** tmpfs: mounted noexec (Docker's --tmpfs /run:noexec). */
  noExec: z.boolean().optional(),
});
export type Mount = z.infer<typeof mountSchema>;

const ulimitSchema = z.object({ name: z.string().min(1), soft: z.number(), hard: z.number() });
export type Ulimit = z.infer<typeof ulimitSchema>;

const deviceSchema = z.object({ hostPath: z.string().min(1), containerPath: z.string().min(1), permissions: z.string().default('rwm') });
export type DeviceMapping = z.infer<typeof deviceSchema>;

const healthcheckSchema = z.object({
  /** Run in the container: ["CMD", ...args] or ["CMD-SHELL", "cmd"] as Docker; ["NONE"] disables; [] keeps the image's test. */
  test: z.array(z.string()),
  intervalMs: z.number().optional(),
  timeoutMs: z.number().optional(),
  retries: z.number().optional(),
  startPeriodMs: z.number().optional(),
});
export type Healthcheck = z.infer<typeof healthcheckSchema>;

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
    /** A user-defined network (contracts/user-networks.ts) to join instead of the default bridge; network stays bridge. */
    userNetwork: z.string().optional(),
    /** Extra DNS names on the user network (Docker's --network-alias). */
    networkAliases: z.array(z.string()).optional(),
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
    // ---- Docker's run flags (all optional; ranges in runtime-runc/spec-checks.ts) ----
    /** Default: the id's first 12 characters (the host's name with the host network). */
    hostname: z.string().optional(),
    mounts: z.array(mountSchema).optional(),
    /** "NAME:IP" lines added to /etc/hosts. */
    extraHosts: z.array(z.string()).optional(),
    /** Name servers for /etc/resolv.conf (instead of the host's). */
    dns: z.array(z.string()).optional(),
    dnsSearch: z.array(z.string()).optional(),
    capAdd: z.array(z.string()).optional(),
    capDrop: z.array(z.string()).optional(),
    /** Every capability, the host's devices, no seccomp, no masked paths (Docker's --privileged). */
    privileged: z.boolean().optional(),
    /** Default true (LLMOS hardening; Docker's --security-opt no-new-privileges). */
    noNewPrivileges: z.boolean().optional(),
    /** "unconfined", or a seccomp profile as JSON text (Docker's format: defaultAction, syscalls). */
    seccomp: z.string().optional(),
    ulimits: z.array(ulimitSchema).optional(),
    /** /dev/shm size in bytes (default 64 MiB). */
    shmSize: z.number().optional(),
    /** Overrides the image's stop signal. */
    stopSignal: z.string().optional(),
    /** Seconds between the stop signal and KILL (default 10). */
    stopTimeout: z.number().optional(),
    /** Memory plus swap in bytes; -1 for unlimited swap (Docker's --memory-swap). */
    memorySwap: z.number().optional(),
    memoryReservation: z.number().optional(),
    /** Relative CPU weight (cgroup cpu.shares, 2-262144). */
    cpuShares: z.number().optional(),
    /** CPUs the container may run on, e.g. "0-1" or "0,1". */
    cpusetCpus: z.string().optional(),
    /** Extra groups (numeric ids or names from the image's /etc/group). */
    groupAdd: z.array(z.string()).optional(),
    /** Namespaced sysctls only (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*). */
    sysctls: z.record(z.string(), z.string()).optional(),
    devices: z.array(deviceSchema).optional(),
    /** Ports the container listens on beyond the image's (Docker's --expose): "80", "53/udp". */
    expose: z.array(z.string()).optional(),
    /** Publish every exposed port (image and `expose`) on a free host port (-P). */
    publishAll: z.boolean().optional(),
    healthcheck: healthcheckSchema.optional(),
    /** Image pull policy at create: missing (default), always, never. */
    pull: z.enum(['missing', 'always', 'never']).optional(),
    /** OS/ARCH of the image to pull. */
    platform: z.string().optional(),
    /** A pseudo-terminal for the process (Docker's -t): output is one raw stream. */
    tty: z.boolean().optional(),
    /** Keep a stdin open for attached clients (Docker's -i / OpenStdin). */
    openStdin: z.boolean().optional(),
    /** Close the process's stdin when the first attached client detaches or ends its input (Docker's StdinOnce). */
    stdinOnce: z.boolean().optional(),
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
  /** Frozen by pause (state stays running). */
  paused?: boolean;
  /** The container's cgroup, relative to the hierarchy root (v1: below each controller), e.g. "/llmos/1a2b3c4d/ID". */
  cgroupPath?: string;
  /** Its health check's state while it runs (Docker's State.Health), when it has one. */
  health?: ContainerHealth;
}

export interface HealthResult {
  start: string;
  end: string;
  exitCode: number;
  output: string;
}

export interface ContainerHealth {
  status: 'starting' | 'healthy' | 'unhealthy';
  failingStreak: number;
  /** The last results, oldest first (at most 5, as Docker). */
  log: HealthResult[];
}

export interface LogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  /** The line's bytes decoded as UTF-8, without the newline (lossy when `data` is set). */
  text: string;
  /** The exact bytes, base64, when they are not valid UTF-8 (binary output): use these, not `text`. */
  data?: string;
  /** The output's last bytes, not ended by a newline (print them without one). */
  partial?: boolean;
}

/** Options of ContainersApi.logs; since/until are epoch milliseconds. */
export interface LogOptions {
  tail?: number;
  follow?: boolean;
  signal?: AbortSignal;
  sinceMs?: number;
  untilMs?: number;
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

/** Raw cgroup counters of a running container, as the monitor samples them each period. */
export interface ContainerUsage {
  /** Total CPU time used, nanoseconds. */
  cpuUsageNs: number;
  memoryUsage: number;
  memoryLimit?: number;
  memoryPeak?: number;
  pids: number;
  oomKills: number;
}

/** Offered by a containers module that can read its containers' cgroups (the monitor's source). */
export interface ContainerUsageApi {
  /** The counters now (one read, no second sample); undefined when the container has no cgroup. */
  usage(idOrName: string): Promise<ContainerUsage | undefined>;
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
  logs(idOrName: string, opts?: LogOptions): AsyncIterable<LogLine>;
  exec(idOrName: string, cmd: string[], opts?: { env?: Record<string, string>; timeoutMs?: number }): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  wait(idOrName: string, signal?: AbortSignal): Promise<{ exitCode: number; oomKilled: boolean }>;
  stats(idOrName: string): Promise<ContainerStats>;
}

// ---- Extensions (compatible additions) ------------------------------------------------------

/** Docker's other life-cycle operations; the runc runtime implements them (check with `'pause' in api`). */
export interface ContainerControlApi {
  /** Freezes the container's processes (freezer cgroup); `inspect` shows paused: true. */
  pause(idOrName: string): Promise<ContainerInfo>;
  unpause(idOrName: string): Promise<ContainerInfo>;
  rename(idOrName: string, newName: string): Promise<ContainerInfo>;
  /** The container's processes as `ps` sees them on the host. */
  top(idOrName: string): Promise<{ titles: string[]; processes: string[][] }>;
  /** New limits for a container (applied at once when it runs, and kept for its next start). */
  update(idOrName: string, limits: ContainerLimits): Promise<ContainerInfo>;
  /** exec with Docker's -u and -w. */
  exec(idOrName: string, cmd: string[], opts?: { env?: Record<string, string>; timeoutMs?: number; user?: string; workingDir?: string }): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

export const containerLimitsSchema = z.object({ cpus: z.number().optional(), memory: z.number().optional(), memorySwap: z.number().optional(), pidsLimit: z.number().optional(), cpuShares: z.number().optional(), restart: restartPolicySchema.optional() }).strict();
export type ContainerLimits = z.infer<typeof containerLimitsSchema>;

// ---- Response schemas (the API's answers) ----

/** A container's spec as it is reported back (unknown keys are not an error on the way out). */
const containerSpecOutSchema = containerSpecSchema.strip();
export const containerInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  imageId: z.string(),
  namespace: z.string(),
  owner: z.string().optional(),
  state: workloadStateSchema,
  status: z.string(),
  exitCode: z.number().optional(),
  oomKilled: z.boolean(),
  reason: z.string().optional(),
  pid: z.number().optional(),
  ip: z.string().optional(),
  ports: z.array(portMappingSchema),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  restartCount: z.number(),
  labels: z.record(z.string(), z.string()),
  spec: containerSpecOutSchema,
  cgroupPath: z.string().optional(),
  health: z
    .object({
      status: z.enum(['starting', 'healthy', 'unhealthy']),
      failingStreak: z.number(),
      log: z.array(z.object({ start: z.string(), end: z.string(), exitCode: z.number(), output: z.string() })),
    })
    .optional(),
});
export const logLineSchema = z.object({ time: z.string(), stream: z.enum(['stdout', 'stderr']), text: z.string(), data: z.string().optional(), partial: z.boolean().optional() });
export const containerStatsSchema = z.object({
  id: z.string(),
  name: z.string(),
  cpuPercent: z.number(),
  cpuUsageNs: z.number(),
  memoryUsage: z.number(),
  memoryLimit: z.number(),
  memoryPeak: z.number().optional(),
  pids: z.number(),
});
export const execResultSchema = z.object({ exitCode: z.number(), stdout: z.string(), stderr: z.string() });
export const waitResultSchema = z.object({ exitCode: z.number(), oomKilled: z.boolean() });

// Copying files and terminals/stdin (container-io.ts), and what the runtime needs of the network
// module (container-network.ts): their own files, part of this contract.
export * from './container-io.js';
export * from './container-network.js';
