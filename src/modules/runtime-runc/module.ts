// Registration of the runc runtime: the containers API (kind llmos.containers.v1) on runc + conmon,
// with root filesystems from the images module and networks from the network module.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerNetworkApi, ContainersApi } from '../../contracts/containers.js';
import type { ImagesApi } from '../../contracts/images.js';
import { volumesKind, type VolumesApi } from '../../contracts/volumes.js';
import { Kinds } from '../../contracts/kinds.js';
import { InvalidArgument, SkipModule } from '../../kernel/errors.js';
import type { ModuleDef } from '../../kernel/module.js';
import { daemonTag } from '../../kernel/daemon-tag.js';
import { detectCgroupVersion } from './cgroups.js';
import { RuncContainerHealth as RuncContainers } from './health.js';
import { containerAdmission } from './admission.js';
import type { SchedulerApi } from '../../contracts/scheduler.js';
import { RecordStore } from './records.js';
import { Runc } from './runc.js';

export interface RuncConfig {
  /** conmon truncates a container's log past this size (bytes). */
  logSizeMax: number;
  /** How often to look for exits the file watcher missed (ms). */
  exitCheckMs: number;
}

/** The hard limit on open files of this process (the ceiling for containers' RLIMIT_NOFILE). */
export async function nofileHardLimit(): Promise<number> {
  const text = await readFile('/proc/self/limits', 'utf8').catch(() => '');
  const m = /^Max open files\s+\S+\s+(\S+)/m.exec(text);
  return m && m[1] !== 'unlimited' ? Number(m[1]) : 1_048_576;
}

export const runcContainersModule = (): ModuleDef<RuncConfig, RuncContainers> => {
  let stopPreemptions: (() => void) | undefined;
  // No scheduler loaded: plain ledger accounting.
  let scheduler: () => SchedulerApi | undefined = () => undefined;
  /** A higher-priority workload took this container's place: stop it (its record stays, as Kubernetes keeps an evicted pod). */
  const watchPreemptions = (api: RuncContainers): void => {
    stopPreemptions?.();
    stopPreemptions = scheduler()?.onPreempt(async (victim) => {
      if (victim.id.startsWith('container/')) await api.stop(victim.id.slice('container/'.length), { timeoutSeconds: 5 });
    });
  };
  return {
  kind: Kinds.containers,
  id: 'runc',
  description: 'containers on runc, supervised by conmon',
  requires: [Kinds.images, Kinds.network],
  // Admission and preemption go through the scheduler when it is loaded (see admission.ts).
  optional: [Kinds.scheduler, volumesKind],
  defaults: { logSizeMax: 50 * 2 ** 20, exitCheckMs: 2000 },
  validate(c) {
    if (!(c.logSizeMax >= 4096)) throw new InvalidArgument('logSizeMax must be at least 4096 bytes');
    if (!(c.exitCheckMs >= 100)) throw new InvalidArgument('exitCheckMs must be at least 100');
    return c;
  },
  async init(ctx) {
    if (!ctx.host.root) throw new SkipModule('containers need root (runc, cgroups, network namespaces)');
    const { runc, conmon, catatonit } = ctx.host.binaries;
    if (!runc.path) throw new SkipModule('runc is not installed');
    if (!conmon.path) throw new SkipModule('conmon is not installed');
    if (ctx.host.cgroup.version === 'none') throw new SkipModule('no cgroup hierarchy is mounted');
    const driver = new Runc({
      runc: runc.path,
      conmon: conmon.path,
      root: path.join(ctx.dir, 'runc'),
      exitDir: path.join(ctx.dir, 'exits'),
      socketDir: path.join(ctx.dir, 'sock'),
      logSizeMax: ctx.config.logSizeMax,
    });
    await driver.init();
    scheduler = () => ctx.getOptional<SchedulerApi>(Kinds.scheduler);
    const api = new RuncContainers({
      runc: driver,
      store: new RecordStore(path.join(ctx.dir, 'containers')),
      images: ctx.lookup<ImagesApi>(Kinds.images),
      network: ctx.lookup<ContainerNetworkApi>(Kinds.network),
      volumes: () => ctx.getOptional<VolumesApi>(volumesKind),
      workloads: ctx.workloads,
      admission: containerAdmission(ctx.ledger, scheduler),
      events: ctx.events,
      log: ctx.log,
      cgroupVersion: await detectCgroupVersion(),
      tag: daemonTag(ctx.dataDir),
      initBinary: catatonit.path ?? undefined,
      nofileHardLimit: await nofileHardLimit(),
      hostMemory: ctx.host.memoryBytes,
      hostCpus: ctx.host.cpus,
    });
    ctx.meta.exports.runc = runc.version;
    ctx.meta.exports.conmon = conmon.version;
    ctx.meta.exports.stateDir = ctx.dir;
    ctx.reconciler.register('containers/exits', () => api.reconcile(), ctx.config.exitCheckMs);
    return api;
  },
  async start(api) {
    await api.adopt();
    watchPreemptions(api);
  },
  // A scheduler loaded at run time gets the preemption handler; an unloaded one is let go.
  onDependencyLoaded(api, kind) {
    if (kind === Kinds.scheduler) watchPreemptions(api);
  },
  onDependencyUnloaded(_api, kind) {
    if (kind !== Kinds.scheduler) return;
    stopPreemptions?.();
    stopPreemptions = undefined;
  },
  stop(api) {
    stopPreemptions?.();
    stopPreemptions = undefined;
    // Containers keep running across a daemon restart; only our watchers stop.
    api.close();
  },
  };
};

export type { ContainersApi };
