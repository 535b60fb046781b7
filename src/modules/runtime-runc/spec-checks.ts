// Validation of a container spec before anything is created: shape, names and ports, and
// resource values that must be finite and fit on this host (cpus: 1e308 or a negative memory is
// the caller's mistake, a 400 with the reason, never a ledger entry or a cgroup write).
import net from 'node:net';
import path from 'node:path';
import type { ContainerSpec, PortMapping } from '../../contracts/containers.js';
import { AlreadyExists, InvalidArgument } from '../../kernel/errors.js';

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
    for (const [k, v] of [['host port', p.hostPort], ['container port', p.containerPort]] as const)
      if (!Number.isInteger(v) || v < 1 || v > 65535) throw new InvalidArgument(`${k} ${v} is not between 1 and 65535`);
    if (p.protocol !== 'tcp' && p.protocol !== 'udp') throw new InvalidArgument(`protocol ${String(p.protocol)} is not tcp or udp`);
    if (p.hostIp !== undefined && p.hostIp !== '' && !net.isIP(p.hostIp)) throw new InvalidArgument(`host IP ${JSON.stringify(p.hostIp)} is not an IP address`);
    const key = `${p.hostPort}/${p.protocol}`;
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

/** Everything about a spec that can be checked without touching the host; `existing` are the other containers' specs. */
export function validateSpec(spec: ContainerSpec, existing: readonly ContainerSpec[], host: HostLimits): void {
  if (!spec.image || typeof spec.image !== 'string') throw new InvalidArgument('an image is required');
  if (spec.name !== undefined && !nameRe.test(spec.name)) throw new InvalidArgument(`invalid container name ${JSON.stringify(spec.name)}: use letters, digits, _ . - (starting with a letter or digit)`);
  if (spec.name && existing.some((s) => s.name === spec.name)) throw new AlreadyExists(`container name ${spec.name} is already in use`);
  checkPorts(spec.ports ?? []);
  const mode = spec.network ?? 'bridge';
  if (!['bridge', 'host', 'none'].includes(mode)) throw new InvalidArgument(`network ${mode} is not bridge, host or none`);
  if (mode !== 'bridge' && spec.ports?.length) throw new InvalidArgument(`published ports need the bridge network, not ${mode}`);
  for (const p of spec.ports ?? [])
    for (const s of existing)
      if ((s.ports ?? []).some((q) => q.hostPort === p.hostPort && q.protocol === p.protocol)) throw new AlreadyExists(`host port ${p.hostPort}/${p.protocol} is already published by container ${s.name}`);
  for (const v of spec.volumes ?? []) if (!path.isAbsolute(v.hostPath) || !path.isAbsolute(v.containerPath)) throw new InvalidArgument(`volume ${v.hostPath}:${v.containerPath}: both paths must be absolute`);
  if (spec.workingDir !== undefined && !spec.workingDir.startsWith('/')) throw new InvalidArgument(`working directory ${spec.workingDir} must be absolute`);
  checkResources(spec, host);
  if (spec.autoRemove && spec.restart && spec.restart.name !== 'no') throw new InvalidArgument('auto-remove (--rm) and a restart policy cannot be combined');
}
