// Validation of a container spec before anything is created: shape, names and ports, and
// resource values that must be finite and fit on this host (cpus: 1e308 or a negative memory is
// the caller's mistake, a 400 with the reason, never a ledger entry or a cgroup write).
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { networkNameRe } from '../../contracts/user-networks.js';
import type { ContainerSpec, PortMapping } from '../../contracts/containers.js';
import { AlreadyExists, InvalidArgument } from '../../kernel/errors.js';
import { capabilityName, namespacedSysctl, ulimitNames } from './spec-flags.js';
import { normalizeSignal } from './status.js';

const nameRe = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
/** runc refuses a memory limit below this (and the kernel needs some to start a process). */
export const minMemory = 6 * 2 ** 20;
/** Docker's smallest --cpus. */
export const minCpus = 0.01;
/** Linux's PID_MAX_LIMIT. */
const maxPids = 4_194_304;
/** Kubernetes' range for user-defined priority classes. */
const maxPriority = 1_000_000_000;

export interface HostLimits {
  cpus: number;
  memory: number;
}

export function checkPorts(ports: PortMapping[]): void {
  const seen = new Set<string>();
  for (const p of ports) {
    // Host port 0: any free port, chosen at create.
    for (const [k, v, lo] of [['host port', p.hostPort, 0], ['container port', p.containerPort, 1]] as const)
      if (!Number.isInteger(v) || v < lo || v > 65535) throw new InvalidArgument(`${k} ${v} is not between ${lo} and 65535`);
    if (p.protocol !== 'tcp' && p.protocol !== 'udp') throw new InvalidArgument(`protocol ${String(p.protocol)} is not tcp or udp`);
    if (p.hostIp !== undefined && p.hostIp !== '' && !net.isIP(p.hostIp)) throw new InvalidArgument(`host IP ${JSON.stringify(p.hostIp)} is not an IP address`);
    const key = `${p.hostPort}/${p.protocol}`;
    if (p.hostPort === 0) continue;
    if (seen.has(key)) throw new InvalidArgument(`host port ${key} is published twice`);
    seen.add(key);
  }
}

