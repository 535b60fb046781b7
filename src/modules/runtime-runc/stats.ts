// `stats` of a running container from its cgroup: CPU % needs two samples, so the previous one is
// kept on the caller's entry (and a second is taken when there is no recent first).
import type { ContainerStats } from '../../contracts/containers.js';
import { NotFound } from '../../kernel/errors.js';
import { readCgroup, type CgroupVersion } from './cgroups.js';
import type { ContainerRecord } from './records.js';

export async function sampleStats(d: { cgroupVersion: CgroupVersion; hostMemory: number }, rec: ContainerRecord, e: { lastSample?: { t: number; cpu: number } }): Promise<ContainerStats> {
  const base = { id: rec.id, name: rec.name };
  if (rec.state !== 'running' && rec.state !== 'stopping') return { ...base, cpuPercent: 0, cpuUsageNs: 0, memoryUsage: 0, memoryLimit: rec.spec.memory ?? d.hostMemory, pids: 0 };
  let s = await readCgroup(d.cgroupVersion, rec.cgroupsPath);
  if (!s) throw new NotFound(`cgroup of container ${rec.name} not found`);
  let t = performance.now();
  // CPU % needs two samples; take a second one when there is no recent first.
  if (!e.lastSample || t - e.lastSample.t > 30_000) {
    e.lastSample = { t, cpu: s.cpuUsageNs };
    await new Promise((r) => setTimeout(r, 200));
    s = (await readCgroup(d.cgroupVersion, rec.cgroupsPath)) ?? s;
    t = performance.now();
  }
  const dt = (t - e.lastSample.t) * 1e6;
  const cpuPercent = dt > 0 ? Math.max(0, ((s.cpuUsageNs - e.lastSample.cpu) / dt) * 100) : 0;
  e.lastSample = { t, cpu: s.cpuUsageNs };
  return { ...base, cpuPercent: Math.round(cpuPercent * 100) / 100, cpuUsageNs: s.cpuUsageNs, memoryUsage: s.memoryUsage, memoryLimit: s.memoryLimit ?? d.hostMemory, memoryPeak: s.memoryPeak, pids: s.pids };
}
