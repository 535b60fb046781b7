// Container records on disk, one directory per container (also its OCI bundle), so a restarted
// daemon can re-adopt what runs and report what ended while it was away.
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerSpec, NetworkAttachment } from '../../contracts/containers.js';
import type { WorkloadState } from '../../kernel/workloads.js';

export interface ContainerRecord {
  id: string;
  name: string;
  namespace: string;
  image: string;
  imageId: string;
  spec: ContainerSpec;
  state: WorkloadState;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  oomKilled: boolean;
  pid?: number;
  reason?: string;
  restartCount: number;
  backoffStep: number;
  /** A restart is scheduled for this time (ISO), after back-off. */
  restartAt?: string;
  stoppedByUser: boolean;
  rootfs: string;
  cgroupsPath: string;
  stopSignal: string;
  network?: NetworkAttachment;
  /** Set before a removal begins, so a crash half-way is finished at the next boot. */
  removing?: boolean;
  /** Intent log: set until create is done, so a create cut short by a crash is undone at boot. */
  creating?: boolean;
  /** Intent log: a bridge network may exist for this container (set before the netns is made). */
  networkIntent?: boolean;
  /** Named volumes it mounts: container path -> volume name (released at removal). */
  volumes?: Record<string, string>;
  paused?: boolean;
}

export class RecordStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return path.join(this.root, id);
  }

  file(id: string, name: string): string {
    return path.join(this.root, id, name);
  }

  async ensureDir(id: string): Promise<string> {
    await mkdir(this.dir(id), { recursive: true, mode: 0o700 });
    return this.dir(id);
  }

  /** Atomic replace: a crash never leaves half a record. */
  async save(rec: ContainerRecord): Promise<void> {
    const tmp = this.file(rec.id, 'record.json.tmp');
    // fsync before the rename: the record is the intent log, it must be on disk before the resource exists.
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(rec, null, 1));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file(rec.id, 'record.json'));
  }

  async loadAll(): Promise<{ records: ContainerRecord[]; strayDirs: string[] }> {
    await mkdir(this.root, { recursive: true });
    const records: ContainerRecord[] = [];
    const strayDirs: string[] = [];
    for (const id of await readdir(this.root)) {
      try {
        records.push(JSON.parse(await readFile(this.file(id, 'record.json'), 'utf8')) as ContainerRecord);
      } catch {
        strayDirs.push(id);
      }
    }
    return { records, strayDirs };
  }

  async removeDir(id: string): Promise<void> {
    await rm(this.dir(id), { recursive: true, force: true });
  }
}
