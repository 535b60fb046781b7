// LLMOS records in Docker's JSON shapes (container list and inspect, image list and inspect).
// Pure functions of the records, so the shapes are unit-tested without a daemon.
import type { ContainerInfo, PortMapping } from '../../contracts/containers.js';
import type { ImageRecord, ImageRunConfig } from '../../contracts/images.js';

export const ZERO_TIME = '0001-01-01T00:00:00Z';
const unix = (iso: string | undefined) => (iso ? Math.floor(Date.parse(iso) / 1000) : 0);

/** Docker's State.Status: created, restarting, running, exited (LLMOS's failed is an exit that did not run). */
export function dockerState(c: Pick<ContainerInfo, 'state' | 'status'>): 'created' | 'restarting' | 'running' | 'exited' {
  if (c.state === 'created') return 'created';
  if (c.state === 'starting' || c.state === 'running' || c.state === 'stopping') return 'running';
  if (/restart/i.test(c.status)) return 'restarting';
  return 'exited';
}

/** The command the container runs, by Docker's rule (an overridden entrypoint drops the image's Cmd). */
export function processArgs(image: ImageRunConfig | undefined, c: ContainerInfo): string[] {
  const ep = c.spec.entrypoint ?? image?.entrypoint ?? [];
  const cmd = c.spec.cmd ?? (c.spec.entrypoint ? [] : (image?.cmd ?? []));
  return [...ep, ...cmd];
}

export function portMap(ports: PortMapping[], exposed: string[] = []): Record<string, Array<{ HostIp: string; HostPort: string }> | null> {
  const out: Record<string, Array<{ HostIp: string; HostPort: string }> | null> = {};
  for (const e of exposed) out[e.includes('/') ? e : `${e}/tcp`] = null;
  for (const p of ports) (out[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIp || '0.0.0.0', HostPort: String(p.hostPort) });
  return out;
}

function networkMode(c: ContainerInfo): string {
  return c.spec.userNetwork ?? c.spec.network ?? 'bridge';
}

function networks(c: ContainerInfo): Record<string, unknown> {
  const mode = networkMode(c);
  // Docker gives a container its short id as an alias on a user network (compose checks it).
  if (c.spec.userNetwork) return { [mode]: { ...endpoint(c.ip ?? '', c.ip ? 24 : 0), Aliases: [...(c.spec.networkAliases ?? []), c.id.slice(0, 12)] } };
  if (mode === 'none') return { none: endpoint('', 0) };
  return { [mode]: endpoint(c.ip ?? '', c.ip ? 16 : 0) };
}

const endpoint = (ip: string, prefix: number) => ({ IPAMConfig: null, Links: null, Aliases: null, NetworkID: '', EndpointID: '', Gateway: '', IPAddress: ip, IPPrefixLen: prefix, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '', DriverOpts: null });

const restartName = (c: ContainerInfo) => (c.spec.restart?.name ?? 'no');

export function containerSummary(c: ContainerInfo, image?: ImageRecord): Record<string, unknown> {
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: c.image,
    ImageID: c.imageId,
    Command: processArgs(image?.config, c).join(' '),
    Created: unix(c.createdAt),
    Ports: c.ports.map((p) => ({ IP: p.hostIp || '0.0.0.0', PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.protocol })),
    Labels: c.labels ?? {},
    State: dockerState(c),
    Status: c.status,
    HostConfig: { NetworkMode: networkMode(c) },
    NetworkSettings: { Networks: networks(c) },
    Mounts: mountsOf(c),
  };
}

function mountsOf(c: ContainerInfo): unknown[] {
  const binds = (c.spec.volumes ?? []).map((v) => ({ Type: 'bind', Source: v.hostPath, Destination: v.containerPath, Mode: v.readOnly ? 'ro' : '', RW: !v.readOnly, Propagation: 'rprivate' }));
  // Named and anonymous volumes show their name (compose matches its volumes by it); a tmpfs is not listed, as dockerd.
  const vols = (c.spec.mounts ?? []).filter((m) => m.type !== 'tmpfs').map((m) => (m.type === 'bind' ? { Type: 'bind', Source: m.source, Destination: m.target, Mode: m.readOnly ? 'ro' : '', RW: !m.readOnly, Propagation: 'rprivate' } : { Type: 'volume', Name: m.source ?? '', Source: '', Destination: m.target, Driver: 'local', Mode: m.readOnly ? 'ro' : 'z', RW: !m.readOnly, Propagation: '' }));
  return [...binds, ...vols];
}

