// Docker create fields that map onto optional ContainerSpec fields: each is used only when the
// containers contract of this build has that field (its zod shape says so), and stays a 400
// naming it otherwise. So the Docker API takes up the runtime's run flags as they land, without
// a second list to keep in step.
import { containerSpecSchema } from '../../contracts/containers.js';
import { badParameter } from './errors.js';

type Obj = Record<string, unknown>;
type Mapper = (v: unknown, field: string) => Obj;

const specKeys = new Set(Object.keys((containerSpecSchema as unknown as { shape: Obj }).shape));
export const specHas = (k: string): boolean => specKeys.has(k);

const strList = (v: unknown, f: string): string[] => {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw badParameter(`${f} must be a list of strings`);
  return v as string[];
};
const num = (v: unknown, f: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badParameter(`${f} must be a number`);
  return v;
};
const str = (v: unknown, f: string): string => {
  if (typeof v !== 'string') throw badParameter(`${f} must be a string`);
  return v;
};
const arr = (v: unknown, f: string): Obj[] => {
  if (!Array.isArray(v) || !v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) throw badParameter(`${f} must be a list of objects`);
  return v as Obj[];
};
const objOf = (v: unknown, f: string): Obj => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw badParameter(`${f} must be an object`);
  return v as Obj;
};
/** A Go map[string]string: any other value type is Docker's 400 too. */
export const strMap = (v: unknown, f: string): Record<string, string> => {
  const o = objOf(v, f);
  for (const [k, x] of Object.entries(o)) if (typeof x !== 'string') throw badParameter(`${f}.${k} must be a string`);
  return o as Record<string, string>;
};
const nsToMs = (v: unknown, f: string) => (v === undefined || v === null || v === 0 ? undefined : num(v, f) / 1e6);

const simple = (key: string, conv: (v: unknown, f: string) => unknown): [string[], Mapper] => [[key], (v, f) => ({ [key]: conv(v, f) })];

/** Config fields: Docker name -> [the spec keys it needs, mapper]. */
export const configExtras: Record<string, [string[], Mapper]> = {
  Hostname: simple('hostname', str),
  StopSignal: simple('stopSignal', str),
  Healthcheck: [
    ['healthcheck'],
    (v, f) => {
      const h = objOf(v, f);
      return { healthcheck: { test: h.Test === undefined || h.Test === null ? [] : strList(h.Test, `${f}.Test`), intervalMs: nsToMs(h.Interval, 'Interval'), timeoutMs: nsToMs(h.Timeout, 'Timeout'), retries: h.Retries ? num(h.Retries, 'Retries') : undefined, startPeriodMs: nsToMs(h.StartPeriod, 'StartPeriod') } };
    },
  ],
};

/** HostConfig fields. */
export const hostExtras: Record<string, [string[], Mapper]> = {
  CapAdd: simple('capAdd', strList),
  CapDrop: simple('capDrop', strList),
  Privileged: simple('privileged', (v) => v === true),
  Dns: simple('dns', strList),
  DnsSearch: simple('dnsSearch', strList),
  ExtraHosts: [['extraHosts'], (v, f) => ({ extraHosts: strList(v, f) })],
  ShmSize: simple('shmSize', num),
  MemorySwap: simple('memorySwap', num),
  MemoryReservation: simple('memoryReservation', num),
  CpuShares: simple('cpuShares', num),
  CpusetCpus: simple('cpusetCpus', str),
  GroupAdd: simple('groupAdd', strList),
  Sysctls: simple('sysctls', (v, f) => ({ ...strMap(v, f) })),
  Ulimits: simple('ulimits', (v, f) => arr(v, f).map((u, i) => ({ name: str(u.Name, `${f}[${i}].Name`), soft: num(u.Soft, `${f}[${i}].Soft`), hard: num(u.Hard, `${f}[${i}].Hard`) }))),
  Devices: simple('devices', (v, f) => arr(v, f).map((x, i) => ({ hostPath: str(x.PathOnHost, `${f}[${i}].PathOnHost`), containerPath: str(x.PathInContainer || x.PathOnHost, `${f}[${i}].PathInContainer`), permissions: typeof x.CgroupPermissions === 'string' && x.CgroupPermissions ? x.CgroupPermissions : 'rwm' }))),
  Tmpfs: simple('mounts', (v, f) => Object.entries(strMap(v, f)).map(([target, opts]) => ({ type: 'tmpfs', target, ...tmpfsOpts(opts) }))),
  SecurityOpt: [
    ['noNewPrivileges', 'seccomp'],
    (v, f) => {
      const out: Obj = {};
      for (const o of strList(v, f)) {
        if (/^no-new-privileges(:true|=true)?$/.test(o)) out.noNewPrivileges = true;
        else if (/^no-new-privileges(:false|=false)$/.test(o)) out.noNewPrivileges = false;
        else if (o.startsWith('seccomp=') || o.startsWith('seccomp:')) out.seccomp = o.slice(8);
        else throw badParameter(`HostConfig.SecurityOpt ${o} is not supported by LLMOS`);
      }
      return out;
    },
  ],
};

function tmpfsOpts(s: string): Obj {
  const out: Obj = {};
  for (const o of s.split(',').filter(Boolean)) {
    const [k, v] = o.split('=');
    if (k === 'size') out.tmpfsSize = sizeBytes(v ?? '');
    else if (k === 'mode') {
      if (!/^[0-7]{1,4}$/.test(v ?? '')) throw badParameter(`invalid tmpfs mode ${v ?? ''}`);
      out.tmpfsMode = parseInt(v!, 8);
    } else if (k === 'ro') out.readOnly = true;
    else if (k === 'noexec') out.noExec = true;
    // LLMOS mounts every tmpfs nosuid,nodev: suid and dev would be ignored, so they are refused.
    else if (!['rw', 'nosuid', 'nodev', 'exec'].includes(k!)) throw badParameter(`tmpfs option ${o} is not supported by LLMOS (size, mode, ro, rw, noexec, exec, nosuid, nodev)`);
  }
  return out;
}

function sizeBytes(s: string): number {
  const m = /^(\d+)([kmg]?)b?$/i.exec(s);
  if (!m) throw badParameter(`invalid tmpfs size ${s}`);
  return Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase());
}

/** Applies a field if the contract has what it needs; false when it does not (the caller refuses it). */
export function applyExtra(table: Record<string, [string[], Mapper]>, key: string, value: unknown, where: string, spec: Obj): boolean {
  const e = Object.hasOwn(table, key) ? table[key] : undefined; // not Object.prototype's toString & co.
  if (!e || !e[0].every(specHas)) return false;
  const add = e[1](value, `${where}.${key}`);
  for (const [k, v] of Object.entries(add)) {
    if (v === undefined) continue;
    if (k === 'mounts') spec.mounts = [...((spec.mounts as unknown[]) ?? []), ...(v as unknown[])];
    else spec[k] = v;
  }
  return true;
}
