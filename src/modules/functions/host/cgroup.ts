// The cgroup of a function-host process (v1 here: memory, cpu, pids hierarchies; v2 when unified),
// under /llmos-functions/<tag>/ beside the containers' /llmos/. Limits are set before the process
// is moved in; the directory goes when the host has exited.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { faultPoint } from '../../../kernel/faults.js';

const ROOT = '/sys/fs/cgroup';

export interface HostLimits {
  memoryBytes: number;
  /** CPU cores (CFS quota over a 100 ms period). */
  cpus: number;
  pids: number;
}

const v2 = () => existsSync(path.join(ROOT, 'cgroup.controllers'));

/** The directories of one host's cgroup, one per hierarchy (v1) or one (v2). */
export function cgroupDirs(tag: string, key: string): string[] {
  const rel = path.join('llmos-functions', tag, key);
  return v2() ? [path.join(ROOT, rel)] : ['memory', 'cpu', 'pids'].map((c) => path.join(ROOT, c, rel));
}

/**
 * Makes the cgroup with its limits and moves `pid` in; throws when cgroups cannot be written.
 * `moveCharge`: the process ran in another cgroup (pre-spawned): its memory charge comes along (v1).
 */
export async function joinCgroup(tag: string, key: string, pid: number, l: HostLimits, moveCharge = false): Promise<void> {
  faultPoint('functions.host.cgroup');
  const period = 100_000;
  const quota = Math.max(1000, Math.round(l.cpus * period));
  if (v2()) {
    const dir = cgroupDirs(tag, key)[0]!;
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'memory.max'), String(l.memoryBytes));
    await writeFile(path.join(dir, 'memory.swap.max'), '0').catch(() => undefined);
    await writeFile(path.join(dir, 'cpu.max'), `${quota} ${period}`);
    await writeFile(path.join(dir, 'pids.max'), String(l.pids));
    await writeFile(path.join(dir, 'cgroup.procs'), String(pid));
    return;
  }
  const [mem, cpu, pids] = cgroupDirs(tag, key) as [string, string, string];
  for (const d of [mem, cpu, pids]) await mkdir(d, { recursive: true });
  await writeFile(path.join(mem, 'memory.limit_in_bytes'), String(l.memoryBytes));
  await writeFile(path.join(mem, 'memory.memsw.limit_in_bytes'), String(l.memoryBytes)).catch(() => undefined); // no swap escape, where accounted
  await writeFile(path.join(cpu, 'cpu.cfs_period_us'), String(period));
  await writeFile(path.join(cpu, 'cpu.cfs_quota_us'), String(quota));
  await writeFile(path.join(pids, 'pids.max'), String(l.pids));
  if (moveCharge) await writeFile(path.join(mem, 'memory.move_charge_at_immigrate'), '3').catch(() => undefined); // deprecated in newer kernels: best effort
  for (const d of [mem, cpu, pids]) await writeFile(path.join(d, 'cgroup.procs'), String(pid));
}

/** Removes a host's cgroup (after its process exited); a missing one is fine. */
export async function removeCgroup(tag: string, key: string): Promise<void> {
  faultPoint('functions.host.cgroup-remove');
  for (const d of cgroupDirs(tag, key)) await rmdir(d).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
}

/** Removes the daemon's own directory (after its hosts' cgroups went). */
export async function removeTagDir(tag: string): Promise<void> {
  for (const base of cgroupDirs(tag, 'x').map(path.dirname)) await rmdir(base).catch(() => undefined); // gone, or a host still in it
}

/** Removes the empty cgroups a previous run of this daemon left (it was killed before removing them). */
export async function sweepCgroups(tag: string): Promise<void> {
  for (const base of cgroupDirs(tag, 'x').map(path.dirname)) {
    const names = await readdir(base).catch(() => [] as string[]);
    for (const n of names) await rmdir(path.join(base, n)).catch(() => undefined); // busy: still has a process
  }
}