const ns = (ms: number | undefined) => (ms === undefined ? 0 : Math.round(ms * 1e6));

/** HostConfig's run-flag fields, as the container was created (Docker's zero values when unset). */
function runFlagsHostConfig(s: ContainerInfo['spec']): Record<string, unknown> {
  const tmpfs = (s.mounts ?? []).filter((m) => m.type === 'tmpfs');
  return {
    Privileged: s.privileged ?? false,
    CapAdd: s.capAdd ?? null,
    CapDrop: s.capDrop ?? null,
    Dns: s.dns ?? [],
    DnsSearch: s.dnsSearch ?? [],
    ExtraHosts: s.extraHosts ?? null,
    GroupAdd: s.groupAdd ?? null,
    SecurityOpt: [...(s.noNewPrivileges === false ? [] : s.noNewPrivileges ? ['no-new-privileges'] : []), ...(s.seccomp === 'unconfined' ? ['seccomp=unconfined'] : s.seccomp ? ['seccomp=<profile>'] : [])],
    ShmSize: s.shmSize ?? 64 * 2 ** 20,
    MemorySwap: s.memorySwap ?? 0,
    MemoryReservation: s.memoryReservation ?? 0,
    CpuShares: s.cpuShares ?? 0,
    CpusetCpus: s.cpusetCpus ?? '',
    Sysctls: s.sysctls ?? {},
    Ulimits: (s.ulimits ?? []).map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
    Devices: (s.devices ?? []).map((d) => ({ PathOnHost: d.hostPath, PathInContainer: d.containerPath, CgroupPermissions: d.permissions })),
    Tmpfs: tmpfs.length ? Object.fromEntries(tmpfs.map((m) => [m.target, [m.readOnly ? 'ro' : '', m.noExec ? 'noexec' : '', m.tmpfsSize ? `size=${m.tmpfsSize}` : '', m.tmpfsMode !== undefined ? `mode=${m.tmpfsMode.toString(8)}` : ''].filter(Boolean).join(',')])) : null,
    PublishAllPorts: s.publishAll ?? false,
  };
}