/** Whether a host process already listens on the port (portmap would silently shadow it). */
export function hostPortFree(p: PortMapping): Promise<boolean> {
  if (p.protocol !== 'tcp') return Promise.resolve(true);
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port: p.hostPort, host: p.hostIp || '0.0.0.0', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** A port the kernel picks as free now (the ephemeral range), for -P and -p CONTAINERPORT. */
export function freeHostPort(protocol: 'tcp' | 'udp', hostIp?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    if (protocol === 'udp') {
      const sock = dgram.createSocket('udp4');
      sock.once('error', reject);
      sock.bind(0, hostIp || '0.0.0.0', () => {
        const { port } = sock.address();
        sock.close(() => resolve(port));
      });
      return;
    }
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ port: 0, host: hostIp || '0.0.0.0', exclusive: true }, () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;

/** Resource values: finite, in range, and no more than the host has. */
export function checkResources(spec: ContainerSpec, host: HostLimits): void {
  if (spec.cpus !== undefined) {
    if (!finite(spec.cpus) || spec.cpus < minCpus) throw new InvalidArgument(`cpus ${String(spec.cpus)} is not a number of at least ${minCpus}`);
    if (spec.cpus > host.cpus) throw new InvalidArgument(`cpus ${spec.cpus} is more than the ${host.cpus} CPUs of this host`);
  }
  if (spec.memory !== undefined) {
    if (!finite(spec.memory) || !Number.isInteger(spec.memory) || spec.memory < minMemory) throw new InvalidArgument(`memory ${String(spec.memory)} is not a whole number of bytes of at least 6 MiB`);
    if (spec.memory > host.memory) throw new InvalidArgument(`memory ${spec.memory} bytes is more than the ${gib(host.memory)} of this host`);
  }
  if (spec.pidsLimit !== undefined && (!Number.isInteger(spec.pidsLimit) || spec.pidsLimit < 1 || spec.pidsLimit > maxPids)) throw new InvalidArgument(`pids limit ${String(spec.pidsLimit)} is not an integer between 1 and ${maxPids}`);
  const r = spec.requests;
  if (r?.cpu !== undefined) {
    if (!finite(r.cpu) || r.cpu < 0) throw new InvalidArgument(`requests.cpu ${String(r.cpu)} is not a number of 0 or more`);
    if (r.cpu > (spec.cpus ?? host.cpus)) throw new InvalidArgument(`requests.cpu ${r.cpu} is more than ${spec.cpus !== undefined ? `the cpus limit ${spec.cpus}` : `the ${host.cpus} CPUs of this host`}`);
  }
  if (r?.memory !== undefined) {
    if (!finite(r.memory) || !Number.isInteger(r.memory) || r.memory < 0) throw new InvalidArgument(`requests.memory ${String(r.memory)} is not a whole number of bytes`);
    if (r.memory > (spec.memory ?? host.memory)) throw new InvalidArgument(`requests.memory ${r.memory} is more than ${spec.memory !== undefined ? `the memory limit ${spec.memory}` : `the ${gib(host.memory)} of this host`}`);
  }
  if (spec.priority !== undefined && (!finite(spec.priority) || Math.abs(spec.priority) > maxPriority)) throw new InvalidArgument(`priority ${String(spec.priority)} is not a number between -${maxPriority} and ${maxPriority}`);
  if (spec.restart?.name === 'on-failure' && spec.restart.maxRetries !== undefined && !(Number.isInteger(spec.restart.maxRetries) && spec.restart.maxRetries >= 0 && spec.restart.maxRetries <= 1_000_000)) throw new InvalidArgument('on-failure retries must be an integer between 0 and 1000000');
}

/** Everything about a spec that can be checked without touching the host; `existing` are the other containers' specs, `up` those holding their host ports. */
export function validateSpec(spec: ContainerSpec, existing: readonly ContainerSpec[], host: HostLimits, up: readonly ContainerSpec[] = existing): void {
  if (!spec.image || typeof spec.image !== 'string') throw new InvalidArgument('an image is required');
  if (spec.name !== undefined && !nameRe.test(spec.name)) throw new InvalidArgument(`invalid container name ${JSON.stringify(spec.name)}: use letters, digits, _ . - (starting with a letter or digit)`);
  if (spec.name && existing.some((s) => s.name === spec.name)) throw new AlreadyExists(`container name ${spec.name} is already in use`);
  checkPorts(spec.ports ?? []);
  const mode = spec.network ?? 'bridge';
  if (!['bridge', 'host', 'none'].includes(mode)) throw new InvalidArgument(`network ${mode} is not bridge, host or none`);
  if (mode !== 'bridge' && spec.ports?.length) throw new InvalidArgument(`published ports need the bridge network, not ${mode}`);
  if (spec.userNetwork !== undefined && (mode !== 'bridge' || !networkNameRe.test(spec.userNetwork))) throw new InvalidArgument(`network ${JSON.stringify(spec.userNetwork)}: a user network is a name (letters, digits, _ . -) and needs the bridge mode`);
  for (const a of spec.networkAliases ?? []) if (!spec.userNetwork || !hostnameRe.test(a)) throw new InvalidArgument(`--network-alias ${JSON.stringify(a)}: ${spec.userNetwork ? 'not a host name' : 'needs a user-defined --network'}`);
  for (const p of (spec.ports ?? []).filter((q) => q.hostPort !== 0))
    for (const s of up)
      if ((s.ports ?? []).some((q) => q.hostPort === p.hostPort && q.protocol === p.protocol)) throw new AlreadyExists(`host port ${p.hostPort}/${p.protocol} is already published by container ${s.name}`);
  for (const v of spec.volumes ?? []) if (!path.isAbsolute(v.hostPath) || !path.isAbsolute(v.containerPath)) throw new InvalidArgument(`volume ${v.hostPath}:${v.containerPath}: both paths must be absolute`);
  if (spec.workingDir !== undefined && !spec.workingDir.startsWith('/')) throw new InvalidArgument(`working directory ${spec.workingDir} must be absolute`);
  checkResources(spec, host);
  checkRunFlags(spec, host);
  if (spec.autoRemove && spec.restart && spec.restart.name !== 'no') throw new InvalidArgument('auto-remove (--rm) and a restart policy cannot be combined');
}

const hostnameRe = /^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,62})$/;
export const volumeNameRe = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
const absolute = (p: string) => p.startsWith('/') && !p.split('/').includes('..');
const intIn = (v: unknown, lo: number, hi: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;

/** Docker's run flags: names, addresses, paths and ranges, each refused naming its flag. */
export function checkRunFlags(spec: ContainerSpec, host: HostLimits): void {
  const mode = spec.network ?? 'bridge';
  if (spec.hostname !== undefined && !hostnameRe.test(spec.hostname)) throw new InvalidArgument(`--hostname ${JSON.stringify(spec.hostname)} is not a host name (letters, digits, . and -, at most 63)`);
  if (spec.hostname !== undefined && mode === 'host') throw new InvalidArgument('--hostname cannot be combined with the host network');
  for (const h of spec.extraHosts ?? []) {
    const i = h.indexOf(':');
    if (i < 1 || !hostnameRe.test(h.slice(0, i)) || !net.isIP(h.slice(i + 1))) throw new InvalidArgument(`--add-host ${JSON.stringify(h)}: use NAME:IP`);
  }
  for (const d of spec.dns ?? []) if (!net.isIP(d)) throw new InvalidArgument(`--dns ${JSON.stringify(d)} is not an IP address`);
  for (const d of spec.dnsSearch ?? []) if (!hostnameRe.test(d)) throw new InvalidArgument(`--dns-search ${JSON.stringify(d)} is not a domain`);
  for (const c of [...(spec.capAdd ?? []), ...(spec.capDrop ?? [])]) capabilityName(c);
  if (spec.seccomp !== undefined && spec.seccomp.length > 1_000_000) throw new InvalidArgument('--security-opt seccomp: the profile is larger than 1 MB');
  for (const u of spec.ulimits ?? []) {
    if (!ulimitNames.includes(u.name)) throw new InvalidArgument(`--ulimit ${u.name}: unknown limit (use one of ${ulimitNames.join(', ')})`);
    if (!intIn(u.soft, -1, Number.MAX_SAFE_INTEGER) || !intIn(u.hard, -1, Number.MAX_SAFE_INTEGER)) throw new InvalidArgument(`--ulimit ${u.name}: limits must be whole numbers`);
    if (u.hard !== -1 && (u.soft === -1 || u.soft > u.hard)) throw new InvalidArgument(`--ulimit ${u.name}=${u.soft}:${u.hard}: the soft limit is above the hard limit`);
  }
  if (spec.shmSize !== undefined && !intIn(spec.shmSize, 4096, host.memory)) throw new InvalidArgument(`--shm-size ${spec.shmSize} is not between 4 KiB and the host's memory`);
  if (spec.stopSignal !== undefined) normalizeSignal(spec.stopSignal);
  if (spec.stopTimeout !== undefined && !intIn(spec.stopTimeout, -1, 3600)) throw new InvalidArgument(`--stop-timeout ${spec.stopTimeout} is not a number of seconds up to 3600`);
  if (spec.memorySwap !== undefined) {
    if (spec.memory === undefined) throw new InvalidArgument('--memory-swap needs --memory');
    if (spec.memorySwap !== -1 && !(Number.isInteger(spec.memorySwap) && spec.memorySwap >= spec.memory)) throw new InvalidArgument(`--memory-swap ${spec.memorySwap} must be -1 or at least --memory (${spec.memory})`);
  }
  if (spec.memoryReservation !== undefined && !(Number.isInteger(spec.memoryReservation) && spec.memoryReservation >= 0 && spec.memoryReservation <= (spec.memory ?? host.memory))) throw new InvalidArgument(`--memory-reservation ${spec.memoryReservation} must be between 0 and the memory limit`);
  if (spec.cpuShares !== undefined && !intIn(spec.cpuShares, 2, 262144)) throw new InvalidArgument(`--cpu-shares ${spec.cpuShares} is not between 2 and 262144`);
  if (spec.cpusetCpus !== undefined) {
    if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(spec.cpusetCpus)) throw new InvalidArgument(`--cpuset-cpus ${JSON.stringify(spec.cpusetCpus)}: use a list like 0-1 or 0,1`);
    const top = Math.max(...spec.cpusetCpus.split(/[,-]/).map(Number));
    if (top >= Math.ceil(host.cpus)) throw new InvalidArgument(`--cpuset-cpus ${spec.cpusetCpus}: this host has CPUs 0-${Math.ceil(host.cpus) - 1}`);
  }
  for (const g of spec.groupAdd ?? []) if (!/^(\d{1,10}|[a-z_][a-z0-9_-]{0,31})$/.test(g)) throw new InvalidArgument(`--group-add ${JSON.stringify(g)} is not a group name or id`);
  for (const k of Object.keys(spec.sysctls ?? {})) if (!namespacedSysctl(k, mode)) throw new InvalidArgument(`--sysctl ${k} is not namespaced${mode === 'host' ? ' on the host network' : ''}: it would change the host`);
  for (const d of spec.devices ?? []) {
    if (!absolute(d.hostPath) || !absolute(d.containerPath)) throw new InvalidArgument(`--device ${d.hostPath}:${d.containerPath}: both paths must be absolute`);
    if (!/^[rwm]{1,3}$/.test(d.permissions)) throw new InvalidArgument(`--device ${d.hostPath}: permissions ${d.permissions} are not a set of r, w, m`);
  }
  for (const m of spec.mounts ?? []) {
    if (!absolute(m.target)) throw new InvalidArgument(`mount target ${JSON.stringify(m.target)} must be an absolute path`);
    if (m.type === 'bind' && (!m.source || !absolute(m.source))) throw new InvalidArgument(`bind mount ${m.target}: the source must be an absolute host path`);
    if (m.type === 'volume' && m.source !== undefined && !volumeNameRe.test(m.source)) throw new InvalidArgument(`volume name ${JSON.stringify(m.source)}: use letters, digits, _ . - (starting with a letter or digit)`);
    if (m.tmpfsSize !== undefined && !intIn(m.tmpfsSize, 4096, host.memory)) throw new InvalidArgument(`tmpfs ${m.target}: size ${m.tmpfsSize} is not between 4 KiB and the host's memory`);
    if (m.tmpfsMode !== undefined && !intIn(m.tmpfsMode, 0, 0o7777)) throw new InvalidArgument(`tmpfs ${m.target}: mode ${m.tmpfsMode} is not a file mode`);
  }
  for (const e of spec.expose ?? []) if (!/^\d{1,5}(\/(tcp|udp))?$/.test(e) || !intIn(Number(e.split('/')[0]), 1, 65535)) throw new InvalidArgument(`--expose ${JSON.stringify(e)}: use PORT[/tcp|udp]`);
  const h = spec.healthcheck;
  if (h) {
    if (h.test.length && !['CMD', 'CMD-SHELL', 'NONE'].includes(h.test[0]!)) throw new InvalidArgument('health check test must start with CMD, CMD-SHELL or NONE');
    for (const [k, v] of [['interval', h.intervalMs], ['timeout', h.timeoutMs], ['start period', h.startPeriodMs]] as const) if (v !== undefined && !intIn(v, 1, 24 * 3600_000)) throw new InvalidArgument(`--health-${k.replace(' ', '-')} ${v} ms is not between 1 ms and 24 h`);
    if (h.retries !== undefined && !intIn(h.retries, 1, 1000)) throw new InvalidArgument(`--health-retries ${h.retries} is not between 1 and 1000`);
  }
  if (spec.platform !== undefined && !/^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/.test(spec.platform)) throw new InvalidArgument(`--platform ${JSON.stringify(spec.platform)}: use OS/ARCH`);
}
