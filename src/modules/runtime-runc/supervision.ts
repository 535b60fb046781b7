// A container's supervisor (conmon) is what reports its exit. When conmon dies (kill -9, OOM) or
// runc's state of the container is lost, nothing would ever report that exit: the container
// would stay "running" or "stopping" forever while its process, conmon and cgroup live on,
// unknown to the daemon. These helpers detect that case through /proc and end what is left,
// without runc's help when runc no longer knows the container.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { faultPoint } from '../../kernel/faults.js';
import { cgroupExists, listChildCgroups, removeCgroup, type CgroupVersion } from './cgroups.js';
import { cgroupPids, conmonPid, conmonsOf, killCgroup, killProcess, waitFor } from './procs.js';
import type { Runc } from './runc.js';

export interface SupervisionDeps {
  runc: Runc;
  cgroupVersion: CgroupVersion;
  tag: string;
  log: Logger;
}

/**
 * Whether conmon still supervises the container (bundleDir holds its conmon.pid). Without a pid
 * file nothing is known, and a container is never ended on a guess: that counts as alive.
 */
export async function supervisorAlive(bundleDir: string, id: string): Promise<boolean> {
  const file = path.join(bundleDir, 'conmon.pid');
  if ((await readFile(file, 'utf8').catch(() => '')).trim() === '') return true;
  return (await conmonPid(file, id)) !== undefined;
}

/**
 * Ends everything of one container on the host: runc's state (which kills through runc when it
 * still knows the container), every process left in its cgroup, its conmon, and the cgroup.
 * Returns what it had to end beyond runc delete. Bounded: each kill waits with a deadline.
 */
export async function reapContainer(d: SupervisionDeps, id: string, cgroupsPath: string, bundleDir: string): Promise<string[]> {
  const ended: string[] = [];
  faultPoint('containers.reap.runc-delete');
  await d.runc.delete(id, true).catch((err) => d.log.warn({ err }, `runc delete ${id}`));
  faultPoint('containers.reap.cgroup-kill');
  const killed = await killCgroup(d.cgroupVersion, cgroupsPath);
  if (killed.length) ended.push(`process ${killed.join(', ')} of container ${id}`);
  const conmon = await conmonPid(path.join(bundleDir, 'conmon.pid'), id);
  if (conmon !== undefined) {
    faultPoint('containers.reap.conmon-kill');
    await killProcess(conmon);
    ended.push(`conmon ${conmon} of container ${id}`);
  }
  faultPoint('containers.reap.cgroup-remove');
  await removeCgroupBounded(d, cgroupsPath);
  return ended;
}

/** Kills what is left in the cgroup and removes it, retrying rmdir while killed processes finish exiting (bounded). */
export async function removeCgroupBounded(d: SupervisionDeps, cgroupsPath: string): Promise<number[]> {
  const killed = await killCgroup(d.cgroupVersion, cgroupsPath);
  const removed = await waitFor(async () => {
    await removeCgroup(d.cgroupVersion, cgroupsPath);
    return (await cgroupExists(d.cgroupVersion, cgroupsPath)).length === 0;
  }, 5000, 100);
  if (!removed) d.log.warn(`cgroup ${cgroupsPath} could not be removed`);
  return killed;
}

/** Whether any process still sits in the container's cgroup. */
export async function hasProcesses(d: SupervisionDeps, cgroupsPath: string): Promise<boolean> {
  return (await cgroupPids(d.cgroupVersion, cgroupsPath)).length > 0;
}

/**
 * Boot: conmons of this daemon and cgroups under /llmos/<tag>/ that no record owns, with every
 * process in them, are killed and removed. Returns what was found.
 */
export async function sweepOrphans(d: SupervisionDeps, keep: ReadonlySet<string>): Promise<string[]> {
  const found: string[] = [];
  for (const { pid, id } of await conmonsOf(d.runc.o.exitDir)) {
    if (keep.has(id)) continue;
    faultPoint('containers.boot.orphan-conmon');
    await killProcess(pid);
    found.push(`conmon ${pid} of unknown container ${id}`);
  }
  const parent = `/llmos/${d.tag}`;
  for (const id of await listChildCgroups(d.cgroupVersion, parent)) {
    if (keep.has(id)) continue;
    faultPoint('containers.boot.orphan-cgroup');
    const killed = await removeCgroupBounded(d, `${parent}/${id}`);
    found.push(`cgroup ${id}${killed.length ? ` with process ${killed.join(', ')}` : ''}`);
  }
  // The per-daemon parent goes when nothing is left in it (rmdir refuses otherwise).
  if (!keep.size) await removeCgroup(d.cgroupVersion, parent);
  return found;
}
