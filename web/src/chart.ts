// uPlot wrappers with one visual style: line charts over time fed from ring buffers, and bar charts
// over categories (the boot timeline). Redraws are batched to one per animation frame, and charts
// follow their container's width.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Series } from './ring.js';

export const palette = ['#2563eb', '#16a34a', '#ea580c', '#9333ea', '#dc2626', '#0891b2', '#ca8a04'];

const axis = (extra: Partial<uPlot.Axis> = {}): uPlot.Axis => ({
  stroke: '#64748b',
  grid: { stroke: '#e2e8f0', width: 1 },
  ticks: { stroke: '#e2e8f0', width: 1 },
  font: '11px system-ui, sans-serif',
  ...extra,
});

/** Three significant digits, no trailing zeros, thousands grouped: 13235, 0.087, 30.1. */
export const short = (v: number): string => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(Number(v.toPrecision(3))));

function timeRange(_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax {
  const hi = max ?? Date.now() / 1000;
  return [Math.min(min ?? hi, hi - 60), hi];
}

function widthOf(el: HTMLElement): number {
  return Math.max(240, Math.floor(el.getBoundingClientRect().width) || 600);
}

/** Resizes the chart with its container; returns the disconnect function. */
function follow(el: HTMLElement, plot: uPlot, height: number): () => void {
  const ro = new ResizeObserver(() => plot.setSize({ width: widthOf(el), height }));
  ro.observe(el);
  return () => ro.disconnect();
}

export interface LiveChart {
  el: HTMLElement;
  /** Schedules a redraw from the series (at most once per frame). */
  update(): void;
  /** Draws another series with the same names from now on. */
  replace(series: Series): void;
  destroy(): void;
}

/** A line chart of a Series over time. `units` labels the y values in the legend. */
export function timeChart(series: Series, opts: { height?: number; units?: string[]; stepped?: boolean[]; yMin?: number; fill?: boolean; right?: boolean[] } = {}): LiveChart {
  const el = document.createElement('div');
  el.className = 'chart';
  const height = opts.height ?? 200;
  const fmt = (i: number) => (_u: uPlot, v: number | null) => (v === null || v === undefined ? '-' : `${Number.isInteger(v) ? v : v.toFixed(2)}${opts.units?.[i] ?? ''}`);
  const plot = new uPlot(
    {
      width: 600,
      height,
      cursor: { drag: { x: true, y: false } },
      // At least the last minute on the x axis, so a chart with one or two samples reads as time.
      scales: {
        x: { time: true, range: timeRange },
        y: { range: (_u, min, max) => [Math.min(opts.yMin ?? 0, min ?? 0), Math.max(1, (max ?? 1) * 1.1)] },
        ...(opts.right?.some(Boolean) ? { r: { range: (_u: uPlot, _min: number | null, max: number | null): uPlot.Range.MinMax => [0, Math.max(2, Math.ceil((max ?? 1) * 1.2))] } } : {}),
      },
      // Series marked `right` get their own scale and axis on the right (a count next to a rate).
      axes: [axis(), axis({ size: 50 }), ...(opts.right?.some(Boolean) ? [axis({ scale: 'r', side: 1, size: 40, grid: { show: false } })] : [])],
      series: [
        {},
        ...series.names.map((name, i) => ({
          label: name,
          scale: opts.right?.[i] ? 'r' : 'y',
          stroke: palette[i % palette.length],
          width: 2,
          fill: opts.fill && i === 0 ? `${palette[0]}18` : undefined,
          value: fmt(i),
          paths: opts.stepped?.[i] ? uPlot.paths.stepped!({ align: 1 }) : undefined,
          // uPlot shows points only while samples are sparse.
          points: { size: 5 },
          spanGaps: false,
        })),
      ],
    },
    series.data() as uPlot.AlignedData,
  );
  el.appendChild(plot.root);
  let source = series;
  const redraw = () => {
    const data = source.data();
    plot.setData(data as uPlot.AlignedData);
    // uPlot spans a lone sample over a day; show at least the last minute instead.
    const t = data[0];
    if (t.length && t[t.length - 1]! - t[0]! < 60) plot.setScale('x', { min: t[t.length - 1]! - 60, max: t[t.length - 1]! });
  };
  let pending = false;
  let unfollow = () => undefined as void;
  // The container is attached after this returns; size it on the next frame.
  requestAnimationFrame(() => {
    plot.setSize({ width: widthOf(el), height });
    unfollow = follow(el, plot, height);
    redraw();
  });
  return {
    el,
    replace(next) {
      source = next;
      this.update();
    },
    update() {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        redraw();
      });
    },
    destroy() {
      unfollow();
      plot.destroy();
    },
  };
}

