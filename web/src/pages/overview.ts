// Overview: node capacity and use, workloads, functions, the boot timeline, modules (load/unload)
// and the live event feed.
import { get, post, ApiError, type ApiAnswer } from '../api.js';
import { barChart, timeChart } from '../chart.js';
import { badge, bytes, card, clock, h, meter, ms, render, stat, table, toast } from '../dom.js';
import { recentEvents, throttle, type LlmosEvent } from '../live.js';
import { failure, load, type Page } from '../page.js';
import { Series } from '../ring.js';

// Allocation sampled by the page, kept for the life of the tab; shown when no monitor is loaded.
const alloc = new Series(['CPU allocated', 'memory allocated'], 7200);

// Answers as the API's OpenAPI document declares them (api-schema.gen.ts).
type KernelStatus = ApiAnswer<'/v1/status'>;
type ModuleStatus = ApiAnswer<'/v1/modules/{name}/load', 'post'>;
type Snapshot = ApiAnswer<'/v1/metrics'>;

/**
 * Node use over time from the monitor's own history (GET /v1/metrics/query), which it downsamples
 * as it ages: hours of data arrive as a bounded number of points and survive page reloads.
 */
async function nodeUseHistory(memTotal: number): Promise<Series> {
  const q = (name: string) => get<ApiAnswer<'/v1/metrics/query'>>(`/v1/metrics/query?name=${encodeURIComponent(name)}`);
  const [cpu, mem] = await Promise.all([q('node_cpu_busy_ratio'), q('node_memory_MemAvailable_bytes')]);
  const byT = new Map<number, [number | null, number | null]>();
  for (const p of cpu.points) byT.set(p.t, [round1(p.v * 100), null]);
  for (const p of mem.points) (byT.get(p.t) ?? byT.set(p.t, [null, null]).get(p.t)!)[1] = round1((1 - p.v / memTotal) * 100);
  const s = new Series(['CPU busy', 'memory used'], Math.max(1, byT.size));
  for (const [t, v] of [...byT.entries()].sort((a, b) => a[0] - b[0])) s.push(t / 1000, v);
  return s;
}

