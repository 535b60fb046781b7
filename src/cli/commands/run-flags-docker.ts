// Docker's `run` flags beyond the basics (pure): hostname, DNS, capabilities, security options,
// mounts, limits, health checks, pull policy... parsed into the ContainerSpec's fields. What
// LLMOS cannot do yet is refused naming the flag, never silently ignored.
import { CliError } from '../client.js';
import type { ContainerSpec, DeviceMapping, Mount, Ulimit } from '../../contracts/containers.js';

export const runFlagOptions = {
  hostname: { type: 'string', short: 'h' },
  'add-host': { type: 'string', multiple: true },
  dns: { type: 'string', multiple: true },
  'dns-search': { type: 'string', multiple: true },
  'cap-add': { type: 'string', multiple: true },
  'cap-drop': { type: 'string', multiple: true },
  privileged: { type: 'boolean' },
  'security-opt': { type: 'string', multiple: true },
  tmpfs: { type: 'string', multiple: true },
  mount: { type: 'string', multiple: true },
  ulimit: { type: 'string', multiple: true },
  'shm-size': { type: 'string' },
  'publish-all': { type: 'boolean', short: 'P' },
  expose: { type: 'string', multiple: true },
  'stop-signal': { type: 'string' },
  'stop-timeout': { type: 'string' },
  'memory-swap': { type: 'string' },
  'memory-reservation': { type: 'string' },
  'cpu-shares': { type: 'string', short: 'c' },
  'cpuset-cpus': { type: 'string' },
  'health-cmd': { type: 'string' },
  'health-interval': { type: 'string' },
  'health-retries': { type: 'string' },
  'health-timeout': { type: 'string' },
  'health-start-period': { type: 'string' },
  'no-healthcheck': { type: 'boolean' },
  pull: { type: 'string' },
  platform: { type: 'string' },
  'group-add': { type: 'string', multiple: true },
  sysctl: { type: 'string', multiple: true },
  device: { type: 'string', multiple: true },
  cidfile: { type: 'string' },
  'label-file': { type: 'string', multiple: true },
  interactive: { type: 'boolean', short: 'i' },
  tty: { type: 'boolean', short: 't' },
  'detach-keys': { type: 'string' },
} as const;

const unit: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** Docker's RAMInBytes: binary units, case-insensitive, an optional "b"/"ib" ("64M" = "64m" = "64MiB" = 64 MiB). */
export function dockerMemory(s: string, flag: string): number {
  const m = s.length <= 40 ? /^(\d+(?:\.\d+)?) ?([kmgtp])?(i?b)?$/i.exec(s.trim()) : null;
  if (!m) throw new CliError(`invalid ${flag} ${JSON.stringify(s)}: use a size like 64m, 512MiB or 1g`);
  const n = Math.round(Number(m[1]) * unit[(m[2] ?? '').toLowerCase()]!);
  if (!Number.isSafeInteger(n)) throw new CliError(`invalid ${flag} ${JSON.stringify(s)}: too large`);
  return n;
}

/** Go's durations as Docker takes them: "30s", "1m30s", "500ms", "2h". */
export function goDuration(s: string, flag: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * units[m[2]!]!;
    at = re.lastIndex;
  }
  if (!s || at !== s.length) throw new CliError(`invalid ${flag} ${JSON.stringify(s)}: use a duration like 30s, 1m30s or 500ms`);
  return Math.round(total);
}

function int(s: string, flag: string): number {
  if (!/^-?\d+$/.test(s)) throw new CliError(`invalid ${flag} ${JSON.stringify(s)}: expected an integer`);
  return Number(s);
}

/** "nofile=1024:2048", "nproc=512" (soft = hard). */
export function parseUlimit(s: string): Ulimit {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(s);
  if (!m) throw new CliError(`invalid --ulimit ${JSON.stringify(s)}: use NAME=SOFT[:HARD]`);
  return { name: m[1]!, soft: Number(m[2]), hard: Number(m[3] ?? m[2]) };
}

/** "/run", "/run:rw,size=64m,mode=1777". */
export function parseTmpfs(s: string): Mount {
  const [target, opts = ''] = s.split(/:(.*)/s) as [string, string | undefined];
  const m: Mount = { type: 'tmpfs', target };
  for (const o of opts.split(',').filter(Boolean)) {
    const [k, v = ''] = o.split('=') as [string, string | undefined];
    if (k === 'size') m.tmpfsSize = dockerMemory(v, '--tmpfs size');
    else if (k === 'mode' && /^[0-7]{3,4}$/.test(v)) m.tmpfsMode = parseInt(v, 8);
    else if (k === 'ro') m.readOnly = true;
    else if (k === 'noexec') m.noExec = true;
    // Every tmpfs is nosuid,nodev in LLMOS: suid and dev would be ignored, so they are refused.
    else if (k === 'rw' || k === 'nosuid' || k === 'nodev' || k === 'exec') continue;
    else throw new CliError(`--tmpfs option ${JSON.stringify(o)} is not supported (use size=, mode=, ro, rw, noexec, exec, nosuid, nodev)`);
  }
  return m;
}

