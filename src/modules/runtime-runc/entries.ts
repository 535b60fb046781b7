// The in-memory table of containers: one entry per record, found by name, id or unique id prefix,
// with a per-container lock so operations on one container run one after another.
import { Mutex } from 'async-mutex';
import type { ContainerInfo } from '../../contracts/containers.js';
import { InvalidArgument, NotFound } from '../../kernel/errors.js';
import type { ContainerRecord } from './records.js';
import { statusText } from './status.js';

export interface Entry {
  rec: ContainerRecord;
  waiters: Array<(r: { exitCode: number; oomKilled: boolean }) => void>;
  restartTimer?: NodeJS.Timeout;
  /** Log followers still reading: auto-removal waits for them. */
  holds: number;
  removeWhenReleased?: boolean;
  lastSample?: { t: number; cpu: number };
  lock: Mutex;
  /** Wakes log followers at once when the container exits (instead of at their next poll). */
  wakers?: Set<() => void>;
}

export function newEntry(rec: ContainerRecord): Entry {
  return { rec, waiters: [], holds: 0, lock: new Mutex() };
}

/** A name first, then an exact id, then an id prefix of at least 3 characters that is unique. */
export function findEntry(entries: Map<string, Entry>, idOrName: string): Entry {
  const byName = [...entries.values()].find((e) => e.rec.name === idOrName);
  if (byName) return byName;
  const exact = entries.get(idOrName);
  if (exact) return exact;
  const prefixed = idOrName.length >= 3 ? [...entries.values()].filter((e) => e.rec.id.startsWith(idOrName)) : [];
  if (prefixed.length === 1) return prefixed[0]!;
  if (prefixed.length > 1) throw new InvalidArgument(`container id prefix ${idOrName} is ambiguous`);
  throw new NotFound(`no such container: ${idOrName}`);
}

/** Runs fn after every earlier operation on the same container (whether that one failed or not). */
export function withLock<T>(e: Entry, fn: () => Promise<T>): Promise<T> {
  return e.lock.runExclusive(fn);
}

export function containerInfo(rec: ContainerRecord, now: number): ContainerInfo {
  return {
    id: rec.id,
    name: rec.name,
    image: rec.image,
    imageId: rec.imageId,
    namespace: rec.namespace,
    owner: rec.spec.owner,
    state: rec.state,
    status: statusText(rec, now),
    exitCode: rec.exitCode,
    oomKilled: rec.oomKilled,
    reason: rec.reason,
    pid: rec.state === 'running' || rec.state === 'stopping' ? rec.pid : undefined,
    ip: rec.network?.ip,
    ports: rec.spec.ports ?? [],
    createdAt: rec.createdAt,
    startedAt: rec.startedAt,
    finishedAt: rec.finishedAt,
    restartCount: rec.restartCount,
    labels: rec.spec.labels ?? {},
    spec: rec.spec,
    cgroupPath: rec.cgroupsPath,
    ...(rec.paused && rec.state === 'running' ? { paused: true } : {}),
  };
}