export const overviewPage: Page = (ctx) => {
  const stats = h('div', { class: 'stats' });
  const boot = h('div');
  // The chart is rebuilt when its source changes (monitor history or page-sampled allocation), so
  // the legend names what is drawn.
  let useChart = timeChart(alloc, { units: ['%', '%'], height: 220 });
  let useMode: 'alloc' | 'use' = 'alloc';
  const useTitle = h('h2', null, 'Node allocation over time');
  const useBox = h('div', null, useChart.el);
  const showUse = (mode: 'alloc' | 'use', series: Series) => {
    if (mode === useMode) return useChart.replace(series);
    useChart.destroy();
    useChart = timeChart(series, { units: ['%', '%'], height: 220 });
    useMode = mode;
    render(useBox, useChart.el);
    useTitle.textContent = mode === 'use' ? 'Node use over time' : 'Node allocation over time (load the monitor for actual use)';
  };
  const modules = h('div');
  const workloads = h('div');
  const functions = h('div');
  const events = h('div', { class: 'events' });
  ctx.root.append(
    stats,
    h('div', { class: 'grid' }, h('div', { class: 'span-6 card' }, h('h2', null, 'Boot timeline'), boot), h('div', { class: 'span-6 card' }, useTitle, useBox)),
    h('div', { class: 'grid' }, h('div', { class: 'span-12' }, card('Modules', modules))),
    h('div', { class: 'grid' }, h('div', { class: 'span-12' }, card('Running workloads', workloads))),
    h('div', { class: 'grid' }, h('div', { class: 'span-12' }, card('Functions', functions))),
    h('div', { class: 'grid' }, h('div', { class: 'span-12' }, card('Recent events', events))),
  );
  ctx.cleanup(() => useChart.destroy());

  let bootDrawn = false;
  let bootChart: ReturnType<typeof barChart> | null = null;
  ctx.cleanup(() => bootChart?.destroy());

  let histAt = 0;
  let lastSnap: Snapshot | null = null;
  const refreshStatus = async () => {
    let s: KernelStatus;
    try {
      s = await get<KernelStatus>('/v1/status');
    } catch (e) {
      failure(stats, e, 'Node status');
      return;
    }
    if (!ctx.alive()) return;
    const n = s.node;
    const cpuPct = n.allocatable.cpu ? (n.allocated.cpu / n.allocatable.cpu) * 100 : 0;
    const memPct = n.allocatable.memory ? (n.allocated.memory / n.allocatable.memory) * 100 : 0;
    if (Date.now() / 1000 - (alloc.last() ?? 0) >= 2.5) alloc.push(Date.now() / 1000, [round1(cpuPct), round1(memPct)]);
    // Actual use from the monitor when it is loaded; otherwise the chart shows allocation.
    let snap: Snapshot | null = null;
    try {
      snap = lastSnap = await get<Snapshot>('/v1/metrics');
      if (Date.now() - histAt > 9000) {
        histAt = Date.now();
        showUse('use', await nodeUseHistory(snap.node.memTotal));
      }
    } catch {
      showUse('alloc', alloc);
      histAt = 0;
    }
    if (!ctx.alive()) return;
    const running = s.workloads.byState.running ?? 0;
    const loaded = s.modules.filter((m) => m.state === 'loaded').length;
    render(
      stats,
      snap
        ? stat('CPU use', `${(snap.node.cpuBusy * 100).toFixed(1)}%`, [meter(snap.node.cpuBusy, 1), `of ${snap.node.cpus} cores · ${(n.allocated.cpu / 1000).toFixed(2)} of ${(n.allocatable.cpu / 1000).toFixed(2)} allocated`])
        : stat('CPU allocated', `${(n.allocated.cpu / 1000).toFixed(2)} / ${(n.allocatable.cpu / 1000).toFixed(2)}`, [meter(n.allocated.cpu, n.allocatable.cpu), `cores of allocatable (capacity ${n.capacity.cpu / 1000})`]),
      snap
        ? stat('Memory use', bytes(snap.node.memTotal - snap.node.memAvailable), [meter(snap.node.memTotal - snap.node.memAvailable, snap.node.memTotal), `of ${bytes(snap.node.memTotal)} · ${bytes(n.allocated.memory)} of ${bytes(n.allocatable.memory)} allocated`])
        : stat('Memory allocated', bytes(n.allocated.memory), [meter(n.allocated.memory, n.allocatable.memory), `of ${bytes(n.allocatable.memory)} allocatable (capacity ${bytes(n.capacity.memory)})`]),
      snap ? stat('Disk', bytes(snap.node.diskSize - snap.node.diskAvail), [meter(snap.node.diskSize - snap.node.diskAvail, snap.node.diskSize), `of ${bytes(snap.node.diskSize)} (data dir)`]) : null,
      stat('Workloads', `${running}`, `running of ${s.workloads.total} (${Object.entries(s.workloads.byState).map(([k, v]) => `${v} ${k}`).join(', ') || 'none'})`),
      stat('Modules', `${loaded}`, `loaded of ${s.modules.length}`),
      stat('Boot', ms(s.boot.totalMs), `LLMOS ${s.version}, up ${uptime(s.uptimeSeconds)}`),
    );
    if (!bootDrawn && s.boot.stages.length) {
      bootDrawn = true;
      const chart = (bootChart = barChart(
        s.boot.stages.map((x) => x.stage),
        s.boot.stages.map((x) => x.durationMs),
        { units: ' ms', label: 'duration' },
      ));
      render(
        boot,
        h('div', { class: 'boot-chart', 'data-stages': s.boot.stages.length }, chart.el),
        table(s.boot.stages, [
          { header: '#', cell: (x) => s.boot.stages.indexOf(x) + 1 },
          { header: 'Stage', cell: (x) => h('span', { class: 'mono' }, x.stage) },
          { header: 'Start', cell: (x) => ms(x.startMs), align: 'right' },
          { header: 'Duration', cell: (x) => ms(x.durationMs), align: 'right' },
          { header: 'Detail', cell: (x) => h('span', { class: 'muted small' }, x.detail ?? '') },
        ]),
      );
    }
  };

  const refreshModules = () =>
    load(modules, 'Modules', () => get<ApiAnswer<'/v1/modules'>>('/v1/modules'), ({ modules: ms_ }) => {
      if (!ctx.alive()) return;
      const loadedKinds = new Set(ms_.filter((m) => m.state === 'loaded').map((m) => m.kind));
      render(
        modules,
        table(
          ms_,
          [
            { header: 'Name', cell: (m) => h('strong', null, m.name) },
            { header: 'Kind', cell: (m) => h('span', { class: 'mono muted' }, m.kind) },
            { header: 'State', cell: (m) => [badge(m.state), m.required ? h('span', { class: 'muted small' }, ' required') : null] },
            { header: 'Init', cell: (m) => ms(m.initMs), align: 'right' },
            { header: 'Requires', cell: (m) => m.requires.map((k) => k.split('.').slice(1, -1).join('.')).join(', ') || '-' },
            { header: 'Why / what', cell: (m) => h('span', { class: 'muted small' }, m.reason ?? m.description ?? '') },
            {
              header: '',
              cell: (m) => {
                const dependents = ms_.filter((o) => o.state === 'loaded' && o.requires.includes(m.kind));
                const blocked = m.required ? 'required by the kernel' : dependents.length ? `required by ${dependents.map((d) => d.name).join(', ')}` : '';
                const missing = m.requires.filter((k) => !loadedKinds.has(k));
                return m.state === 'loaded'
                  ? h('button', { class: 'danger', disabled: !!blocked, title: blocked || `unload ${m.name}`, dataset: { action: 'unload', module: m.name }, onclick: () => act(m.name, 'unload') }, 'Unload')
                  : h('button', { disabled: missing.length > 0, title: missing.length ? `needs ${missing.join(', ')}` : `load ${m.name}`, dataset: { action: 'load', module: m.name }, onclick: () => act(m.name, 'load') }, 'Load');
              },
            },
          ],
          { rowKey: (m) => m.name },
        ),
      );
    });

  const act = async (name: string, verb: 'load' | 'unload') => {
    try {
      const m = await post<ModuleStatus>(`/v1/modules/${encodeURIComponent(name)}/${verb}`);
      toast(`module ${m.name}: ${m.state}`);
    } catch (e) {
      toast(e instanceof ApiError ? e.message : String(e), 'bad');
    }
    await refreshModules();
  };

  // Actual use per workload from the monitor's latest sample, when it is loaded.
  const use = (id: string) => lastSnap?.workloads.find((x) => x.id === id);
  const refreshWorkloads = () =>
    load(workloads, 'Workloads', () => get<ApiAnswer<'/v1/workloads'>>('/v1/workloads'), ({ workloads: ws }) => {
      const shown = ws.filter((w) => w.state !== 'exited').slice(0, 50);
      render(
        workloads,
        table(
          shown,
          [
            { header: 'Name', cell: (w) => h('strong', null, w.name) },
            { header: 'Type', cell: (w) => w.type.replace('function-instance', 'function') },
            { header: 'Owner', cell: (w) => w.owner ?? '-' },
            { header: 'State', cell: (w) => badge(w.state) },
            { header: 'CPU (cores)', cell: (w) => pair(use(w.id)?.cpuCores.toFixed(2), w.requests.cpu ? (w.requests.cpu / 1000).toFixed(2) : undefined), align: 'right' },
            { header: 'Memory', cell: (w) => pair(use(w.id) ? bytes(use(w.id)!.memoryUsage) : undefined, w.requests.memory ? bytes(w.requests.memory) : undefined), align: 'right' },
          ],
          { empty: 'No workloads are running.' },
        ),
        ws.length > shown.length ? h('p', { class: 'muted small' }, `${ws.length - shown.length} more (exited or beyond the first 50)`) : null,
      );
    });

  const refreshFunctions = () =>
    load(functions, 'Functions', () => get<ApiAnswer<'/v1/functions'>>('/v1/functions'), (r) => {
      const fns = r.functions;
      render(
        functions,
        table(
          fns,
          [
            { header: 'Name', cell: (f) => h('a', { href: '#/functions' }, f.spec.name) },
            { header: 'Runtime', cell: (f) => f.spec.runtime },
            { header: 'Instances', cell: (f) => f.stats.instances, align: 'right' },
            { header: 'Invocations', cell: (f) => f.stats.invocations, align: 'right' },
          ],
          { empty: 'No functions are deployed.' },
        ),
      );
    });

  const drawEvents = () => {
    render(
      events,
      recentEvents.length
        ? recentEvents
            .slice(-60)
            .reverse()
            .map((e: LlmosEvent) => h('div', { class: 'event' }, h('span', { class: 'muted' }, clock(e.time)), h('span', { class: 'topic', title: e.topic }, e.topic), h('span', null, e.message)))
        : h('p', { class: 'empty' }, 'Waiting for events…'),
    );
  };

  ctx.every(3000, refreshStatus);
  ctx.every(15000, refreshModules);
  ctx.every(10000, refreshWorkloads);
  ctx.every(15000, refreshFunctions);
  drawEvents();
  const onModules = throttle(() => void refreshModules(), 300);
  const onWorkloads = throttle(() => void (refreshWorkloads(), refreshStatus()), 700);
  const onFunctions = throttle(() => void refreshFunctions(), 1000);
  const onEvents = throttle(drawEvents, 300);
  ctx.on('', (e) => {
    onEvents();
    if (e.topic.startsWith('/modules/')) onModules();
    if (e.topic.startsWith('/workloads/') || e.topic.startsWith('/containers/')) onWorkloads();
    if (e.topic.startsWith('/functions/')) onFunctions();
  });
};

/** "used of requested", or whichever of the two is known. */
const pair = (used: string | undefined, requested: string | undefined): string => (used && requested ? `${used} of ${requested}` : used ? used : requested ? `${requested} requested` : '-');

const round1 = (n: number): number => Math.round(n * 10) / 10;

function uptime(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
