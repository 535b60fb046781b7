// The OCI spec parts of Docker's run flags (capabilities, privileged, seccomp, tmpfs and other
// mounts, ulimits, shm size, memory swap and reservation, CPU shares and set, sysctls, devices,
// extra groups). Pure: applied to the spec buildSpec made; ranges are checked in spec-checks.ts.
import type { ContainerSpec } from '../../contracts/containers.js';
import { InvalidArgument } from '../../kernel/errors.js';

/** Every capability Linux 6.x defines (what --privileged and --cap-add ALL grant). */
export const allCapabilities: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
  'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** "net_admin", "NET_ADMIN" or "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; "ALL" stays; others refused. */
export function capabilityName(c: string): string {
  const up = c.toUpperCase();
  if (up === 'ALL') return 'ALL';
  const name = up.startsWith('CAP_') ? up : `CAP_${up}`;
  if (!allCapabilities.includes(name)) throw new InvalidArgument(`unknown capability ${JSON.stringify(c)}`);
  return name;
}

/** The bounding set: the defaults, minus --cap-drop, plus --cap-add (Docker's order: ALL first). */
export function capabilitySet(s: Pick<ContainerSpec, 'capAdd' | 'capDrop' | 'privileged'>, defaults: readonly string[], available: readonly string[] = allCapabilities): string[] {
  // "All" is what this daemon may hand out (its own bounding set), as Docker's --privileged.
  if (s.privileged) return [...available];
  const add = (s.capAdd ?? []).map(capabilityName);
  const drop = (s.capDrop ?? []).map(capabilityName);
  let caps = drop.includes('ALL') ? [] : defaults.filter((c) => !drop.includes(c));
  if (add.includes('ALL')) caps = [...available];
  for (const c of add) if (c !== 'ALL' && !caps.includes(c)) caps.push(c);
  return caps;
}

/** The capabilities in a CapBnd mask of /proc/self/status (bit n is capability n of allCapabilities). */
export function capabilitiesOfMask(hex: string): string[] {
  const mask = BigInt('0x' + hex);
  return allCapabilities.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

/** Sysctls that live in a container's own namespaces (Docker's rule); the rest would change the host. */
export function namespacedSysctl(name: string, networkMode: string): boolean {
  if (/^(kernel\.(msgmax|msgmnb|msgmni|sem|shmall|shmmax|shmmni|shm_rmid_forced)|fs\.mqueue\.[a-z_]+)$/.test(name)) return true;
  return name.startsWith('net.') && networkMode !== 'host';
}

const rlimitName = (n: string) => `RLIMIT_${n.toUpperCase()}`;
export const ulimitNames = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack', 'as'];

/** A host device given to the container (--device), as the bundle found it on the host. */
export interface DeviceNode {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid?: number;
  gid?: number;
  access?: string;
}

/** Applies the flags to an OCI spec built by buildSpec (mutates it). `volumeSources`: host paths of the volume mounts by target. */
export function applyRunFlags(oci: Record<string, unknown>, s: ContainerSpec, o: { volumeSources?: Record<string, string>; extraGids?: number[]; devices?: DeviceNode[] }): void {
  const proc = oci.process as Record<string, unknown> & { rlimits: Array<{ type: string; hard: number; soft: number }>; user: { additionalGids?: number[] } };
  const linux = oci.linux as Record<string, unknown> & { resources: Record<string, unknown>; sysctl?: Record<string, string> };
  const mounts = oci.mounts as Array<Record<string, unknown>>;
  if (s.noNewPrivileges === false) proc.noNewPrivileges = false;
  if (s.privileged) {
    proc.noNewPrivileges = false;
    delete linux.seccomp;
    linux.maskedPaths = [];
    linux.readonlyPaths = [];
    linux.resources.devices = [{ allow: true, access: 'rwm' }];
    for (const m of mounts) if (m.destination === '/sys' || m.destination === '/sys/fs/cgroup') m.options = (m.options as string[]).filter((x) => x !== 'ro');
  }
  if (s.seccomp === 'unconfined') delete linux.seccomp;
  else if (s.seccomp !== undefined) {
    let p: unknown;
    try {
      p = JSON.parse(s.seccomp);
    } catch {
      throw new InvalidArgument('seccomp profile is not JSON (give a file with Docker\'s profile format, or "unconfined")');
    }
    if (!p || typeof p !== 'object' || typeof (p as { defaultAction?: unknown }).defaultAction !== 'string') throw new InvalidArgument('seccomp profile needs a defaultAction');
    linux.seccomp = p;
  }
  for (const u of s.ulimits ?? []) {
    const type = rlimitName(u.name);
    proc.rlimits = proc.rlimits.filter((r) => r.type !== type);
    proc.rlimits.push({ type, soft: u.soft, hard: u.hard });
  }
  if (s.shmSize !== undefined) for (const m of mounts) if (m.destination === '/dev/shm') m.options = [...(m.options as string[]).filter((x) => !x.startsWith('size=')), `size=${Math.floor(s.shmSize / 1024)}k`];
  for (const m of s.mounts ?? []) {
    if (m.type === 'tmpfs') {
      mounts.push({ destination: m.target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', `mode=${(m.tmpfsMode ?? 0o1777).toString(8)}`, ...(m.tmpfsSize ? [`size=${Math.floor(m.tmpfsSize / 1024)}k`] : []), ...(m.readOnly ? ['ro'] : []), ...(m.noExec ? ['noexec'] : [])] });
      continue;
    }
    const source = m.type === 'bind' ? m.source : o.volumeSources?.[m.target];
    if (!source) throw new InvalidArgument(`mount ${m.target}: no ${m.type === 'bind' ? 'source path' : 'volume'} for it`);
    mounts.push({ destination: m.target, type: 'bind', source, options: ['rbind', 'rprivate', m.readOnly ? 'ro' : 'rw'] });
  }
  const mem = linux.resources.memory as { limit?: number; swap?: number; reservation?: number } | undefined;
  if (s.memorySwap !== undefined || s.memoryReservation !== undefined) {
    const m = (linux.resources.memory = { ...(mem ?? {}) } as { limit?: number; swap?: number; reservation?: number });
    if (s.memorySwap !== undefined) m.swap = s.memorySwap;
    if (s.memoryReservation !== undefined) m.reservation = s.memoryReservation;
  }
  if (s.cpuShares !== undefined || s.cpusetCpus !== undefined) {
    const cpu = (linux.resources.cpu = { ...((linux.resources.cpu as object | undefined) ?? {}) } as Record<string, unknown>);
    if (s.cpuShares !== undefined) cpu.shares = s.cpuShares;
    if (s.cpusetCpus !== undefined) cpu.cpus = s.cpusetCpus;
  }
  if (s.sysctls && Object.keys(s.sysctls).length) linux.sysctl = { ...(linux.sysctl ?? {}), ...s.sysctls };
  for (const d of o.devices ?? []) {
    ((linux.devices ??= []) as DeviceNode[]).push({ path: d.path, type: d.type, major: d.major, minor: d.minor, fileMode: d.fileMode, uid: 0, gid: 0 });
    (linux.resources.devices as Array<Record<string, unknown>>).push({ allow: true, type: d.type, major: d.major, minor: d.minor, access: d.access });
  }
  if (o.extraGids?.length) proc.user.additionalGids = [...new Set([...(proc.user.additionalGids ?? []), ...o.extraGids])];
}
