// Host processes of containers, seen through /proc and the cgroup filesystem: whether a
// container's supervisor (conmon) still lives, which processes sit in a container's cgroup, and
// killing them all when runc no longer knows the container (its state dir was removed, or a
// crashed run left the cgroup behind). Every wait here has a deadline.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { CgroupVersion } from './cgroups.js';

const cgroupRoot = '/sys/fs/cgroup';

async function cmdline(pid: number): Promise<string[] | undefined> {
  const text = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : text.split('\0').filter(Boolean);
}

/** Whether the process is gone or a zombie (a dead supervisor nobody reaped yet counts as dead). */
export async function processGone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return true;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}

/** The pid of the conmon supervising container `id`, from its pid file, checked against its command line (pid reuse). */
export async function conmonPid(pidFile: string, id: string): Promise<number | undefined> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const args = await cmdline(pid);
  if (!args || !path.basename(args[0] ?? '').startsWith('conmon')) return undefined;
  return args.includes(id) ? pid : undefined;
}

/** conmon processes whose exit dir is `exitDir` (this daemon's), with the container id each supervises. */
export async function conmonsOf(exitDir: string): Promise<Array<{ pid: number; id: string }>> {
  const out: Array<{ pid: number; id: string }> = [];
  for (const p of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(p)) continue;
    const args = await cmdline(Number(p));
    if (!args || !path.basename(args[0] ?? '').startsWith('conmon')) continue;
    const i = args.indexOf('--exit-dir');
    const c = args.indexOf('-c');
    if (i < 0 || args[i + 1] !== exitDir || c < 0 || !args[c + 1]) continue;
    if (!(await processGone(Number(p)))) out.push({ pid: Number(p), id: args[c + 1]! });
  }
  return out;
}

/** Cgroup directories of `cgroupPath` holding processes (v1: every hierarchy that has it). */
async function cgroupDirs(version: CgroupVersion, cgroupPath: string): Promise<string[]> {
  if (version === 2) return [path.join(cgroupRoot, cgroupPath)];
  const hierarchies = await readdir(cgroupRoot).catch(() => [] as string[]);
  return hierarchies.map((h) => path.join(cgroupRoot, h, cgroupPath));
}

/** Pids in the cgroup and below it, in any hierarchy. */
export async function cgroupPids(version: CgroupVersion, cgroupPath: string): Promise<number[]> {
  const pids = new Set<number>();
  const walk = async (dir: string, depth: number): Promise<void> => {
    const procs = await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => undefined);
    if (procs === undefined) return;
    for (const l of procs.split('\n')) if (/^\d+$/.test(l.trim())) pids.add(Number(l.trim()));
    if (depth > 8) return;
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) await walk(path.join(dir, e.name), depth + 1);
  };
  for (const d of await cgroupDirs(version, cgroupPath)) await walk(d, 0);
  return [...pids];
}

/** Polls `done` until it holds or the deadline passes; returns whether it held. */
export async function waitFor(done: () => Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await done()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function kill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** SIGKILLs every process in the cgroup until it is empty (bounded); returns the pids killed. */
export async function killCgroup(version: CgroupVersion, cgroupPath: string, timeoutMs = 10_000): Promise<number[]> {
  const killed = new Set<number>();
  await waitFor(async () => {
    const pids = await cgroupPids(version, cgroupPath);
    for (const p of pids) {
      kill(p, 'SIGKILL');
      killed.add(p);
    }
    // Zombies still count in cgroup.procs until reaped by their parent; they hold nothing.
    return (await Promise.all(pids.map(processGone))).every(Boolean);
  }, timeoutMs, 100);
  return [...killed];
}

/** SIGKILLs a process and waits (bounded) until it is gone. */
export async function killProcess(pid: number, timeoutMs = 5000): Promise<boolean> {
  kill(pid, 'SIGKILL');
  return waitFor(() => processGone(pid), timeoutMs);
}