/** Docker's --mount: "type=bind|volume|tmpfs,source=..,target=..,readonly,tmpfs-size=..,tmpfs-mode=..". */
export function parseMount(s: string): Mount {
  const kv = new Map<string, string>();
  for (const part of s.split(',')) {
    const i = part.indexOf('=');
    kv.set(i < 0 ? part : part.slice(0, i), i < 0 ? 'true' : part.slice(i + 1));
  }
  const type = kv.get('type') ?? 'volume';
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') throw new CliError(`invalid --mount type ${JSON.stringify(type)}: use bind, volume or tmpfs`);
  const target = kv.get('target') ?? kv.get('destination') ?? kv.get('dst');
  if (!target) throw new CliError(`invalid --mount ${JSON.stringify(s)}: a target is required`);
  const source = kv.get('source') ?? kv.get('src');
  const ro = kv.get('readonly') ?? kv.get('ro');
  const known = new Set(['type', 'target', 'destination', 'dst', 'source', 'src', 'readonly', 'ro', 'tmpfs-size', 'tmpfs-mode']);
  for (const k of kv.keys()) if (!known.has(k)) throw new CliError(`--mount option ${k} is not supported`);
  return {
    type,
    target,
    ...(source !== undefined && type !== 'tmpfs' ? { source } : {}),
    ...(ro !== undefined && ro !== 'false' && ro !== '0' ? { readOnly: true } : {}),
    ...(kv.has('tmpfs-size') ? { tmpfsSize: dockerMemory(kv.get('tmpfs-size')!, '--mount tmpfs-size') } : {}),
    ...(kv.has('tmpfs-mode') ? { tmpfsMode: parseInt(kv.get('tmpfs-mode')!, 8) } : {}),
  };
}

/** "/dev/fuse", "/dev/sda:/dev/xvda:rw". */
export function parseDevice(s: string): DeviceMapping {
  const [hostPath, a, b] = s.split(':') as [string, string | undefined, string | undefined];
  const perms = b ?? (a && /^[rwm]+$/.test(a) ? a : undefined);
  const containerPath = a && !/^[rwm]+$/.test(a) ? a : hostPath;
  return { hostPath, containerPath, permissions: perms ?? 'rwm' };
}

