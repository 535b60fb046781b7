// Node samples from procfs and statfs: CPU time by mode (summed over CPUs), memory total and
// available, and the filesystem holding the data dir. Parsers are pure; readNode does the I/O.
import { execFile } from 'node:child_process';
import { readFile, statfs } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Bytes the data dir takes on disk (du, one filesystem), or undefined when du fails. */
export async function dirBytes(dir: string): Promise<number | undefined> {
  try {
    const { stdout } = await run('du', ['-s', '-x', '-B1', dir], { timeout: 30_000 });
    const n = Number(stdout.split(/\s/)[0]);
    return Number.isFinite(n) ? n : undefined;
  } catch (e) {
    // du exits 1 when a file vanished mid-walk (containers come and go) but still prints the total.
    const out = (e as { stdout?: string }).stdout;
    const n = out ? Number(out.split(/\s/)[0]) : NaN;
    return Number.isFinite(n) ? n : undefined;
  }
}

export interface NodeSample {
  /** Seconds of CPU time since boot by mode, summed over CPUs (node_cpu_seconds_total). */
  cpuSeconds: Record<string, number>;
  cpus: number;
  memTotal: number;
  memAvailable: number;
  disk: { path: string; size: number; avail: number };
}

const modes = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

/** /proc/stat "cpuN user nice system idle ..." lines in USER_HZ (100 per second on Linux). */
export function parseProcStat(text: string, hz = 100): { cpuSeconds: Record<string, number>; cpus: number } {
  const cpuSeconds: Record<string, number> = Object.fromEntries(modes.map((m) => [m, 0]));
  let cpus = 0;
  for (const line of text.split('\n')) {
    if (!/^cpu\d+ /.test(line)) continue;
    cpus++;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    modes.forEach((m, i) => (cpuSeconds[m]! += f[i] ?? 0));
  }
  // Sum ticks first, then convert once, so totals do not pick up floating-point noise.
  for (const m of modes) cpuSeconds[m] = cpuSeconds[m]! / hz;
  return { cpuSeconds, cpus };
}

/** /proc/meminfo values in bytes. */
export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?/.exec(line);
    if (m) out[m[1]!] = Number(m[2]) * (line.includes('kB') ? 1024 : 1);
  }
  return out;
}

export async function readNode(dataDir: string): Promise<NodeSample> {
  const [stat, mem, fs] = await Promise.all([readFile('/proc/stat', 'utf8'), readFile('/proc/meminfo', 'utf8'), statfs(dataDir)]);
  const { cpuSeconds, cpus } = parseProcStat(stat);
  const m = parseMeminfo(mem);
  return {
    cpuSeconds,
    cpus,
    memTotal: m.MemTotal ?? 0,
    memAvailable: m.MemAvailable ?? m.MemFree ?? 0,
    disk: { path: dataDir, size: fs.blocks * fs.bsize, avail: fs.bavail * fs.bsize },
  };
}

/** CPU busy fraction (0..1) between two samples: 1 - idle delta / total delta. */
export function cpuBusy(prev: Record<string, number>, cur: Record<string, number>): number {
  let total = 0;
  let idle = 0;
  for (const m of modes) {
    const d = (cur[m] ?? 0) - (prev[m] ?? 0);
    total += d;
    if (m === 'idle' || m === 'iowait') idle += d;
  }
  return total > 0 ? Math.min(1, Math.max(0, 1 - idle / total)) : 0;
}
