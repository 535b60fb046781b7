// Registration of the monitor module: samples the node (procfs, statfs) and every running
// container's cgroup on a period, keeps time series in bounded memory (and their downsampled
// part in the store), serves Prometheus metrics, and evicts under memory pressure in QoS order.
import { Kinds } from '../../contracts/kinds.js';
import type { ContainersApi, ContainerUsageApi } from '../../contracts/containers.js';
import type { StateStore } from '../../contracts/state-store.js';
import { InvalidArgument, Unavailable, errorMessage } from '../../kernel/errors.js';
import type { ModuleDef } from '../../kernel/module.js';
import { effectiveRequests, qosClass } from '../../policies/qos.js';
import { parseMemory } from '../../kernel/quantity.js';
import type { MetricsSnapshot, MonitorApi, WorkloadMetrics } from '../../contracts/monitor.js';
import { decideEviction } from './eviction.js';
import { createRegistry } from './metrics.js';
import { cpuBusy, dirBytes, readNode, type NodeSample } from './node-sample.js';
import { SeriesStore, type Bucket } from './series.js';

export interface MonitorConfig {
  periodMs: number;
  /** Full-resolution points kept per series (360 at 10 s = 1 hour). */
  recentPoints: number;
  bucketMs: number;
  /** Downsampled buckets kept per series (1440 one-minute buckets = 1 day). */
  buckets: number;
  /** How often the downsampled series are written to the store. */
  persistMs: number;
  /** How often the data dir's own size is measured (du walks it, so less often than samples). */
  diskUsageMs: number;
  eviction: {
    enabled: boolean;
    /** Evict while less than this much memory is available (node MemAvailable, or allocatable minus use). "100Mi" or bytes. */
    memoryAvailable: string | number;
  };
}

const seriesPrefix = '/monitor/series/';

interface Prev {
  t: number;
  cpuNs: number;
  oomKills: number;
}

