// What every part of the containers API shares: its dependencies, the table of entries, the
// per-container lock, persistence of records and their events. The parts build on this class in
// layers (exits, lifecycle, stop, adopt, then containers.ts), each in its own file.
import type { FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import type { ContainerInfo, ContainerNetworkApi } from '../../contracts/containers.js';
import type { ImagesApi } from '../../contracts/images.js';
import type { VolumesApi } from '../../contracts/volumes.js';
import type { EventBus } from '../../kernel/events.js';
import type { WorkloadTable } from '../../kernel/workloads.js';
import type { ContainerAdmission } from './admission.js';
import { ParentCgroupGate, type CgroupVersion } from './cgroups.js';
import { containerInfo, findEntry, withLock, type Entry } from './entries.js';
import type { ContainerRecord, RecordStore } from './records.js';
import type { Runc } from './runc.js';

export type ImagesPort = Pick<ImagesApi, 'get' | 'pull' | 'createRootfs' | 'removeRootfs' | 'listRootfs'>;

export interface ContainersDeps {
  runc: Runc;
  store: RecordStore;
  images: () => ImagesPort;
  network: () => ContainerNetworkApi;
  /** The volumes module, when loaded (named volumes need it). */
  volumes?: () => VolumesApi | undefined;
  workloads: WorkloadTable;
  admission: ContainerAdmission;
  events: EventBus;
  log: Logger;
  cgroupVersion: CgroupVersion;
  /** Per-daemon tag: cgroups live under /llmos/<tag>/. */
  tag: string;
  initBinary?: string;
  nofileHardLimit: number;
  hostMemory: number;
  /** CPUs of the host (the ceiling for --cpus); default: this process's available parallelism. */
  hostCpus?: number;
  now?: () => number;
}

/** States in which a container has (or is about to have) a process that will report an exit. */
export const activeStates: readonly string[] = ['starting', 'running', 'stopping'];

export abstract class ContainersCore {
  protected readonly entries = new Map<string, Entry>();
  protected watcher?: FSWatcher;
  protected readonly now: () => number;
  protected closed = false;
  /** Orders creates with the removal of the per-daemon parent cgroup. */
  protected readonly cgroupParent = new ParentCgroupGate();

  constructor(protected readonly d: ContainersDeps) {
    this.now = d.now ?? Date.now;
  }

  protected entry(idOrName: string): Entry {
    return findEntry(this.entries, idOrName);
  }

  /** Runs fn after every earlier operation on the same container. */
  protected locked<T>(e: Entry, fn: () => Promise<T>): Promise<T> {
    return withLock(e, fn);
  }

  protected save(rec: ContainerRecord): Promise<void> {
    return this.d.store.save(rec);
  }

  protected publish(topic: string, rec: ContainerRecord, message: string, data?: Record<string, unknown>): void {
    this.d.events.publish({ topic: `/containers/${topic}`, subject: `container/${rec.name}`, namespace: rec.namespace, message: `container ${rec.name} ${message}`, data: { id: rec.id, ...data } });
  }

  protected info(rec: ContainerRecord): ContainerInfo {
    return containerInfo(rec, this.now());
  }
}
