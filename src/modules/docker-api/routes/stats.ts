// Stats (Docker's JSON from the runtime's cgroup figures, one-shot or a stream every second) and
// top (`ps` on the host, rows kept for the container's cgroup PIDs, as dockerd does).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { promisify } from 'node:util';
import type { ContainerInfo, ContainerStats } from '../../../contracts/containers.js';
import { qbool } from '../call.js';
import type { DockerDeps } from '../deps.js';
import { badParameter, DockerError, orNoSuch } from '../errors.js';
import type { Router } from '../router.js';
import { dockerState } from '../shapes.js';
import { ID } from './containers.js';

const run = promisify(execFile);

/** The host's CPU time in nanoseconds from /proc/stat (Docker's system_cpu_usage). */
async function systemCpuNs(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const ticks = line.trim().split(/\s+/).slice(1, 8).map(Number).reduce((a, b) => a + b, 0);
  return ticks * (1e9 / 100); // USER_HZ is 100 on Linux
}

interface Sample {
  at: Date;
  stats: ContainerStats;
  system: number;
}

const cpuStats = (s: Sample | undefined, cpus: number) => ({
  cpu_usage: { total_usage: s?.stats.cpuUsageNs ?? 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
  system_cpu_usage: s?.system ?? 0,
  online_cpus: s ? cpus : 0,
  throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
});

export function dockerStats(c: ContainerInfo, now: Sample, pre: Sample | undefined, cpus: number, hostMemory: number): Record<string, unknown> {
  return {
    read: now.at.toISOString(),
    preread: pre?.at.toISOString() ?? '0001-01-01T00:00:00Z',
    pids_stats: { current: now.stats.pids, ...(c.spec.pidsLimit ? { limit: c.spec.pidsLimit } : {}) },
    blkio_stats: { io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(now, cpus),
    precpu_stats: cpuStats(pre, cpus),
    memory_stats: { usage: now.stats.memoryUsage, ...(now.stats.memoryPeak ? { max_usage: now.stats.memoryPeak } : {}), stats: {}, limit: now.stats.memoryLimit || hostMemory },
    name: `/${c.name}`,
    id: c.id,
  };
}

/** The container's PIDs from its cgroup (v2, else the v1 pids or memory hierarchy). */
async function cgroupPids(c: ContainerInfo): Promise<Set<number>> {
  const p = c.cgroupPath;
  if (!p) return new Set(c.pid ? [c.pid] : []);
  for (const base of ['/sys/fs/cgroup', '/sys/fs/cgroup/pids', '/sys/fs/cgroup/memory']) {
    try {
      return new Set((await readFile(`${base}${p}/cgroup.procs`, 'utf8')).split('\n').filter(Boolean).map(Number));
    } catch {
      /* not this hierarchy */
    }
  }
  return new Set(c.pid ? [c.pid] : []);
}

export function statsRoutes(r: Router, d: DockerDeps): void {
  const sample = async (id: string): Promise<Sample> => ({ at: new Date(), stats: await d.containers().stats(id), system: await systemCpuNs() });

  r.on('GET', `/containers/${ID}/stats`, async (c) => {
    const info = await orNoSuch('container', c.params.id!, () => d.containers().inspect(c.params.id!));
    const stream = qbool(c, 'stream', true);
    const oneShot = qbool(c, 'one-shot');
    const cpus = d.host.cpus;
    const running = () => dockerState(info) === 'running';
    if (!running()) {
      // Docker answers a stopped container with zeroed figures.
      const zero: Sample = { at: new Date(), stats: { id: info.id, name: info.name, cpuPercent: 0, cpuUsageNs: 0, memoryUsage: 0, memoryLimit: 0, pids: 0 }, system: 0 };
      return c.json(200, dockerStats(info, zero, undefined, 0, 0));
    }
    let pre = oneShot ? undefined : await sample(info.id);
    if (!stream) {
      if (pre) await delay(500, c.signal);
      return c.json(200, dockerStats(info, await sample(info.id), pre, cpus, os.totalmem()));
    }
    const out = c.stream(200, 'application/json');
    while (!c.signal.aborted) {
      await delay(1000, c.signal);
      if (c.signal.aborted) break;
      let now: Sample;
      try {
        now = await sample(info.id);
      } catch {
        break; // the container ended or went away: Docker ends the stream too
      }
      out.write(JSON.stringify(dockerStats(info, now, pre, cpus, os.totalmem())) + '\n');
      pre = now;
    }
    out.end();
  });

  r.on('GET', `/containers/${ID}/top`, async (c) => {
    const info = await orNoSuch('container', c.params.id!, () => d.containers().inspect(c.params.id!));
    if (dockerState(info) !== 'running') throw new DockerError(409, `Container ${info.id} is not running`);
    const remote = await d.containers().nodeTop?.(info.id);
    if (remote) {
      if ((c.query.get('ps_args') || '-ef') !== '-ef') throw badParameter(`ps_args ${c.query.get('ps_args')}: a container on another node is listed by its node, as ps -ef`);
      return c.json(200, { Titles: remote.titles, Processes: remote.processes });
    }
    const args = (c.query.get('ps_args') || '-ef').split(/\s+/).filter(Boolean);
    if (!args.every((a) => /^[-a-zA-Z0-9,=:%]+$/.test(a))) throw badParameter(`invalid ps_args ${c.query.get('ps_args')}`);
    const pids = await cgroupPids(info);
    let stdout: string;
    try {
      ({ stdout } = await run('ps', args, { maxBuffer: 16 * 2 ** 20 }));
    } catch (e) {
      throw badParameter(`ps ${args.join(' ')} failed: ${(e as { stderr?: string }).stderr?.trim() || String(e)}`);
    }
    const [head, ...rows] = stdout.split('\n').filter(Boolean);
    const titles = head!.trim().split(/\s+/);
    const pidCol = titles.indexOf('PID');
    if (pidCol < 0) throw badParameter(`ps ${args.join(' ')} shows no PID column`);
    const processes = rows
      .map((l) => {
        const f = l.trim().split(/\s+/);
        // The last column (the command) keeps its spaces.
        return [...f.slice(0, titles.length - 1), f.slice(titles.length - 1).join(' ')];
      })
      .filter((f) => pids.has(Number(f[pidCol])));
    c.json(200, { Titles: titles, Processes: processes });
  });
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
