// POST /containers/create: Docker's Config + HostConfig translated to an LLMOS ContainerSpec.
// The docker CLI and compose send every field with its zero value, so a field counts only when
// it is set to something else; a set field LLMOS cannot honour is a 400 naming it (never ignored).
import type { ContainerSpec, PortMapping, RestartPolicy, VolumeMount } from '../../contracts/containers.js';
import { applyExtra, configExtras, hostExtras, specHas, strMap } from './create-extra.js';
import { badParameter } from './errors.js';

type Obj = Record<string, unknown>;

/** Zero values as Go's encoder writes them (and compose's nulls). */
export function isDefault(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.every(isDefault);
  if (typeof v === 'object') return Object.values(v as Obj).every(isDefault);
  return false;
}

// Fields that say nothing LLMOS must act on (client-side attach wishes, image metadata, defaults
// spelled out). Values listed are the ones accepted; `true` accepts any.
const ignoredConfig: Record<string, true | unknown[]> = { AttachStdin: true, AttachStdout: true, AttachStderr: true, StdinOnce: true, ArgsEscaped: true, NetworkDisabled: [false], OnBuild: true, Shell: true, name: true }; // dockerode repeats the name query in the body
const ignoredHost: Record<string, true | unknown[]> = {
  ConsoleSize: true,
  ContainerIDFile: true, // --cidfile: the CLI writes the file itself

  MemorySwappiness: [-1],
  Isolation: ['default'],
  // LLMOS runs each container in its own cgroup namespace and IPC namespace: what these name.
  CgroupnsMode: ['private'],
  IpcMode: ['private', 'shareable'],
  PidMode: [''],
  UTSMode: [''],
  UsernsMode: [''],
  VolumeDriver: ['local'],
};
const handledConfig = new Set(['Image', 'Cmd', 'Entrypoint', 'Env', 'User', 'WorkingDir', 'Labels', 'Tty', 'OpenStdin', 'ExposedPorts', 'Volumes', 'StopTimeout']);
const handledHost = new Set(['Binds', 'Mounts', 'NetworkMode', 'PortBindings', 'PublishAllPorts', 'RestartPolicy', 'AutoRemove', 'Memory', 'NanoCpus', 'CpuQuota', 'CpuPeriod', 'PidsLimit', 'ReadonlyRootfs', 'Init', 'LogConfig']);

function refuseUnknown(o: Obj, where: string, handled: Set<string>, ignored: Record<string, true | unknown[]>, extras: Parameters<typeof applyExtra>[0], spec: Obj): void {
  for (const [k, v] of Object.entries(o)) {
    if (handled.has(k) || isDefault(v)) continue;
    const ok = Object.hasOwn(ignored, k) ? ignored[k] : undefined;
    if (ok === true || (Array.isArray(ok) && ok.includes(v))) continue;
    if (applyExtra(extras, k, v, where, spec)) continue;
    throw badParameter(`${where}.${k} is not supported by LLMOS`);
  }
}

const obj = (v: unknown, what: string): Obj => {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw badParameter(`${what} must be an object`);
  return v as Obj;
};
const str = (v: unknown, what: string): string | undefined => {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw badParameter(`${what} must be a string`);
  return v;
};
const strs = (v: unknown, what: string): string[] | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v]; // Docker's StrSlice takes a string too
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw badParameter(`${what} must be a list of strings`);
  return v as string[];
};
const int = (v: unknown, what: string): number | undefined => {
  if (v === undefined || v === null || v === 0) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw badParameter(`${what} must be a non-negative integer`);
  return v;
};

const nameRe = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export interface CreateOptions {
  /** Picks a free host port for `-p CONTAINERPORT` and -P (Docker chooses one too). */
  freePort(protocol: 'tcp' | 'udp'): Promise<number>;
}