/** A bar chart over named categories, e.g. boot stages with their durations in ms. */
export function barChart(labels: string[], values: number[], opts: { height?: number; label?: string; units?: string } = {}): { el: HTMLElement; destroy(): void } {
  const el = document.createElement('div');
  el.className = 'chart';
  const height = opts.height ?? 220;
  const xs = labels.map((_, i) => i);
  const plot = new uPlot(
    {
      width: 600,
      height,
      legend: { show: false },
      cursor: { show: true, points: { show: false }, drag: { x: false, y: false } },
      scales: { x: { time: false, range: [-0.5, labels.length - 0.5] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
      axes: [
        // Two-line category labels ("probe\nhardware") so neighbours do not overlap.
        axis({ splits: () => xs, values: (_u, splits) => splits.map((i) => (labels[i] ?? '').replace('-', '\n')), grid: { show: false }, size: 46 }),
        axis({ size: 64, values: (_u, splits) => splits.map((v) => `${short(v)}${opts.units ?? ''}`) }),
      ],
      series: [{}, { label: opts.label ?? 'value', fill: `${palette[0]}cc`, stroke: palette[0], width: 1, paths: uPlot.paths.bars!({ size: [0.6, 90] }), points: { show: false } }],
      hooks: {
        // Value labels on top of each bar, so durations read without hovering.
        draw: [
          (u) => {
            const c = u.ctx;
            c.save();
            c.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
            c.fillStyle = '#334155';
            c.textAlign = 'center';
            values.forEach((v, i) => c.fillText(`${short(v)}${opts.units ?? ''}`, u.valToPos(i, 'x', true), u.valToPos(v, 'y', true) - 6 * devicePixelRatio));
            c.restore();
          },
        ],
      },
    },
    [xs, values],
  );
  el.appendChild(plot.root);
  let unfollow = () => undefined as void;
  requestAnimationFrame(() => {
    plot.setSize({ width: widthOf(el), height });
    unfollow = follow(el, plot, height);
  });
  return {
    el,
    destroy() {
      unfollow();
      plot.destroy();
    },
  };
}

/** A static line chart over a numeric x axis (simulator results: hours or days since the start). */
export function linesChart(x: number[], ys: { label: string; values: (number | null)[]; stepped?: boolean }[], opts: { height?: number; xLabel?: (v: number) => string; yLabel?: string } = {}): { el: HTMLElement; destroy(): void } {
  const el = document.createElement('div');
  el.className = 'chart';
  const height = opts.height ?? 280;
  const plot = new uPlot(
    {
      width: 600,
      height,
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, (max ?? 1) * 1.05)] } },
      axes: [axis({ values: (_u, splits) => splits.map((v) => (opts.xLabel ? opts.xLabel(v) : String(v))) }), axis({ size: 50, label: opts.yLabel, labelSize: 18, labelFont: '11px system-ui, sans-serif' })],
      series: [
        { value: (_u, v) => (v === null ? '-' : opts.xLabel ? opts.xLabel(v) : String(v)) },
        ...ys.map((s, i) => ({
          label: s.label,
          stroke: i === 0 ? '#94a3b8' : palette[(i - 1) % palette.length],
          fill: i === 0 ? '#94a3b833' : undefined,
          width: i === 0 ? 1 : 1.5,
          paths: s.stepped ? uPlot.paths.stepped!({ align: 1 }) : undefined,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v === null ? '-' : v.toFixed(1)),
        })),
      ],
    },
    [x, ...ys.map((s) => s.values)] as uPlot.AlignedData,
  );
  el.appendChild(plot.root);
  let unfollow = () => undefined as void;
  requestAnimationFrame(() => {
    plot.setSize({ width: widthOf(el), height });
    unfollow = follow(el, plot, height);
  });
  return {
    el,
    destroy() {
      unfollow();
      plot.destroy();
    },
  };
}