export const monitorModule = (): ModuleDef<MonitorConfig, MonitorApi> => ({
  kind: Kinds.monitor,
  id: 'cgroups',
  description: 'metrics from cgroups and procfs: time series, Prometheus /metrics, eviction under memory pressure',
  requires: [Kinds.stateStore],
  // Containers are listed from the workload table and sampled (and evicted) through the containers module.
  optional: [Kinds.containers],
  defaults: { periodMs: 10_000, recentPoints: 360, bucketMs: 60_000, buckets: 1440, persistMs: 300_000, diskUsageMs: 60_000, eviction: { enabled: true, memoryAvailable: '100Mi' } },
  validate(cfg) {
    if (!(cfg.periodMs >= 200)) throw new InvalidArgument('monitor periodMs must be >= 200');
    if (!(cfg.recentPoints >= 2 && cfg.buckets >= 1 && cfg.bucketMs >= cfg.periodMs)) throw new InvalidArgument('monitor recentPoints >= 2, buckets >= 1 and bucketMs >= periodMs');
    parseMemory(cfg.eviction.memoryAvailable);
    return cfg;
  },
  async init(ctx) {
    const store = ctx.getSingle<StateStore>(Kinds.stateStore);
    // The containers module may be unloaded at run time: looked up per sample.
    const containers = (): (ContainersApi & Partial<ContainerUsageApi>) | undefined => ctx.getOptional<ContainersApi & Partial<ContainerUsageApi>>(Kinds.containers);
    const cfg = ctx.config;
    const threshold = parseMemory(cfg.eviction.memoryAvailable);
    const series = new SeriesStore({ recentPoints: cfg.recentPoints, bucketMs: cfg.bucketMs, buckets: cfg.buckets });
    const prev = new Map<string, Prev>();
    let prevNode: NodeSample | undefined;
    let latest: MetricsSnapshot | undefined;
    let evictions = 0;
    let dataDirBytes: number | undefined;
    const evicting = new Set<string>();

    for (const kv of (await store.list<{ name: string; labels: Record<string, string>; buckets: Bucket[] }>(seriesPrefix)).items) {
      series.restore(kv.value.name, kv.value.labels, kv.value.buckets);
    }

    async function sampleWorkloads(now: number): Promise<WorkloadMetrics[]> {
      const out: WorkloadMetrics[] = [];
      const source = containers();
      if (!source?.usage) return out;
      const live = ctx.workloads.list().filter((w) => w.type === 'container' && (w.state === 'running' || w.state === 'starting' || w.state === 'stopping'));
      await Promise.all(
        live.map(async (w) => {
          const s = await source.usage!(w.id).catch(() => undefined);
          if (!s) return;
          const p = prev.get(w.id);
          const cpuCores = p && now > p.t ? Math.max(0, (s.cpuUsageNs - p.cpuNs) / 1e6 / (now - p.t)) : 0;
          if (p && s.oomKills > p.oomKills)
            ctx.events.publish({ topic: '/monitor/oom', subject: `container/${w.name}`, namespace: w.namespace, message: `container ${w.name}: ${s.oomKills - p.oomKills} process(es) killed by the OOM killer (memory limit ${s.memoryLimit ?? 'none'})`, data: { id: w.id, oomKills: s.oomKills } });
          prev.set(w.id, { t: now, cpuNs: s.cpuUsageNs, oomKills: s.oomKills });
          const priority = typeof (w as { priority?: number }).priority === 'number' ? (w as { priority?: number }).priority! : Number(w.labels['llmos.priority'] ?? 0) || 0;
          out.push({
            id: w.id, name: w.name, type: w.type, namespace: w.namespace,
            qos: qosClass(w.requests, w.limits), priority,
            cpuCores: Math.round(cpuCores * 1000) / 1000, cpuSecondsTotal: s.cpuUsageNs / 1e9,
            memoryUsage: s.memoryUsage, memoryPeak: s.memoryPeak, memoryLimit: s.memoryLimit, memoryRequest: effectiveRequests(w.requests, w.limits).memory,
            pids: s.pids, oomKills: s.oomKills,
          });
        }),
      );
      for (const id of prev.keys()) if (!live.some((w) => w.id === id)) prev.delete(id);
      return out.sort((a, b) => a.name.localeCompare(b.name));
    }

    async function sample(): Promise<MetricsSnapshot> {
      const now = Date.now();
      const [node, workloads] = await Promise.all([readNode(ctx.dataDir), sampleWorkloads(now)]);
      const used = workloads.reduce((s, w) => s + w.memoryUsage, 0);
      const snap: MetricsSnapshot = {
        time: new Date(now).toISOString(),
        node: {
          cpus: node.cpus,
          cpuBusy: prevNode ? Math.round(cpuBusy(prevNode.cpuSeconds, node.cpuSeconds) * 1000) / 1000 : 0,
          cpuSecondsTotal: node.cpuSeconds,
          memTotal: node.memTotal,
          memAvailable: node.memAvailable,
          allocatableMemoryAvailable: ctx.ledger.allocatable().memory - used,
          dataDir: ctx.dataDir,
          diskSize: node.disk.size,
          diskAvail: node.disk.avail,
          dataDirBytes,
        },
        workloads,
      };
      prevNode = node;
      latest = snap;
      series.add('node_cpu_busy_ratio', {}, now, snap.node.cpuBusy);
      series.add('node_memory_MemAvailable_bytes', {}, now, snap.node.memAvailable);
      series.add('node_filesystem_avail_bytes', {}, now, snap.node.diskAvail);
      for (const w of workloads) {
        const l = { id: w.id, name: w.name, namespace: w.namespace };
        series.add('container_cpu_usage_cores', l, now, w.cpuCores);
        series.add('container_memory_usage_bytes', l, now, w.memoryUsage);
        series.add('container_processes', l, now, w.pids);
      }
      if (cfg.eviction.enabled) await evictIfPressed(snap);
      return snap;
    }

    async function evictIfPressed(snap: MetricsSnapshot): Promise<void> {
      const available = Math.min(snap.node.memAvailable, snap.node.allocatableMemoryAvailable);
      const candidates = snap.workloads.filter((w) => !evicting.has(w.id)).map((w) => ({ id: w.id, subject: `container/${w.name}`, namespace: w.namespace, qos: w.qos, priority: w.priority, memoryRequest: w.memoryRequest, memoryUsage: w.memoryUsage }));
      const d = decideEviction({ available, threshold }, candidates);
      if (!d.evict) return;
      // One eviction per round, as the kubelet does: the next sample shows whether it was enough.
      const victim = d.evict;
      evicting.add(victim.id);
      evictions++;
      ctx.events.publish({ topic: '/monitor/evicted', subject: victim.subject, namespace: victim.namespace, message: d.reason, data: { id: victim.id, qos: victim.qos, memoryUsage: victim.memoryUsage, available, threshold } });
      ctx.log.warn(d.reason);
      try {
        const c = containers();
        if (!c) throw new Unavailable('the containers module is not loaded');
        await c.stop(victim.id, { timeoutSeconds: 0 });
      } catch (e) {
        ctx.log.warn({ err: e }, `eviction of ${victim.subject} failed: ${errorMessage(e)}`);
      } finally {
        evicting.delete(victim.id);
      }
    }

    async function persist(): Promise<void> {
      for (const s of series.find()) await store.put(seriesPrefix + s.key, { name: s.name, labels: s.labels, buckets: s.series.snapshot() });
    }

    const unsubscribe = ctx.events.subscribe('/workloads/removed', (e) => {
      const name = e.subject?.split('/')[1];
      if (!name) return;
      for (const s of series.find(undefined, { name })) void store.delete(seriesPrefix + s.key).catch(() => undefined);
      series.drop({ name });
    });
    ctx.reconciler.register('monitor/sample', async () => void (await sample()), cfg.periodMs);
    ctx.reconciler.register('monitor/persist', persist, cfg.persistMs);
    const measureDisk = async () => {
      dataDirBytes = await dirBytes(ctx.dataDir);
      if (dataDirBytes !== undefined) series.add('llmos_data_dir_bytes', {}, Date.now(), dataDirBytes);
    };
    ctx.reconciler.register('monitor/disk-usage', measureDisk, cfg.diskUsageMs);
    // The first du once boot is over (one fork less before the API answers); within 30 s if loaded later.
    const firstDisk = setTimeout(() => void measureDisk(), 30_000).unref();
    const offBooted = ctx.events.subscribe('/kernel/booted', () => {
      offBooted();
      clearTimeout(firstDisk);
      void measureDisk();
    });

    const registry = createRegistry(() => latest, {
      evictions: () => evictions,
      allocatable: () => ({ ...ctx.ledger.allocatable() }),
      allocated: () => ({ ...ctx.ledger.allocated() }),
    });
    ctx.meta.exports.periodMs = cfg.periodMs;
    ctx.meta.exports.evictionThreshold = cfg.eviction.enabled ? String(cfg.eviction.memoryAvailable) : 'disabled';
    const api: MonitorApi & { stopMonitor(): Promise<void> } = {
      latest: () => latest,
      sampleNow: sample,
      series: (f = {}) => series.find(f.name, f.labels).map(({ key, name, labels }) => ({ key, name, labels })),
      query: (name, labels, range = {}) => series.get(name, labels)?.query(range.from, range.to) ?? [],
      registry,
      createSeriesStore: (limits) => new SeriesStore(limits),
      async stopMonitor() {
        unsubscribe();
        ctx.reconciler.unregister('monitor/sample');
        ctx.reconciler.unregister('monitor/persist');
        ctx.reconciler.unregister('monitor/disk-usage');
        await persist().catch(() => undefined);
      },
    };
    // A first sample right away (not awaited: boot does not wait for it), so `llmos top` has data before the first period ends.
    void sample().catch((e) => ctx.log.warn({ err: e }, `first sample failed: ${errorMessage(e)}`));
    return api;
  },
  stop: (api) => (api as MonitorApi & { stopMonitor(): Promise<void> }).stopMonitor(),
});