/** Docker's --security-opt values: no-new-privileges[:true|false], seccomp=unconfined|FILE; others refused. */
function securityOpts(list: readonly string[], readFile: (f: string) => string): Pick<ContainerSpec, 'noNewPrivileges' | 'seccomp'> {
  const out: Pick<ContainerSpec, 'noNewPrivileges' | 'seccomp'> = {};
  for (const o of list) {
    const m = /^no-new-privileges(?:[:=](true|false))?$/.exec(o);
    if (m) out.noNewPrivileges = m[1] !== 'false';
    else if (o.startsWith('seccomp=') || o.startsWith('seccomp:')) {
      const v = o.slice(8);
      if (v === 'unconfined') out.seccomp = 'unconfined';
      else {
        try {
          out.seccomp = readFile(v);
        } catch (e) {
          throw new CliError(`--security-opt seccomp: cannot read ${v}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
      }
    } else throw new CliError(`--security-opt ${JSON.stringify(o)} is not supported (use no-new-privileges or seccomp=unconfined|FILE)`);
  }
  return out;
}

/** --health-cmd and its interval, timeout, retries and start period (Go durations with a unit: 30s, 1m30s, 500ms). */
function healthFlags(str: (k: string) => string | undefined): ContainerSpec['healthcheck'] {
  const keys = ['health-cmd', 'health-interval', 'health-retries', 'health-timeout', 'health-start-period'];
  if (!keys.some((k) => str(k) !== undefined)) return undefined;
  // Without --health-cmd the image's HEALTHCHECK test runs with these settings (an empty test), as Docker's.
  const cmd = str('health-cmd');
  const dur = (k: string): number | undefined => {
    const s = str(k);
    if (s === undefined) return undefined;
    let ms = 0;
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
    let m: RegExpExecArray | null;
    let seen = 0;
    while ((m = re.exec(s))) {
      ms += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2]!]!;
      seen = re.lastIndex;
    }
    if (!s || seen !== s.length) throw new CliError(`invalid --${k} ${JSON.stringify(s)}: use a duration with a unit, like 30s, 1m30s or 500ms`);
    return Math.round(ms);
  };
  const retries = str('health-retries');
  if (retries !== undefined && !/^\d+$/.test(retries)) throw new CliError(`invalid --health-retries ${JSON.stringify(retries)}: use a whole number`);
  return { test: cmd === undefined ? [] : ['CMD-SHELL', cmd], intervalMs: dur('health-interval'), timeoutMs: dur('health-timeout'), startPeriodMs: dur('health-start-period'), ...(retries !== undefined ? { retries: Number(retries) } : {}) };
}

function keyValues(list: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i < 1) throw new CliError(`invalid ${flag} ${JSON.stringify(kv)}: use KEY=VALUE`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** The spec fields of the flags above; `v` are parseArgs values. */
export function runFlagSpec(v: Record<string, unknown>, readFile: (f: string) => string): Partial<ContainerSpec> {
  const list = (k: string) => (v[k] as string[] | undefined) ?? [];
  const str = (k: string) => v[k] as string | undefined;
  const healthcheck = healthFlags(str);
  if (healthcheck && v['no-healthcheck']) throw new CliError('--no-healthcheck conflicts with --health-* options');
  const pull = str('pull');
  if (pull !== undefined && !['missing', 'always', 'never'].includes(pull)) throw new CliError(`invalid --pull ${JSON.stringify(pull)}: use missing, always or never`);
  const labels = list('label-file').flatMap((f) => {
    try {
      return readFile(f).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    } catch (e) {
      throw new CliError(`cannot read label file ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  });
  const mounts = [...list('tmpfs').map(parseTmpfs), ...list('mount').map(parseMount)];
  const sec = securityOpts(list('security-opt'), readFile);
  const out: Partial<ContainerSpec> = {
    ...(str('hostname') !== undefined ? { hostname: str('hostname') } : {}),
    ...(list('add-host').length ? { extraHosts: list('add-host') } : {}),
    ...(list('dns').length ? { dns: list('dns') } : {}),
    ...(list('dns-search').length ? { dnsSearch: list('dns-search') } : {}),
    ...(list('cap-add').length ? { capAdd: list('cap-add') } : {}),
    ...(list('cap-drop').length ? { capDrop: list('cap-drop') } : {}),
    ...(v.privileged ? { privileged: true } : {}),
    ...sec,
    ...(mounts.length ? { mounts } : {}),
    ...(list('ulimit').length ? { ulimits: list('ulimit').map(parseUlimit) } : {}),
    ...(str('shm-size') !== undefined ? { shmSize: dockerMemory(str('shm-size')!, '--shm-size') } : {}),
    ...(v['publish-all'] ? { publishAll: true } : {}),
    ...(list('expose').length ? { expose: list('expose') } : {}),
    ...(str('stop-signal') !== undefined ? { stopSignal: str('stop-signal') } : {}),
    ...(str('stop-timeout') !== undefined ? { stopTimeout: int(str('stop-timeout')!, '--stop-timeout') } : {}),
    ...(str('memory-swap') !== undefined ? { memorySwap: str('memory-swap') === '-1' ? -1 : dockerMemory(str('memory-swap')!, '--memory-swap') } : {}),
    ...(str('memory-reservation') !== undefined ? { memoryReservation: dockerMemory(str('memory-reservation')!, '--memory-reservation') } : {}),
    ...(str('cpu-shares') !== undefined ? { cpuShares: int(str('cpu-shares')!, '--cpu-shares') } : {}),
    ...(str('cpuset-cpus') !== undefined ? { cpusetCpus: str('cpuset-cpus') } : {}),
    ...(v['no-healthcheck'] ? { healthcheck: { test: ['NONE'] } } : healthcheck ? { healthcheck } : {}),
    ...(pull !== undefined ? { pull: pull as ContainerSpec['pull'] } : {}),
    ...(str('platform') !== undefined ? { platform: str('platform') } : {}),
    ...(list('group-add').length ? { groupAdd: list('group-add') } : {}),
    ...(list('sysctl').length ? { sysctls: keyValues(list('sysctl'), '--sysctl') } : {}),
    ...(list('device').length ? { devices: list('device').map(parseDevice) } : {}),
    ...(labels.length ? { labels: keyValues(labels, '--label-file') } : {}),
  };
  return out;
}
