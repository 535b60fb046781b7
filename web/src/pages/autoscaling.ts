// Autoscaling: per service or function, demand against replicas over time, and the decision log
// with each decision's reason. Decisions come from the event stream (every decision is an event),
// so the chart fills live; the autoscaler's own API adds the targets and their policies.
import { get } from '../api.js';
import { timeChart, type LiveChart } from '../chart.js';
import { badge, card, clock, fmtNum, h, listOf, num, render, table } from '../dom.js';
import { throttle, type LlmosEvent } from '../live.js';
import { failure, load, type Page } from '../page.js';
import { SeriesMap } from '../ring.js';

const PREFIX = '/autoscal';
const series = new SeriesMap(['demand', 'replicas', 'desired'], 7200);
const decisions: LlmosEvent[] = [];
const seen = new Set<number>();
let selected: string | null = null;

interface Target {
  name: string;
  kind?: string;
  target?: string;
  namespace?: string;
  policy?: string;
  metric?: string | Record<string, unknown>;
  min?: number;
  max?: number;
  replicas?: number;
  [k: string]: unknown;
}

/** "service/web" from an event's subject or data. */
const targetOf = (e: LlmosEvent): string => e.subject ?? String(e.data?.target ?? e.data?.name ?? 'unknown');

function record(e: LlmosEvent): void {
  if (seen.has(e.seq)) return;
  seen.add(e.seq);
  decisions.push(e);
  if (decisions.length > 2000) seen.delete(decisions.shift()!.seq);
  const d = e.data ?? {};
  const demand = num(d, 'demand', 'metric', 'observed', 'value', 'inputs.metric', 'inputs.demand', 'inputs.concurrency', 'inputs.rps', 'inputs.cpuUtilization');
  const current = num(d, 'current', 'replicas', 'before', 'from', 'inputs.replicas');
  const desired = num(d, 'desired', 'after', 'to', 'desiredReplicas');
  series.get(targetOf(e)).push(Date.parse(e.time) / 1000, [demand ?? null, current ?? null, desired ?? null]);
}

export const autoscalingPage: Page = (ctx) => {
  const targets = h('div');
  const chartBox = h('div');
  const log = h('div', { class: 'events' });
  ctx.root.append(
    h('div', { class: 'grid' }, h('div', { class: 'span-12' }, card('Scaled services and functions', targets))),
    h('div', { class: 'grid' }, h('div', { class: 'span-12 card' }, h('h2', null, 'Demand vs replicas'), chartBox)),
    h('div', { class: 'grid' }, h('div', { class: 'span-12' }, card('Decision log', log))),
  );
  let chart: LiveChart | null = null;
  let chartFor: string | null = null;
  ctx.cleanup(() => chart?.destroy());

  const names = (): string[] => [...new Set([...series.keys(), ...lastTargets.map((t) => `${t.kind ?? 'service'}/${t.name}`)])];
  let lastTargets: Target[] = [];

  const drawChart = () => {
    const all = names();
    if (!selected || !all.includes(selected)) selected = all[0] ?? null;
    if (!selected) {
      render(chartBox, h('p', { class: 'empty' }, 'No scaling decisions yet. Set a policy with `llmos autoscale NAME --policy ...`.'));
      return;
    }
    if (chartFor !== selected) {
      chart?.destroy();
      chart = timeChart(series.get(selected), { height: 240, stepped: [false, true, true] });
      chartFor = selected;
      const pick = h('select', { 'aria-label': 'target', onchange: (e: Event) => ((selected = (e.target as HTMLSelectElement).value), drawChart()) }, all.map((n) => h('option', { value: n, selected: n === selected }, n)));
      render(chartBox, h('div', { class: 'row' }, pick, h('span', { class: 'muted small' }, 'demand is the policy metric (CPU %, rps or concurrency); replicas are current and desired')), chart.el);
    }
    chart!.update();
  };

  const drawLog = () => {
    const rows = decisions.slice(-200).reverse();
    render(
      log,
      table(
        rows,
        [
          { header: 'Time', cell: (e) => clock(e.time) },
          { header: 'Target', cell: (e) => h('strong', null, targetOf(e)) },
          { header: 'Policy', cell: (e) => String(e.data?.policy ?? '-') },
          { header: 'Change', cell: (e) => change(e), align: 'right' },
          { header: 'Reason', cell: (e) => h('span', null, String(e.data?.reason ?? e.message)) },
        ],
        { empty: 'No decisions recorded yet.' },
      ),
    );
  };

  const refreshTargets = () =>
    load(targets, 'Autoscaler', () => get<unknown>('/v1/autoscalers'), (r) => {
      lastTargets = listOf<Target>(r, 'autoscalers');
      render(
        targets,
        table(
          lastTargets,
          [
            { header: 'Target', cell: (t) => h('strong', null, `${t.kind ?? 'service'}/${t.name}`) },
            { header: 'Policy', cell: (t) => badge(String(t.policy ?? '-'), 'muted') },
            { header: 'Metric', cell: (t) => (typeof t.metric === 'string' ? t.metric : t.metric ? JSON.stringify(t.metric) : '-') },
            { header: 'Min–max', cell: (t) => `${fmtNum(t.min)}–${fmtNum(t.max)}`, align: 'right' },
            { header: 'Replicas', cell: (t) => fmtNum(num(t, 'replicas', 'current', 'status.replicas')), align: 'right' },
          ],
          { empty: 'Nothing is autoscaled yet.' },
        ),
      );
      drawChart();
    });

  // Seed with the decisions the daemon still holds, then follow live.
  void (async () => {
    try {
      const { events } = await get<{ events: LlmosEvent[] }>(`/v1/events?prefix=${encodeURIComponent(PREFIX)}&limit=2000`);
      events.forEach(record);
    } catch (e) {
      failure(log, e, 'Decision log');
      return;
    }
    if (!ctx.alive()) return;
    drawLog();
    drawChart();
  })();
  const redraw = throttle(() => (drawLog(), drawChart()), 500);
  ctx.on(PREFIX, (e) => (record(e), redraw()));
  ctx.every(10000, refreshTargets);
};

function change(e: LlmosEvent): string {
  const d = e.data ?? {};
  const from = num(d, 'current', 'before', 'from', 'replicas', 'inputs.replicas');
  const to = num(d, 'desired', 'after', 'to');
  return from !== undefined && to !== undefined ? `${from} → ${to}` : to !== undefined ? `→ ${to}` : '-';
}
