// OCI runtime spec generation: the image's run config merged with the container flags, plus the
// Docker-like hardening every container gets. Pure: everything the spec depends on is an input.
import type { ContainerSpec } from '../../contracts/containers.js';
import type { ImageRunConfig } from '../../contracts/images.js';
import { InvalidArgument } from '../../kernel/errors.js';
import { defaultSeccompProfile } from './seccomp.js';
import { applyRunFlags, capabilitySet, type DeviceNode } from './spec-flags.js';

/**
 * Docker's default capability set without CAP_NET_RAW (as podman's): raw and packet sockets let a
 * container forge packets on the bridge (spoofed sources, 127.0.0.1 destinations). ping keeps
 * working through ICMP datagram sockets (pingSysctls).
 */
export const defaultCapabilities: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Every group may open ICMP datagram sockets (unprivileged ping), as Docker sets; per netns, so never on the host network. */
export const pingSysctls: Readonly<Record<string, string>> = { 'net.ipv4.ping_group_range': '0 2147483647' };

export const maskedPaths: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];

export const readonlyPaths: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Where the init binary (catatonit) is bind-mounted when the container asks for --init. */
export const initPathInContainer = '/run/llmos-init';

const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

export interface SpecInput {
  id: string;
  hostname: string;
  rootfs: string;
  image: ImageRunConfig;
  spec: ContainerSpec;
  user: ResolvedUser;
  /** bridge: join this netns; none: a fresh one; host: the host's. */
  network: { mode: 'bridge' | 'host' | 'none'; netnsPath?: string };
  cgroupsPath: string;
  /** Host files bind-mounted over /etc/hosts, /etc/hostname, /etc/resolv.conf. */
  etcFiles: { hosts: string; hostname: string; resolvConf: string };
  /** Host path of the init binary, when spec.init is set. */
  initBinary?: string;
  /** The host's hard limit on open files: an rlimit above it makes runc fail. */
  nofileHardLimit: number;
  arch?: string;
  /** Host paths of the named-volume mounts, by container path. */
  volumeSources?: Record<string, string>;
  /** --group-add, resolved to ids. */
  extraGids?: number[];
  /** --device, as found on the host. */
  devices?: DeviceNode[];
  /** The daemon's own bounding set: all that --privileged or --cap-add ALL can give. */
  hostCapabilities?: readonly string[];
}

/** The command a container runs: Docker's rule that overriding the entrypoint drops the image's Cmd. */
export function processArgs(image: ImageRunConfig, spec: Pick<ContainerSpec, 'entrypoint' | 'cmd'>): string[] {
  const entrypoint = spec.entrypoint ?? image.entrypoint ?? [];
  const cmd = spec.cmd ?? (spec.entrypoint ? [] : (image.cmd ?? []));
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) throw new InvalidArgument('no command specified: the image has no Entrypoint or Cmd; give one after the image name');
  return args;
}

/** Image env, then the container's overrides; PATH and HOSTNAME are always set. */
export function processEnv(image: ImageRunConfig, env: Record<string, string> | undefined, hostname: string): string[] {
  const merged = new Map<string, string>();
  for (const kv of image.env ?? []) {
    const i = kv.indexOf('=');
    if (i > 0) merged.set(kv.slice(0, i), kv.slice(i + 1));
  }
  if (!merged.has('PATH')) merged.set('PATH', defaultPath);
  merged.set('HOSTNAME', hostname);
  for (const [k, v] of Object.entries(env ?? {})) {
    if (!/^[^=\0]+$/.test(k)) throw new InvalidArgument(`invalid environment variable name ${JSON.stringify(k)}`);
    merged.set(k, v);
  }
  return [...merged].map(([k, v]) => `${k}=${v}`);
}

/**
 * Resolves "uid", "uid:gid", "name" or "name:group" against the rootfs's /etc/passwd and
 * /etc/group text (either may be missing). Numeric ids need no passwd entry.
 */
export function resolveUser(user: string | undefined, passwd = '', group = ''): ResolvedUser {
  if (!user) return { uid: 0, gid: 0, additionalGids: [] };
  const [u, g] = user.split(':', 2) as [string, string | undefined];
  const pw = passwd.split('\n').map((l) => l.split(':')).filter((f) => f.length >= 4);
  const gr = group.split('\n').map((l) => l.split(':')).filter((f) => f.length >= 3);
  let uid: number;
  let gid: number | undefined;
  let name: string | undefined;
  if (/^\d+$/.test(u)) {
    uid = Number(u);
    const entry = pw.find((f) => Number(f[2]) === uid);
    if (entry) {
      gid = Number(entry[3]);
      name = entry[0];
    }
  } else {
    const entry = pw.find((f) => f[0] === u);
    if (!entry) throw new InvalidArgument(`unable to find user ${u}: no matching entries in the image's /etc/passwd`);
    uid = Number(entry[2]);
    gid = Number(entry[3]);
    name = u;
  }
  if (g !== undefined && g !== '') {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const entry = gr.find((f) => f[0] === g);
      if (!entry) throw new InvalidArgument(`unable to find group ${g}: no matching entries in the image's /etc/group`);
      gid = Number(entry[2]);
    }
  }
  const additionalGids = name ? gr.filter((f) => (f[3] ?? '').split(',').includes(name!)).map((f) => Number(f[2])).filter((x) => x !== gid) : [];
  return { uid, gid: gid ?? 0, additionalGids };
}

