// _ping, version, info, events (a stream of Docker-shaped events from the kernel's event bus).
import os from 'node:os';
import type { LlmosEvent } from '../../../contracts/system.js';
import { qfilters, type Call } from '../call.js';
import type { DockerDeps } from '../deps.js';
import { badParameter } from '../errors.js';
import { API_VERSION, MIN_API_VERSION, type Router } from '../router.js';
import { dockerState } from '../shapes.js';

const goArch = (a: string) => ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' })[a] ?? a;

export function systemRoutes(r: Router, d: DockerDeps): void {
  const ping = async (c: Call) => {
    const h = { 'cache-control': 'no-cache, no-store, must-revalidate', pragma: 'no-cache' };
    if (c.method === 'HEAD') return c.empty(200, { ...h, 'content-type': 'text/plain; charset=utf-8' });
    const s = c.stream(200, 'text/plain; charset=utf-8', h);
    s.end('OK');
  };
  r.on(['GET', 'HEAD'], '/_ping', ping);

  r.on('GET', '/version', async (c) => {
    const v = { Version: d.version, ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, GitCommit: 'llmos', GoVersion: `node${process.versions.node}`, Os: 'linux', Arch: goArch(process.arch), KernelVersion: os.release(), BuildTime: '' };
    c.json(200, { Platform: { Name: 'LLMOS' }, Components: [{ Name: 'Engine', Version: d.version, Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: v.Arch } }], ...v });
  });

  r.on('GET', '/info', async (c) => {
    const ctrs = await d.containers().list({ all: true });
    const states = ctrs.map(dockerState);
    const images = await d.images().list();
    const h = d.host;
    c.json(200, {
      ID: `llmos-${os.hostname()}`,
      Containers: ctrs.length,
      ContainersRunning: states.filter((s) => s === 'running').length,
      ContainersPaused: 0,
      ContainersStopped: states.filter((s) => s !== 'running').length,
      Images: images.length,
      Driver: h.overlayfs ? 'overlay2' : 'vfs',
      DriverStatus: [],
      Plugins: { Volume: [], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
      MemoryLimit: true,
      SwapLimit: false,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      PidsLimit: true,
      IPv4Forwarding: true,
      Debug: false,
      NFd: 0,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: 'json-file',
      CgroupDriver: 'cgroupfs',
      CgroupVersion: h.cgroup.version === 2 ? '2' : '1',
      NEventsListener: 0,
      KernelVersion: h.kernel,
      OperatingSystem: 'LLMOS',
      OSType: 'linux',
      OSVersion: '',
      Architecture: os.machine(),
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: { AllowNondistributableArtifactsCIDRs: [], AllowNondistributableArtifactsHostnames: [], InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: {}, Mirrors: [] },
      NCPU: h.cpus,
      MemTotal: h.memoryBytes,
      DockerRootDir: d.dataDir,
      Name: os.hostname(),
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: d.version,
      Runtimes: { runc: { path: h.binaries.runc.path ?? 'runc' } },
      DefaultRuntime: 'runc',
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: 'catatonit',
      ContainerdCommit: { ID: '', Expected: '' },
      RuncCommit: { ID: h.binaries.runc.version ?? '', Expected: '' },
      InitCommit: { ID: '', Expected: '' },
      SecurityOptions: ['name=seccomp,profile=default'],
      Warnings: [],
    });
  });

  r.on('GET', '/events', async (c) => {
    const f = qfilters(c);
    const since = timeQuery(c, 'since');
    const until = timeQuery(c, 'until');
    const out = c.stream(200, 'application/json');
    const send = (e: LlmosEvent) => {
      const de = toDockerEvent(e);
      if (!de || !matches(de, f)) return;
      if (since !== undefined && de.time < since) return;
      if (until !== undefined && de.time > until) return;
      out.write(JSON.stringify(de) + '\n');
    };
    if (since !== undefined) for (const e of d.recentEvents()) send(e);
    if (until !== undefined && until <= Date.now() / 1000) return void out.end();
    const off = d.subscribe(send);
    const timer = until !== undefined ? setTimeout(() => out.end(), (until - Date.now() / 1000) * 1000) : undefined;
    await new Promise<void>((resolve) => {
      c.signal.addEventListener('abort', () => resolve(), { once: true });
      out.once('finish', () => resolve());
    });
    off();
    clearTimeout(timer);
  });
}

function timeQuery(c: Call, name: string): number | undefined {
  const v = c.query.get(name);
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw badParameter(`invalid ${name} ${v}`);
  return t / 1000;
}

interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
  status?: string;
  id?: string;
  from?: string;
}

/** /containers/die -> {Type: container, Action: die}; image pulls and removals likewise. */
export function toDockerEvent(e: LlmosEvent): DockerEvent | undefined {
  const m = /^\/(containers|images)\/([a-z-]+)$/.exec(e.topic);
  if (!m) return undefined;
  const type = m[1] === 'containers' ? 'container' : 'image';
  const id = String(e.data?.id ?? e.subject?.split('/').slice(1).join('/') ?? '');
  const name = e.subject?.split('/').slice(1).join('/') ?? '';
  const t = Date.parse(e.time);
  const attrs: Record<string, string> = { name };
  if (e.data?.exitCode !== undefined) attrs.exitCode = String(e.data.exitCode);
  return { Type: type, Action: m[2]!, Actor: { ID: id, Attributes: attrs }, scope: 'local', time: Math.floor(t / 1000), timeNano: t * 1e6, status: m[2], id, from: name };
}

function matches(e: DockerEvent, f: Record<string, string[]>): boolean {
  const any = (k: string, v: string | undefined) => !f[k]?.length || (v !== undefined && f[k]!.includes(v));
  return any('type', e.Type) && any('event', e.Action) && (!f.container?.length || f.container.some((x) => x === e.Actor.ID || x === e.Actor.Attributes.name || e.Actor.ID.startsWith(x)));
}
