// Autoscaling: per autoscaled service or function, demand against replicas over time, and the
// decision log with each decision's reason. The autoscaler records every control step (time,
// inputs, policy, replicas before and after, reason); the page reads that log and follows the
// /autoscaler events to refresh at once when something scales.
import { get, type ApiAnswer } from '../api.js';
import { timeChart, type LiveChart } from '../chart.js';
import { badge, card, clock, h, render, table } from '../dom.js';
import { throttle } from '../live.js';
import { failure, load, type Page } from '../page.js';
import { Series } from '../ring.js';

// Answers as the API's OpenAPI document declares them (api-schema.gen.ts).
type Autoscaler = ApiAnswer<'/v1/autoscalers'>['autoscalers'][number];
type Decision = ApiAnswer<'/v1/autoscalers/{namespace}/{name}/decisions'>['decisions'][number];
/** The aggregate inputs a metric is read from (per-pod samples aside). */
type Inputs = Omit<Decision['inputs'], 'pods'>;

const inputOf: Record<Autoscaler['metrics'][number]['metric'], keyof Inputs> = { cpu: 'cpuUtilization', memory: 'memoryUtilization', rps: 'rps', concurrency: 'concurrency' };
const unitOf = { cpu: '%', memory: '%', rps: ' rps', concurrency: '' } as const;
const keyOf = (a: Autoscaler) => `${a.namespace}/${a.name}`;
let selected: string | null = null;

export const autoscalingPage: Page = (ctx) => {
  const list = h('div');
  const chartBox = h('div');
  const log = h('div', { class: 'events' });
  ctx.root.append(
    h('div', { class: 'grid' }, h('div', { class: 'span-12' }, card('Autoscaled services and functions', list))),
    h('div', { class: 'grid' }, h('div', { class: 'span-12 card' }, h('h2', null, 'Demand vs replicas'), chartBox)),
    h('div', { class: 'grid' }, h('div', { class: 'span-12' }, card('Decision log', log))),
  );
  let chart: LiveChart | null = null;
  let chartFor: string | null = null;
  let series: Series | null = null;
  ctx.cleanup(() => chart?.destroy());
  let scalers: Autoscaler[] = [];

  const drawList = () =>
    render(
      list,
      table(
        scalers,
        [
          { header: 'Autoscaler', cell: (a) => h('a', { href: '#/autoscaling', onclick: (e: Event) => (e.preventDefault(), (selected = keyOf(a)), void refresh()) }, keyOf(a)) },
          { header: 'Target', cell: (a) => h('strong', null, a.target) },
          { header: 'Policy', cell: (a) => badge(a.policy, 'muted') },
          { header: 'Metric', cell: (a) => a.metrics.map((m) => `${m.metric} ${m.target}${unitOf[m.metric]}`).join(', ') },
          { header: 'Replicas', cell: (a) => `${a.min}–${a.max}`, align: 'right' },
        ],
        { empty: 'Nothing is autoscaled yet: `llmos autoscale NAME --policy threshold --metric cpu=60% --min 1 --max 5`.', rowKey: keyOf },
      ),
    );

  const drawDecisions = (a: Autoscaler, ds: Decision[]) => {
    const m = a.metrics[0]!;
    // The series is rebuilt from the decision log each time (bounded by the API's limit), so the
    // chart matches the log exactly and survives reloads.
    series = new Series([`${m.metric}${unitOf[m.metric] ? ` (${unitOf[m.metric].trim()})` : ''}`, 'replicas', 'desired', `target ${m.target}${unitOf[m.metric]}`], 2000);
    for (const d of ds) series.push(Date.parse(d.time) / 1000, [d.inputs[inputOf[m.metric]] ?? null, d.inputs.replicas, d.after, m.target]);
    if (chartFor !== keyOf(a)) {
      chart?.destroy();
      chartFor = keyOf(a);
      chart = null;
    }
    if (!chart) {
      chart = timeChart(series, { height: 260, stepped: [false, true, true, false] });
      render(chartBox, h('p', { class: 'muted small', style: 'margin:0 0 6px' }, `${a.target} · ${a.policy} · demand is the measured ${m.metric}, replicas the count before each decision, desired its outcome`), chart.el);
    } else chart.replace(series);
    const changes = ds.filter((d) => d.after !== d.before || !d.applied).reverse();
    const shown = changes.length ? changes : ds.slice(-20).reverse();
    render(
      log,
      changes.length ? null : h('p', { class: 'muted small' }, 'No scaling changes yet; the latest control steps:'),
      table(
        shown,
        [
          { header: 'Time', cell: (d) => clock(d.time) },
          { header: 'Target', cell: (d) => h('strong', null, d.target) },
          { header: 'Policy', cell: (d) => d.policy },
          { header: 'Demand', cell: (d) => fmtInput(d.inputs[inputOf[m.metric]], unitOf[m.metric]), align: 'right' },
          { header: 'Replicas', cell: (d) => (d.after === d.before ? String(d.after) : `${d.before} → ${d.after}`), align: 'right' },
          { header: 'Reason', cell: (d) => [d.applied ? null : badge('not applied', 'bad'), ' ', d.reason] },
        ],
        { empty: 'No decisions recorded yet.' },
      ),
    );
  };

  const refresh = () =>
    load(list, 'Autoscaler', () => get<ApiAnswer<'/v1/autoscalers'>>('/v1/autoscalers'), async (r) => {
      if (!ctx.alive()) return;
      scalers = r.autoscalers;
      if (!selected || !scalers.some((a) => keyOf(a) === selected)) selected = scalers[0] ? keyOf(scalers[0]) : null;
      drawList();
      for (const tr of list.querySelectorAll('tbody tr')) tr.classList.toggle('selected', (tr as HTMLElement).dataset.key === selected);
      const a = scalers.find((x) => keyOf(x) === selected);
      if (!a) {
        chart?.destroy();
        chart = null;
        chartFor = null;
        render(chartBox, h('p', { class: 'empty' }, 'No autoscaler selected.'));
        render(log, h('p', { class: 'empty' }, 'No decisions recorded yet.'));
        return;
      }
      try {
        const { decisions } = await get<ApiAnswer<'/v1/autoscalers/{namespace}/{name}/decisions'>>(`/v1/autoscalers/${encodeURIComponent(a.namespace)}/${encodeURIComponent(a.name)}/decisions?limit=2000`);
        if (ctx.alive()) drawDecisions(a, decisions);
      } catch (e) {
        failure(log, e, 'Decision log');
      }
    });

  ctx.every(3000, refresh);
  ctx.on('/autoscaler', throttle(() => void refresh(), 500));
};

const fmtInput = (v: number | undefined, unit: string): string => (v === undefined ? '-' : `${Number.isInteger(v) ? v : v.toFixed(1)}${unit}`);
