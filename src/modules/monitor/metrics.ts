// Prometheus metrics with the conventional names of cAdvisor (container_*) and node_exporter
// (node_*), filled from the latest sample when scraped.
import { Counter, Gauge, Registry } from 'prom-client';
import type { MetricsSnapshot } from '../../contracts/monitor.js';

export function createRegistry(latest: () => MetricsSnapshot | undefined, extra: { evictions: () => number; allocatable: () => Record<string, number>; allocated: () => Record<string, number> }): Registry {
  const registry = new Registry();
  const wl = ['id', 'name', 'namespace', 'type'] as const;
  const labelsOf = (w: MetricsSnapshot['workloads'][number]) => ({ id: w.id, name: w.name, namespace: w.namespace, type: w.type });
  // Each metric is rebuilt from the snapshot on scrape, so removed workloads disappear.
  const gauge = (name: string, help: string, labelNames: readonly string[], fill: (g: Gauge, s: MetricsSnapshot) => void) =>
    new Gauge({
      name, help, labelNames, registers: [registry],
      collect() {
        this.reset();
        const s = latest();
        if (s) fill(this, s);
      },
    });
  const counter = (name: string, help: string, labelNames: readonly string[], fill: (c: Counter, s: MetricsSnapshot) => void) =>
    new Counter({
      name, help, labelNames, registers: [registry],
      collect() {
        // Absolute counter values read from the kernel: reset, then add the current total.
        this.reset();
        const s = latest();
        if (s) fill(this, s);
      },
    });

  counter('container_cpu_usage_seconds_total', 'Cumulative CPU time consumed by the container, seconds.', wl, (c, s) => s.workloads.forEach((w) => c.inc(labelsOf(w), w.cpuSecondsTotal)));
  gauge('container_memory_usage_bytes', 'Memory in use by the container (without inactive page cache), bytes.', wl, (g, s) => s.workloads.forEach((w) => g.set(labelsOf(w), w.memoryUsage)));
  gauge('container_memory_working_set_bytes', 'Working set of the container, bytes.', wl, (g, s) => s.workloads.forEach((w) => g.set(labelsOf(w), w.memoryUsage)));
  gauge('container_memory_max_usage_bytes', 'Peak memory use of the container, bytes.', wl, (g, s) => s.workloads.forEach((w) => w.memoryPeak !== undefined && g.set(labelsOf(w), w.memoryPeak)));
  gauge('container_spec_memory_limit_bytes', 'Memory limit of the container, bytes (absent when unlimited).', wl, (g, s) => s.workloads.forEach((w) => w.memoryLimit !== undefined && g.set(labelsOf(w), w.memoryLimit)));
  gauge('container_processes', 'Processes (PIDs) in the container.', wl, (g, s) => s.workloads.forEach((w) => g.set(labelsOf(w), w.pids)));
  counter('container_oom_events_total', 'OOM kills inside the container.', wl, (c, s) => s.workloads.forEach((w) => c.inc(labelsOf(w), w.oomKills)));

  counter('node_cpu_seconds_total', 'CPU time by mode, summed over CPUs, seconds.', ['mode'], (c, s) => Object.entries(s.node.cpuSecondsTotal).forEach(([mode, v]) => c.inc({ mode }, v)));
  gauge('node_memory_MemTotal_bytes', 'Memory total, bytes.', [], (g, s) => g.set(s.node.memTotal));
  gauge('node_memory_MemAvailable_bytes', 'Memory available, bytes.', [], (g, s) => g.set(s.node.memAvailable));
  gauge('node_filesystem_size_bytes', 'Size of the filesystem holding the data dir, bytes.', ['mountpoint'], (g, s) => g.set({ mountpoint: s.node.dataDir }, s.node.diskSize));
  gauge('node_filesystem_avail_bytes', 'Space available to LLMOS on the filesystem holding the data dir, bytes.', ['mountpoint'], (g, s) => g.set({ mountpoint: s.node.dataDir }, s.node.diskAvail));

  gauge('llmos_data_dir_bytes', 'Bytes the LLMOS data dir takes on disk.', ['path'], (g, s) => s.node.dataDirBytes !== undefined && g.set({ path: s.node.dataDir }, s.node.dataDirBytes));
  new Gauge({ name: 'llmos_node_allocatable', help: 'Allocatable resources (cpu millicores, memory bytes, pids).', labelNames: ['resource'], registers: [registry], collect() { this.reset(); for (const [r, v] of Object.entries(extra.allocatable())) this.set({ resource: r }, v); } });
  new Gauge({ name: 'llmos_node_allocated', help: 'Resources allocated to workloads (requests).', labelNames: ['resource'], registers: [registry], collect() { this.reset(); for (const [r, v] of Object.entries(extra.allocated())) this.set({ resource: r }, v); } });
  new Counter({ name: 'llmos_evictions_total', help: 'Workloads evicted under memory pressure.', registers: [registry], collect() { this.reset(); this.inc(extra.evictions()); } });
  return registry;
}
