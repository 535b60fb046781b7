// Simulator: the reports of `llmos sim` with their charts, from a report JSON file the user opens
// (sim runs are offline and write files).
import { barChart, linesChart } from '../chart.js';
import { card, h, render, table } from '../dom.js';
import type { Page } from '../page.js';

type Row = Record<string, unknown>;

export const simulatorPage: Page = (ctx) => {
  const pick = h('div');
  const view = h('div');
  const file = h('input', { type: 'file', accept: '.json,application/json', 'aria-label': 'report file' });
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (!f) return;
    try {
      show(JSON.parse(await f.text()) as unknown, f.name);
    } catch (e) {
      render(view, h('div', { class: 'notice bad' }, `${f.name} is not a JSON report: ${(e as Error).message}`));
    }
  });
  ctx.root.append(
    h(
      'div',
      { class: 'grid' },
      h(
        'div',
        { class: 'span-12' },
        card('Reports', pick, h('div', { class: 'row', style: 'margin-top:10px' }, h('span', { class: 'muted' }, 'Open a report JSON written by `llmos sim ... --out DIR`:'), file)),
      ),
    ),
    view,
  );
  const charts: { destroy(): void }[] = [];
  ctx.cleanup(() => charts.forEach((c) => c.destroy()));

  const show = (report: unknown, title: string) => {
    charts.splice(0).forEach((c) => c.destroy());
    const rows = resultRows(report);
    if (!rows.length) {
      render(view, h('div', { class: 'notice' }, `${title}: no per-policy results found in this report.`), h('pre', { class: 'output' }, JSON.stringify(report, null, 2).slice(0, 5000)));
      return;
    }
    const label = (r: Row) => String(r.policy ?? r.name ?? r.label ?? '?');
    const metrics = [...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => typeof r[k] === 'number')))];
    const meta = report && typeof report === 'object' ? Object.entries(report as Row).filter(([, v]) => typeof v === 'string' || typeof v === 'number') : [];
    const chartCards = metrics.slice(0, 8).map((m) => {
      const c = barChart(rows.map(label), rows.map((r) => (typeof r[m] === 'number' ? (r[m] as number) : 0)), { height: 200, label: m });
      charts.push(c);
      return h('div', { class: 'span-6 card' }, h('h2', null, humanize(m)), c.el);
    });
    const timeline = serviceSeries(report);
    if (timeline) charts.push(timeline);
    render(
      view,
      timeline ? h('div', { class: 'grid' }, h('div', { class: 'span-12 card' }, h('h2', null, 'Demand vs replicas over the trace'), timeline.el)) : null,
      h(
        'div',
        { class: 'grid' },
        h(
          'div',
          { class: 'span-12' },
          card(
            title,
            meta.length ? h('p', { class: 'muted small' }, meta.map(([k, v]) => `${k}: ${v}`).join(' · ')) : null,
            table(rows, [{ header: 'Policy', cell: (r) => h('strong', null, label(r)) }, ...metrics.map((m) => ({ header: humanize(m), cell: (r: Row) => fmt(r[m]), align: 'right' as const }))]),
          ),
        ),
      ),
      h('div', { class: 'grid' }, chartCards),
    );
  };

  // Simulations run offline (`llmos sim` needs no daemon) and write their reports to files; the
  // API serves none (the page once asked for /v1/sim/reports, a route that never existed).
  render(pick, h('p', { class: 'muted' }, '`llmos sim` runs without the daemon and writes its reports to files: open one below.'));
};

/**
 * A service report's time series (src/sim/report.ts writeServiceRun: series.t in seconds, demand in
 * rps, replicas per policy) as one chart, demand scaled to replicas' worth at full capacity.
 */
function serviceSeries(report: unknown): ReturnType<typeof linesChart> | null {
  const r = report as { series?: { t?: number[]; demand?: number[]; replicas?: Record<string, number[]> }; capacityRps?: number };
  const t = r?.series?.t;
  if (!Array.isArray(t) || !r.series?.replicas) return null;
  const days = (t.at(-1) ?? 0) - (t[0] ?? 0) > 3 * 86_400;
  const cap = r.capacityRps ?? 1;
  return linesChart(
    t,
    [
      ...(r.series.demand ? [{ label: `demand (replicas at ${cap} rps)`, values: r.series.demand.map((v) => v / cap) }] : []),
      ...Object.entries(r.series.replicas).map(([label, values]) => ({ label, values, stepped: true })),
    ],
    { xLabel: (v) => (days ? `${(v / 86_400).toFixed(1)} d` : `${(v / 3600).toFixed(1)} h`), yLabel: 'replicas' },
  );
}

/** The per-policy result rows of a report: the first array of objects found (results, policies, ...). */
function resultRows(report: unknown): Row[] {
  if (Array.isArray(report)) return (report.filter((r) => r && typeof r === 'object') as Row[]).map(flat);
  if (!report || typeof report !== 'object') return [];
  const o = report as Row;
  for (const key of ['results', 'policies', 'rows', 'summary']) {
    const v = o[key];
    if (Array.isArray(v)) return (v as Row[]).map(flat);
    if (v && typeof v === 'object' && Object.values(v).every((x) => x && typeof x === 'object')) return Object.entries(v as Record<string, Row>).map(([policy, r]) => ({ policy, ...flat(r) }));
  }
  const arr = Object.values(o).find((v) => Array.isArray(v) && v.length && typeof v[0] === 'object');
  return (arr as Row[]) ?? [];
}

/** One level of nesting flattened ({ coldStarts: { pct } } -> "coldStarts.pct"), numbers only. */
function flat(r: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(r)) {
    if (typeof v === 'number' || typeof v === 'string') out[k] = v;
    else if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k2, v2] of Object.entries(v)) if (typeof v2 === 'number') out[`${k}.${k2}`] = v2;
  }
  return out;
}

const fmt = (v: unknown): string => (typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString() : v.toFixed(3)) : v === undefined ? '-' : String(v));

/** "underProvisionedPct" -> "under provisioned %", "coldStartDistribution.p50" -> "cold start distribution p50". */
const humanize = (k: string): string =>
  k
    .replace(/Pct\b/g, ' %')
    .replace(/\./g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