/** Shortest legal CPU period and the quota for `cpus` cores over it. */
export function cpuQuota(cpus: number): { quota: number; period: number } {
  const period = 100_000;
  return { quota: Math.max(1000, Math.round(cpus * period)), period };
}

export function buildSpec(i: SpecInput): Record<string, unknown> {
  const s = i.spec;
  const hostname = i.hostname;
  let args = processArgs(i.image, s);
  const mounts: Array<Record<string, unknown>> = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    { destination: '/etc/hosts', type: 'bind', source: i.etcFiles.hosts, options: ['rbind', 'rprivate'] },
    { destination: '/etc/hostname', type: 'bind', source: i.etcFiles.hostname, options: ['rbind', 'rprivate'] },
    { destination: '/etc/resolv.conf', type: 'bind', source: i.etcFiles.resolvConf, options: ['rbind', 'rprivate'] },
  ];
  for (const v of s.volumes ?? []) {
    if (!v.hostPath.startsWith('/') || !v.containerPath.startsWith('/')) throw new InvalidArgument(`volume ${v.hostPath}:${v.containerPath}: both paths must be absolute`);
    mounts.push({ destination: v.containerPath, type: 'bind', source: v.hostPath, options: ['rbind', 'rprivate', v.readOnly ? 'ro' : 'rw'] });
  }
  if (s.init) {
    if (!i.initBinary) throw new InvalidArgument('--init needs catatonit on the host, and it is not installed');
    mounts.push({ destination: initPathInContainer, type: 'bind', source: i.initBinary, options: ['bind', 'ro', 'nosuid', 'nodev'] });
    args = [initPathInContainer, '--', ...args];
  }
  const cwd = s.workingDir ?? i.image.workingDir ?? '/';
  if (!cwd.startsWith('/')) throw new InvalidArgument(`working directory ${cwd} must be absolute`);
  const caps = capabilitySet(s, defaultCapabilities, i.hostCapabilities);
  // Like Docker, a non-root user gets the bounding set but no effective capabilities.
  const nonRoot = i.user.uid !== 0;
  const namespaces: Array<Record<string, string>> = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (i.network.mode === 'bridge') {
    if (!i.network.netnsPath) throw new InvalidArgument('bridge network without a namespace path');
    namespaces.push({ type: 'network', path: i.network.netnsPath });
  } else if (i.network.mode === 'none') namespaces.push({ type: 'network' });

  const resources: Record<string, unknown> = { devices: [{ allow: false, access: 'rwm' }] };
  if (s.memory !== undefined) {
    if (!(s.memory >= 6 * 2 ** 20)) throw new InvalidArgument('memory limit must be at least 6 MiB');
    // swap equal to the limit means no swap, so --memory is a hard ceiling (as Docker's default).
    resources.memory = { limit: s.memory, swap: s.memory };
  }
  if (s.cpus !== undefined) {
    if (!(s.cpus > 0)) throw new InvalidArgument('cpus must be greater than 0');
    resources.cpu = cpuQuota(s.cpus);
  }
  if (s.pidsLimit !== undefined) {
    if (!Number.isInteger(s.pidsLimit) || s.pidsLimit < 1) throw new InvalidArgument('pids limit must be a positive integer');
    resources.pids = { limit: s.pidsLimit };
  }
  const nofile = Math.min(1_048_576, i.nofileHardLimit);
  const oci: Record<string, unknown> = {
    ociVersion: '1.0.2',
    process: {
      terminal: !!s.tty,
      user: { uid: i.user.uid, gid: i.user.gid, ...(i.user.additionalGids.length ? { additionalGids: i.user.additionalGids } : {}) },
      args,
      // Docker sets TERM for a TTY unless the image or the user did.
      env: ((e) => (s.tty && !e.some((x) => x.startsWith('TERM=')) ? [...e, 'TERM=xterm'] : e))(processEnv(i.image, s.env, hostname)),
      cwd,
      capabilities: { bounding: caps, effective: nonRoot ? [] : caps, permitted: nonRoot ? [] : caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: nofile, soft: nofile }],
      noNewPrivileges: true,
    },
    root: { path: i.rootfs, readonly: !!s.readOnly },
    hostname,
    mounts,
    annotations: {
      'io.llmos.container.id': i.id,
      ...(s.name ? { 'io.llmos.container.name': s.name } : {}),
      ...(i.image.exposedPorts?.length ? { 'io.llmos.image.exposed-ports': i.image.exposedPorts.join(',') } : {}),
    },
    linux: {
      namespaces,
      cgroupsPath: i.cgroupsPath,
      resources,
      maskedPaths: [...maskedPaths],
      readonlyPaths: [...readonlyPaths],
      ...(i.network.mode !== 'host' ? { sysctl: { ...pingSysctls } } : {}),
      seccomp: defaultSeccompProfile(caps, i.arch),
    },
  };
  applyRunFlags(oci, s, { volumeSources: i.volumeSources, extraGids: i.extraGids, devices: i.devices });
  return oci;
}
