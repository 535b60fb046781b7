// A few render helpers instead of a UI framework. No framework package is installed (preact and lit
// are not dependencies), and the dashboard's pages are tables, cards and charts that re-render from
// fresh API data every few seconds: building DOM with one `h()` and replacing a section's children
// is all they need, and it keeps the bundle to the app plus uPlot.

import { formatBytes } from '../../src/kernel/quantity.js';

type Child = Node | string | number | false | null | undefined | Child[];
type Props = Record<string, unknown> & { class?: string; style?: string };

/** Creates an element: h('button', { class: 'primary', onclick }, 'Load'). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'class') el.className = String(v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && k !== 'style' && k !== 'list') (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of el. */
export function render(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export interface Column<T> {
  header: string;
  cell: (row: T) => Child;
  align?: 'right';
}

export function table<T>(rows: readonly T[], columns: readonly Column<T>[], opts: { empty?: string; rowKey?: (r: T) => string } = {}): HTMLElement {
  if (!rows.length) return h('p', { class: 'empty' }, opts.empty ?? 'Nothing here yet.');
  return h(
    'table',
    null,
    h('thead', null, h('tr', null, columns.map((c) => h('th', { class: c.align }, c.header)))),
    h(
      'tbody',
      null,
      rows.map((r) => h('tr', { dataset: opts.rowKey ? { key: opts.rowKey(r) } : undefined }, columns.map((c) => h('td', { class: c.align }, c.cell(r))))),
    ),
  );
}

export const card = (title: string, ...body: Child[]): HTMLElement => h('section', { class: 'card' }, h('h2', null, title), ...body);

export const stat = (label: string, value: Child, sub?: Child): HTMLElement =>
  h('div', { class: 'stat' }, h('div', { class: 'stat-label' }, label), h('div', { class: 'stat-value' }, value), sub ? h('div', { class: 'stat-sub' }, sub) : null);

export const badge = (text: string, tone?: string): HTMLElement => h('span', { class: `badge ${tone ?? toneOf(text)}` }, text);

function toneOf(state: string): string {
  if (/^(running|loaded|ready|ok|done|exists|healthy|up|active)/i.test(state)) return 'good';
  if (/^(failed|error|oom|unhealthy|crash)/i.test(state)) return 'bad';
  if (/^(starting|stopping|pending|downloading|extracting|creating|skipped|scaling)/i.test(state)) return 'warn';
  return 'muted';
}

/** A horizontal meter: used / total. */
export function meter(used: number, total: number): HTMLElement {
  const pct = total > 0 ? Math.min(100, (used / total) * 100) : 0;
  return h('div', { class: 'meter', title: `${pct.toFixed(1)}%` }, h('div', { class: `meter-fill ${pct > 90 ? 'bad' : pct > 70 ? 'warn' : ''}`, style: `width:${pct}%` }));
}

/** Sizes, "1.5 KiB": the CLI's formatter (src/kernel/quantity.ts, pure) with a space. */
export const bytes = (n: number | undefined | null): string => formatBytes(n, ' ');

export function ms(n: number | undefined | null): string {
  if (n === undefined || n === null || Number.isNaN(n)) return '-';
  if (n < 1) return `${(n * 1000).toFixed(0)} µs`;
  if (n < 1000) return `${n.toFixed(n < 10 ? 2 : 1)} ms`;
  return `${(n / 1000).toFixed(2)} s`;
}

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export const clock = (iso: string): string => new Date(iso).toLocaleTimeString([], { hour12: false });

/** A transient message at the bottom of the screen (action results and refusals). */
export function toast(message: string, tone: 'good' | 'bad' = 'good'): void {
  const host = document.getElementById('toasts') ?? document.body.appendChild(h('div', { id: 'toasts' }));
  const t = h('div', { class: `toast ${tone}`, role: 'status' }, message);
  host.appendChild(t);
  setTimeout(() => t.remove(), tone === 'bad' ? 8000 : 4000);
}

export const fmtNum = (n: number | undefined, digits = 0): string => (n === undefined ? '-' : n.toLocaleString(undefined, { maximumFractionDigits: digits }));
