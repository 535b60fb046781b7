// Reading a container's cgroup: usage for stats, the OOM-kill counter for exits. Works on v1
// (one hierarchy per controller, as on this host) and on v2 (one unified hierarchy).
import { readFile, readdir, rmdir } from 'node:fs/promises';
import path from 'node:path';

export type CgroupVersion = 1 | 2;

export interface CgroupSample {
  cpuUsageNs: number;
  memoryUsage: number;
  /** undefined when unlimited. */
  memoryLimit?: number;
  memoryPeak?: number;
  pids: number;
  oomKills: number;
}

const root = '/sys/fs/cgroup';
const v1Controllers = ['memory', 'cpu,cpuacct', 'cpu', 'cpuacct', 'pids', 'cpuset', 'blkio', 'freezer', 'devices', 'hugetlb', 'net_cls,net_prio', 'net_cls', 'net_prio', 'perf_event', 'rdma', 'misc', 'systemd', 'unified'];

/** v1 hierarchies mounted here: the fixed list plus whatever else is mounted (runc also uses `unified` on hybrid hosts). */
async function v1Hierarchies(): Promise<string[]> {
  const mounted = await readdir(root).catch(() => [] as string[]);
  return [...new Set([...v1Controllers, ...mounted])];
}

async function read(p: string): Promise<string | undefined> {
  try {
    return await readFile(p, 'utf8');
  } catch {
    return undefined;
  }
}

const num = (s: string | undefined): number | undefined => {
  if (s === undefined) return undefined;
  const t = s.trim();
  if (t === 'max' || t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
};

/** "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control) as a map. */
export function parseFlatKeyed(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && Number.isFinite(Number(v))) out[k] = Number(v);
  }
  return out;
}

/** v1 reports "unlimited" as a huge page-aligned number. */
const unlimitedV1 = (n: number | undefined): number | undefined => (n === undefined || n >= 2 ** 62 ? undefined : n);

export async function detectCgroupVersion(): Promise<CgroupVersion> {
  return (await read(path.join(root, 'cgroup.controllers'))) !== undefined ? 2 : 1;
}

export async function readCgroup(version: CgroupVersion, cgroupPath: string): Promise<CgroupSample | undefined> {
  if (version === 2) {
    const dir = path.join(root, cgroupPath);
    const [cpu, cur, max, peak, pids, events] = await Promise.all(['cpu.stat', 'memory.current', 'memory.max', 'memory.peak', 'pids.current', 'memory.events'].map((f) => read(path.join(dir, f))));
    if (cur === undefined && cpu === undefined) return undefined;
    const stat = parseFlatKeyed(await read(path.join(dir, 'memory.stat')));
    return {
      cpuUsageNs: (parseFlatKeyed(cpu).usage_usec ?? 0) * 1000,
      memoryUsage: Math.max(0, (num(cur) ?? 0) - (stat.inactive_file ?? 0)),
      memoryLimit: num(max),
      memoryPeak: num(peak),
      pids: num(pids) ?? 0,
      oomKills: parseFlatKeyed(events).oom_kill ?? 0,
    };
  }
  const m = (f: string) => read(path.join(root, 'memory', cgroupPath, f));
  const [usage, limit, peak, oom, stat, cpu, pids] = await Promise.all([
    m('memory.usage_in_bytes'),
    m('memory.limit_in_bytes'),
    m('memory.max_usage_in_bytes'),
    m('memory.oom_control'),
    m('memory.stat'),
    read(path.join(root, 'cpuacct', cgroupPath, 'cpuacct.usage')),
    read(path.join(root, 'pids', cgroupPath, 'pids.current')),
  ]);
  if (usage === undefined && cpu === undefined) return undefined;
  const st = parseFlatKeyed(stat);
  return {
    cpuUsageNs: num(cpu) ?? 0,
    // Like Docker, page cache that can be dropped does not count as usage.
    memoryUsage: Math.max(0, (num(usage) ?? 0) - (st.total_inactive_file ?? 0)),
    memoryLimit: unlimitedV1(num(limit)),
    memoryPeak: num(peak),
    pids: num(pids) ?? 0,
    oomKills: parseFlatKeyed(oom).oom_kill ?? 0,
  };
}

/** Directories (relative to the hierarchy) of the cgroups below `parent`, e.g. the ids of leftovers; v1: in any hierarchy. */
export async function listChildCgroups(version: CgroupVersion, parent: string): Promise<string[]> {
  const dirs = version === 2 ? [path.join(root, parent)] : (await v1Hierarchies()).map((h) => path.join(root, h, parent));
  const names = new Set<string>();
  for (const dir of dirs) for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) names.add(e.name);
  return [...names];
}

/** Removes an (empty) cgroup in every hierarchy; ignores what is absent. Returns what was removed. */
export async function removeCgroup(version: CgroupVersion, cgroupPath: string): Promise<string[]> {
  const dirs = version === 2 ? [path.join(root, cgroupPath)] : (await v1Hierarchies()).map((c) => path.join(root, c, cgroupPath));
  const removed: string[] = [];
  for (const d of dirs) {
    try {
      await rmdir(d);
      removed.push(d);
    } catch {
      /* absent, or a symlinked duplicate already removed */
    }
  }
  return removed;
}

/** Whether any hierarchy still has the cgroup (for residue checks). */
export async function cgroupExists(version: CgroupVersion, cgroupPath: string): Promise<string[]> {
  const dirs = version === 2 ? [path.join(root, cgroupPath)] : (await v1Hierarchies()).map((c) => path.join(root, c, cgroupPath));
  const found: string[] = [];
  for (const d of dirs) if ((await read(path.join(d, 'cgroup.procs'))) !== undefined) found.push(d);
  return found;
}

/**
 * The per-daemon parent cgroup is shared by every container: runc creates it and the container's
 * own cgroup in two mkdir steps, so an rmdir of the parent between them fails that create. Creates
 * hold the gate shared; the parent's removal runs only when no create holds it, and holds creates
 * off while it runs. A create in flight during a skipped removal either leaves a child (the parent
 * is in use) or fails and removes the parent in its own teardown.
 */
export class ParentCgroupGate {
  private creating = 0;
  private removing: Promise<void> | undefined;

  async creatingIn<T>(create: () => Promise<T>): Promise<T> {
    while (this.removing) await this.removing;
    this.creating++;
    try {
      return await create();
    } finally {
      this.creating--;
    }
  }

  async removeIfUnused(remove: () => Promise<unknown>): Promise<void> {
    if (this.creating || this.removing) return;
    this.removing = remove().then(() => undefined, () => undefined).finally(() => { this.removing = undefined; });
    await this.removing;
  }
}