export function containerInspect(c: ContainerInfo, image?: ImageRecord): Record<string, unknown> {
  const args = processArgs(image?.config, c);
  const state = dockerState(c);
  const env = [...(image?.config.env ?? []).filter((e) => !(e.split('=')[0]! in (c.spec.env ?? {}))), ...Object.entries(c.spec.env ?? {}).map(([k, v]) => `${k}=${v}`)];
  const ports = portMap(c.ports, image?.config.exposedPorts);
  const s = c.spec;
  return {
    Id: c.id,
    Created: c.createdAt,
    Path: args[0] ?? '',
    Args: args.slice(1),
    State: {
      Status: c.paused ? 'paused' : state,
      Running: state === 'running',
      Paused: !!c.paused,
      Restarting: state === 'restarting',
      OOMKilled: c.oomKilled,
      Dead: false,
      Pid: state === 'running' ? (c.pid ?? 0) : 0,
      ExitCode: c.exitCode ?? 0,
      Error: c.state === 'failed' ? (c.reason ?? '') : '',
      StartedAt: c.startedAt ?? ZERO_TIME,
      FinishedAt: c.finishedAt ?? ZERO_TIME,
      ...(c.health ? { Health: { Status: c.health.status, FailingStreak: c.health.failingStreak, Log: c.health.log.map((r) => ({ Start: r.start, End: r.end, ExitCode: r.exitCode, Output: r.output })) } } : {}),
    },
    Image: c.imageId,
    ResolvConfPath: '',
    HostnamePath: '',
    HostsPath: '',
    LogPath: '',
    Name: `/${c.name}`,
    RestartCount: c.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: {
      Binds: (s.volumes ?? []).map((v) => `${v.hostPath}:${v.containerPath}${v.readOnly ? ':ro' : ''}`),
      NetworkMode: networkMode(c),
      PortBindings: portMap(c.ports),
      RestartPolicy: { Name: restartName(c), MaximumRetryCount: s.restart?.name === 'on-failure' ? (s.restart.maxRetries ?? 0) : 0 },
      AutoRemove: s.autoRemove ?? false,
      Memory: s.memory ?? 0,
      NanoCpus: s.cpus ? Math.round(s.cpus * 1e9) : 0,
      PidsLimit: s.pidsLimit ?? null,
      ReadonlyRootfs: s.readOnly ?? false,
      Init: s.init ?? null,
      ...runFlagsHostConfig(s),
      LogConfig: { Type: 'json-file', Config: {} },
    },
    GraphDriver: { Data: null, Name: 'overlay2' },
    Mounts: mountsOf(c),
    Config: {
      Hostname: s.hostname ?? c.id.slice(0, 12),
      Domainname: '',
      User: s.user ?? image?.config.user ?? '',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ExposedPorts: Object.fromEntries([...Object.keys(ports), ...(s.expose ?? []).map((e) => (e.includes('/') ? e : `${e}/tcp`))].map((k) => [k, {}])),
      Tty: !!s.tty,
      OpenStdin: !!s.openStdin,
      StdinOnce: !!s.stdinOnce,
      Env: env,
      Cmd: s.cmd ?? (s.entrypoint ? null : (image?.config.cmd ?? null)),
      Image: c.image,
      Volumes: null,
      WorkingDir: s.workingDir ?? image?.config.workingDir ?? '',
      Entrypoint: s.entrypoint ?? image?.config.entrypoint ?? null,
      OnBuild: null,
      Labels: c.labels ?? {},
      ...(s.stopSignal ? { StopSignal: s.stopSignal } : image?.config.stopSignal ? { StopSignal: image.config.stopSignal } : {}),
      ...(s.stopTimeout !== undefined ? { StopTimeout: s.stopTimeout } : {}),
      ...(s.healthcheck ? { Healthcheck: { Test: s.healthcheck.test, Interval: ns(s.healthcheck.intervalMs), Timeout: ns(s.healthcheck.timeoutMs), Retries: s.healthcheck.retries ?? 0, StartPeriod: ns(s.healthcheck.startPeriodMs) } } : {}),
    },
    NetworkSettings: {
      Bridge: '',
      SandboxID: '',
      HairpinMode: false,
      Ports: ports,
      SandboxKey: '',
      Gateway: '',
      IPAddress: c.ip ?? '',
      IPPrefixLen: c.ip ? 16 : 0,
      MacAddress: '',
      Networks: networks(c),
    },
  };
}

/** "127.0.0.1:5000/a/b:1" -> "127.0.0.1:5000/a/b" (the part before the tag). */
export const repoOf = (tag: string): string => tag.replace(/:[^:/]+$/, '');

export function imageSummary(i: ImageRecord, containers = -1): Record<string, unknown> {
  return {
    Id: i.id,
    ParentId: '',
    RepoTags: i.repoTags.length ? i.repoTags : ['<none>:<none>'],
    RepoDigests: [...new Set(i.repoTags.map((t) => `${repoOf(t)}@${i.digest}`))],
    Created: unix(i.created),
    Size: i.size,
    VirtualSize: i.size,
    SharedSize: -1,
    Labels: i.config.labels ?? null,
    Containers: containers,
  };
}

export function imageInspect(i: ImageRecord): Record<string, unknown> {
  return {
    Id: i.id,
    RepoTags: i.repoTags,
    RepoDigests: [...new Set(i.repoTags.map((t) => `${repoOf(t)}@${i.digest}`))],
    Parent: '',
    Comment: '',
    Created: i.created ?? ZERO_TIME,
    Container: '',
    DockerVersion: '',
    Author: '',
    Config: {
      User: i.config.user ?? '',
      ExposedPorts: Object.fromEntries((i.config.exposedPorts ?? []).map((p) => [p.includes('/') ? p : `${p}/tcp`, {}])),
      Env: i.config.env ?? [],
      Cmd: i.config.cmd ?? null,
      WorkingDir: i.config.workingDir ?? '',
      Entrypoint: i.config.entrypoint ?? null,
      Labels: i.config.labels ?? null,
      StopSignal: i.config.stopSignal ?? '',
    },
    Architecture: i.platform.architecture,
    Variant: i.platform.variant,
    Os: i.platform.os,
    Size: i.size,
    VirtualSize: i.size,
    GraphDriver: { Data: null, Name: 'overlay2' },
    RootFS: { Type: 'layers', Layers: i.layers },
    Metadata: { LastTagTime: ZERO_TIME },
  };
}