export async function toContainerSpec(body: unknown, name: string | null, o: CreateOptions): Promise<ContainerSpec> {
  const c = obj(body, 'body');
  const h = obj(c.HostConfig, 'HostConfig');
  const extra: Obj = {};
  refuseUnknown(Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'HostConfig' && k !== 'NetworkingConfig')), 'Config', handledConfig, ignoredConfig, configExtras, extra);
  refuseUnknown(h, 'HostConfig', handledHost, ignoredHost, hostExtras, extra);
  const image = str(c.Image, 'Image');
  if (!image) throw badParameter('Config.Image is required');
  const spec = { image, ...extra } as ContainerSpec;
  // dockerd never pulls on create: a missing image is a 404 and the client pulls by its own
  // policy (the CLI's --pull, compose's pull_policy), then creates again.
  if (specHas('pull')) spec.pull = 'never';
  // docker run -t / -i (StdinOnce: stdin closes when the first attached client ends its input).
  if (c.Tty === true) spec.tty = true;
  if (c.OpenStdin === true) spec.openStdin = true;
  if (c.OpenStdin === true && c.StdinOnce === true) spec.stdinOnce = true;
  if (name) {
    if (!nameRe.test(name)) throw badParameter(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    spec.name = name.replace(/^\//, '');
  }
  const cmd = strs(c.Cmd, 'Cmd');
  if (cmd?.length) spec.cmd = cmd;
  const entrypoint = strs(c.Entrypoint, 'Entrypoint');
  // `--entrypoint ""` sends [""]: no entrypoint at all (and so no image Cmd either).
  if (entrypoint?.length) spec.entrypoint = entrypoint.length === 1 && entrypoint[0] === '' ? [] : entrypoint;
  const env = strs(c.Env, 'Env');
  if (env?.length) {
    spec.env = {};
    for (const e of env) {
      const i = e.indexOf('=');
      if (i <= 0) throw badParameter(`Env entry ${JSON.stringify(e)} is not KEY=VALUE`);
      spec.env[e.slice(0, i)] = e.slice(i + 1);
    }
  }
  const user = str(c.User, 'User');
  if (user) spec.user = user;
  const wd = str(c.WorkingDir, 'WorkingDir');
  if (wd) spec.workingDir = wd;
  const labels = c.Labels === undefined || c.Labels === null ? {} : strMap(c.Labels, 'Labels');
  if (Object.keys(labels).length) spec.labels = { ...labels };

  // `--stop-timeout 0` is a real value (no grace period): the CLI omits the field when unset.
  if (c.StopTimeout !== undefined && c.StopTimeout !== null) {
    if (!specHas('stopTimeout')) throw badParameter('Config.StopTimeout is not supported by LLMOS');
    if (typeof c.StopTimeout !== 'number' || !Number.isInteger(c.StopTimeout)) throw badParameter('Config.StopTimeout must be an integer');
    spec.stopTimeout = c.StopTimeout;
  }
  const log = obj(h.LogConfig, 'LogConfig');
  const logType = str(log.Type, 'LogConfig.Type');
  if (logType && logType !== 'json-file' && logType !== 'local') throw badParameter(`HostConfig.LogConfig.Type ${logType} is not supported by LLMOS (it keeps logs itself)`);
  if (!isDefault(log.Config)) throw badParameter(`HostConfig.LogConfig.Config (--log-opt ${Object.keys(obj(log.Config, 'LogConfig.Config')).join(', ')}) is not supported by LLMOS (it keeps logs itself)`);
  const named: unknown[] = [];
  const volumes = [...binds(strs(h.Binds, 'Binds') ?? [], named), ...mounts(h.Mounts, named)];
  // `-v /path` (an anonymous volume): Config.Volumes names the target; a bind or mount there wins.
  for (const target of Object.keys(obj(c.Volumes, 'Volumes'))) {
    if (!specHas('mounts')) throw badParameter('Config.Volumes (anonymous volumes) is not supported by LLMOS');
    if (!target.startsWith('/')) throw badParameter(`Config.Volumes ${JSON.stringify(target)}: the path must be absolute`);
    const taken = volumes.some((v) => v.containerPath === target) || named.some((m) => (m as { target: string }).target === target);
    if (!taken) named.push({ type: 'volume', target });
  }
  if (named.length) (spec as { mounts?: unknown[] }).mounts = [...((spec as { mounts?: unknown[] }).mounts ?? []), ...named];
  if (volumes.length) spec.volumes = volumes;
  Object.assign(spec, networkMode(str(h.NetworkMode, 'NetworkMode'), obj(c.NetworkingConfig, 'NetworkingConfig')));
  const exposed = Object.keys(obj(c.ExposedPorts, 'ExposedPorts'));
  for (const e of exposed) if (!/^\d{1,5}(\/(tcp|udp))?$/.test(e)) throw badParameter(`invalid exposed port ${JSON.stringify(e)} (tcp or udp)`);
  // -P publishes the image's exposed ports too, which only the runtime knows: it chooses their
  // host ports at create (the contract's publishAll); --expose ports are kept for inspect.
  const runtimePublishes = specHas('publishAll') && specHas('expose');
  if (runtimePublishes && exposed.length) spec.expose = exposed;
  if (runtimePublishes && h.PublishAllPorts === true) spec.publishAll = true;
  else if (h.PublishAllPorts === true && !specHas('publishAll')) throw badParameter('HostConfig.PublishAllPorts (-P) is not supported by LLMOS');
  const ports = await portBindings(obj(h.PortBindings, 'PortBindings'), [], o);
  if (ports.length) spec.ports = ports;
  const restart = restartPolicy(obj(h.RestartPolicy, 'RestartPolicy'));
  if (restart) spec.restart = restart;
  if (h.AutoRemove === true) spec.autoRemove = true;
  const memory = int(h.Memory, 'Memory');
  if (memory) spec.memory = memory;
  const nano = int(h.NanoCpus, 'NanoCpus');
  const quota = int(h.CpuQuota, 'CpuQuota');
  if (nano) spec.cpus = nano / 1e9;
  else if (quota) spec.cpus = quota / (int(h.CpuPeriod, 'CpuPeriod') ?? 100_000);
  else if (!isDefault(h.CpuPeriod)) throw badParameter('HostConfig.CpuPeriod without CpuQuota (--cpu-period alone) is not supported by LLMOS: use --cpus');
  const pids = typeof h.PidsLimit === 'number' && h.PidsLimit > 0 ? int(h.PidsLimit, 'PidsLimit') : undefined;
  if (pids) spec.pidsLimit = pids;
  if (h.ReadonlyRootfs === true) spec.readOnly = true;
  if (h.Init === true) spec.init = true;
  return spec;
}

function binds(list: string[], named: unknown[]): VolumeMount[] {
  return list.flatMap((b) => {
    const [src, dst, opts, ...more] = b.split(':');
    if (!src || !dst || more.length) throw badParameter(`invalid bind ${JSON.stringify(b)}: expected SOURCE:TARGET[:OPTIONS]`);
    const flags = opts ? opts.split(',') : [];
    for (const f of flags) if (!['ro', 'rw', 'z', 'Z', 'rprivate', 'private', 'nocopy'].includes(f)) throw badParameter(`bind ${JSON.stringify(b)}: option ${f} is not supported by LLMOS`);
    // nocopy skips the copy-up of a new volume, which LLMOS always does.
    if (flags.includes('nocopy')) throw badParameter(`bind ${JSON.stringify(b)}: option nocopy is not supported by LLMOS (a new volume is always filled from the image)`);
    if (!src.startsWith('/')) {
      if (!specHas('mounts')) throw badParameter(`bind ${JSON.stringify(b)}: named volumes are not supported by LLMOS's Docker API yet`);
      named.push({ type: 'volume', source: src, target: dst, readOnly: flags.includes('ro') });
      return [];
    }
    return [{ hostPath: src, containerPath: dst, readOnly: flags.includes('ro') }];
  });
}

function mounts(v: unknown, named: unknown[]): VolumeMount[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw badParameter('HostConfig.Mounts must be a list');
  return v.flatMap((m: unknown, i) => {
    const o = obj(m, `Mounts[${i}]`);
    const where = `HostConfig.Mounts[${i}]`;
    // Options LLMOS cannot honour are refused by name (Consistency is a macOS hint: ignored as dockerd does on Linux).
    for (const [k, x] of Object.entries(o)) if (!['Type', 'Source', 'Target', 'ReadOnly', 'Consistency', 'BindOptions', 'VolumeOptions', 'TmpfsOptions'].includes(k) && !isDefault(x)) throw badParameter(`${where}.${k} is not supported by LLMOS`);
    const bind = obj(o.BindOptions, 'BindOptions');
    const prop = str(bind.Propagation, 'BindOptions.Propagation');
    if (prop && prop !== 'rprivate' && prop !== 'private') throw badParameter(`${where}: bind-propagation=${prop} is not supported by LLMOS (rprivate only)`);
    for (const [k, x] of Object.entries(bind)) if (k !== 'Propagation' && !isDefault(x)) throw badParameter(`${where}.BindOptions.${k} is not supported by LLMOS`);
    for (const [k, x] of Object.entries(obj(o.VolumeOptions, 'VolumeOptions'))) if (!isDefault(x)) throw badParameter(`${where}.VolumeOptions.${k} (${k === 'NoCopy' ? 'volume-nocopy' : k === 'Labels' ? 'volume-label' : 'volume-driver/opt'}) is not supported by LLMOS`);
    const tmpfs = obj(o.TmpfsOptions, 'TmpfsOptions');
    for (const [k, x] of Object.entries(tmpfs)) if (k !== 'SizeBytes' && k !== 'Mode' && !isDefault(x)) throw badParameter(`${where}.TmpfsOptions.${k} is not supported by LLMOS`);
    if ((o.Type === 'volume' || o.Type === 'tmpfs') && specHas('mounts')) {
      const target = str(o.Target, 'Target');
      if (!target) throw badParameter(`${where} needs a Target`);
      const size = tmpfs.SizeBytes;
      const mode = tmpfs.Mode;
      if (o.Type === 'volume' && !isDefault(tmpfs)) throw badParameter(`${where}: tmpfs options on a volume mount`);
      if (mode !== undefined && mode !== null && mode !== 0 && (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o7777)) throw badParameter(`${where}.TmpfsOptions.Mode must be a file mode`);
      named.push({
        type: o.Type,
        ...(o.Type === 'volume' && str(o.Source, 'Source') ? { source: o.Source } : {}),
        target,
        readOnly: o.ReadOnly === true,
        ...(typeof size === 'number' && size > 0 ? { tmpfsSize: size } : {}),
        // The API carries Go's os.FileMode: the permission bits are the low 12.
        ...(typeof mode === 'number' && mode > 0 ? { tmpfsMode: mode & 0o7777 } : {}),
      });
      return [];
    }
    const type = str(o.Type, `${where}.Type`);
    if (type !== 'bind') throw badParameter(`${where}.Type ${type ?? '(none)'} is not supported by LLMOS (bind, volume, tmpfs)`);
    if (!isDefault(tmpfs)) throw badParameter(`${where}: tmpfs options on a bind mount`);
    const src = str(o.Source, 'Source');
    const dst = str(o.Target, 'Target');
    if (!src?.startsWith('/') || !dst) throw badParameter(`${where} needs an absolute Source and a Target`);
    return [{ hostPath: src, containerPath: dst, readOnly: o.ReadOnly === true }];
  });
}

function networkMode(mode: string | undefined, nc: Obj): Pick<ContainerSpec, 'network' | 'userNetwork' | 'networkAliases'> {
  const m = !mode || mode === 'default' ? 'bridge' : mode;
  if (m.startsWith('container:')) throw badParameter(`network ${m}: sharing another container's network is not supported by LLMOS`);
  const eps = obj(nc.EndpointsConfig, 'EndpointsConfig');
  for (const k of Object.keys(eps)) if (k !== m && !(m === 'bridge' && k === 'default')) throw badParameter(`network ${k}: a container is created on one network (its NetworkMode ${m}); connect others after`);
  const ep = obj(eps[m], `EndpointsConfig.${m}`);
  const ipam = ep.IPAMConfig && typeof ep.IPAMConfig === 'object' ? (ep.IPAMConfig as Obj) : {};
  if (ipam.IPv4Address || ipam.IPv6Address) throw badParameter('--ip is not supported by LLMOS (addresses come from the network)');
  const aliases = Array.isArray(ep.Aliases) ? (ep.Aliases as unknown[]).map(String) : [];
  if (m === 'bridge' || m === 'host' || m === 'none') {
    if (aliases.length) throw badParameter('network aliases need a user-defined network');
    return { network: m };
  }
  return { userNetwork: m, ...(aliases.length ? { networkAliases: [...new Set(aliases)] } : {}) };
}

async function portBindings(pb: Obj, publishAll: string[], o: CreateOptions): Promise<PortMapping[]> {
  const out: PortMapping[] = [];
  const keys = new Set([...Object.keys(pb), ...publishAll]);
  for (const key of keys) {
    const m = /^(\d+)(?:\/(tcp|udp))?$/.exec(key);
    if (!m) throw badParameter(`invalid port ${JSON.stringify(key)} (sctp and ranges are not supported)`);
    const containerPort = Number(m[1]);
    const protocol = (m[2] ?? 'tcp') as 'tcp' | 'udp';
    const list = Array.isArray(pb[key]) && (pb[key] as unknown[]).length ? (pb[key] as unknown[]) : [{}];
    for (const b of list) {
      const e = obj(b, `PortBindings[${key}]`);
      const hostIp = str(e.HostIp, 'HostIp');
      const hp = str(e.HostPort, 'HostPort');
      if (hp !== undefined && !/^\d+$/.test(hp)) throw badParameter(`invalid host port ${JSON.stringify(hp)} (ranges are not supported)`);
      const hostPort = hp ? Number(hp) : await o.freePort(protocol);
      out.push({ hostPort, containerPort, protocol, ...(hostIp && hostIp !== '0.0.0.0' ? { hostIp } : {}) });
    }
  }
  return out;
}

function restartPolicy(rp: Obj): RestartPolicy | undefined {
  const name = str(rp.Name, 'RestartPolicy.Name');
  if (!name || name === 'no') return undefined;
  // LLMOS's `always` does not restart a container its user stopped: Docker's unless-stopped.
  if (name === 'always' || name === 'unless-stopped') return { name: 'always' };
  if (name === 'on-failure') {
    const n = int(rp.MaximumRetryCount, 'MaximumRetryCount');
    return n ? { name: 'on-failure', maxRetries: n } : { name: 'on-failure' };
  }
  throw badParameter(`invalid restart policy ${name}`);
}
