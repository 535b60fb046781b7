// Functions: per function invocations, errors, cold starts, latency percentiles and instances over
// time, and a "try it" box that invokes the function through the API.
import { ApiError, get, post, stream, type ApiAnswer, type ApiBody } from '../api.js';
import { timeChart, type LiveChart } from '../chart.js';
import { badge, bytes, card, fmtNum, h, ms, render, stat, table, toast } from '../dom.js';
import { throttle } from '../live.js';
import { load, type Page } from '../page.js';
import { SeriesMap } from '../ring.js';
import { fetchMetrics, parseHistogram, quantile, type Buckets } from '../prom.js';

// Answers as the API's OpenAPI document declares them (api-schema.gen.ts).
type FunctionSummary = ApiAnswer<'/v1/functions'>['functions'][number];
type FunctionLog = ApiAnswer<'/v1/functions/{name}/logs'>['logs'][number];
type Invoked = ApiAnswer<'/v1/functions/{name}/invoke', 'post'>;

// Sampled while the tab is open: instances and invocation rate per function, bounded per function.
const history = new SeriesMap(['instances', 'invocations/s', 'errors/s'], 7200);
const lastCount = new Map<string, { t: number; inv: number; err: number }>();
let selected: string | null = null;

const counters = (f: FunctionSummary) => {
  const b = latency.get(f.spec.name);
  const q = (x: number) => (b ? quantile(x, b) : undefined);
  const sec = (v: number | undefined) => (v === undefined ? undefined : v * 1000);
  return {
    invocations: f.stats.invocations,
    errors: f.stats.errors,
    coldStarts: f.stats.coldStarts,
    instances: f.stats.instances,
    p50: sec(q(0.5)),
    p95: sec(q(0.95)),
    p99: sec(q(0.99)),
  };
};

/** Handler-time histograms per function, from the monitor's Prometheus text (when it is loaded). */
let latency = new Map<string, Buckets>();

export const functionsPage: Page = (ctx) => {
  const list = h('div');
  const detail = h('div');
  ctx.root.append(h('div', { class: 'grid' }, h('div', { class: 'span-12' }, card('Deployed functions', list))), detail);
  let chart: LiveChart | null = null;
  let chartFor: string | null = null;
  ctx.cleanup(() => chart?.destroy());

  const sample = (fns: FunctionSummary[]) => {
    const now = Date.now() / 1000;
    for (const f of fns) {
      const c = counters(f);
      const prev = lastCount.get(f.spec.name);
      const s = history.get(f.spec.name);
      if (prev && now - prev.t < 1.5) continue;
      const rate = (cur: number | undefined, old: number | undefined) => (prev && cur !== undefined && old !== undefined ? Math.max(0, (cur - old) / (now - prev.t)) : null);
      s.push(now, [c.instances ?? null, rate(c.invocations, prev?.inv), rate(c.errors, prev?.err)]);
      lastCount.set(f.spec.name, { t: now, inv: c.invocations ?? 0, err: c.errors ?? 0 });
    }
  };

  const drawDetail = (f: FunctionSummary) => {
    const c = counters(f);
    const name = f.spec.name;
    if (chartFor !== name) {
      chart?.destroy();
      chart = timeChart(history.get(name), { height: 220, stepped: [true, false, false], right: [true, false, false] });
      chartFor = name;
      followLogs(name);
      render(
        detail,
        h('div', { class: 'stats', id: 'fn-stats' }),
        h(
          'div',
          { class: 'grid' },
          h('div', { class: 'span-7 card' }, h('h2', null, `Load and instances (right axis): ${name}`), chart.el),
          h('div', { class: 'span-5' }, tryIt(name)),
        ),
        h('div', { class: 'grid' }, h('div', { class: 'span-12' }, card(`Logs: ${name}`, logs))),
      );
    }
    chart!.update();
    const err = c.invocations ? (c.errors / c.invocations) * 100 : 0;
    render(
      detail.querySelector('#fn-stats')!,
      stat('Invocations', h('span', { 'data-metric': 'invocations' }, fmtNum(c.invocations)), name),
      stat('Errors', fmtNum(c.errors), `${err.toFixed(1)}% of invocations`),
      stat('Cold starts', fmtNum(c.coldStarts), c.invocations ? `${((c.coldStarts / c.invocations) * 100).toFixed(1)}% of invocations` : ''),
      stat('Latency p50', ms(c.p50), c.p50 === undefined ? 'no handler timings (monitor not loaded?)' : `p95 ${ms(c.p95)} · p99 ${ms(c.p99)}`),
      stat('Instances', fmtNum(c.instances), `${f.stats.ready} ready, ${f.stats.inflight} in flight · ${f.spec.runtime} · keep-alive ${f.stats.keepAlive}`),
    );
  };

  const refresh = () =>
    load(list, 'Functions', () => get<ApiAnswer<'/v1/functions'>>('/v1/functions'), (r) => {
      if (!ctx.alive()) return;
      const fns = r.functions;
      sample(fns);
      if (!selected || !fns.some((f) => f.spec.name === selected)) selected = fns[0]?.spec.name ?? null;
      render(
        list,
        table(
          fns,
          [
            { header: 'Name', cell: (f) => h('a', { href: '#/functions', onclick: (e: Event) => (e.preventDefault(), (selected = f.spec.name), void refresh()) }, f.spec.name) },
            { header: 'Runtime', cell: (f) => (f.spec.runtime === 'image' ? `image ${f.spec.image ?? ''}` : f.spec.runtime) },
            { header: 'State', cell: (f) => (f.stats.lastError ? badge('error', 'bad') : badge(f.stats.instances ? 'warm' : 'idle', f.stats.instances ? 'good' : 'muted')) },
            { header: 'Memory', cell: (f) => bytes(f.spec.memory), align: 'right' },
            { header: 'Instances', cell: (f) => fmtNum(counters(f).instances), align: 'right' },
            { header: 'Invocations', cell: (f) => fmtNum(counters(f).invocations), align: 'right' },
            { header: 'Errors', cell: (f) => fmtNum(counters(f).errors), align: 'right' },
            { header: 'Cold starts', cell: (f) => fmtNum(counters(f).coldStarts), align: 'right' },
            { header: 'p50', cell: (f) => ms(counters(f).p50), align: 'right' },
            { header: 'p99', cell: (f) => ms(counters(f).p99), align: 'right' },
          ],
          { empty: 'No functions. Deploy one with `llmos fn deploy NAME --code handler.js`.', rowKey: (f) => f.spec.name },
        ),
      );
      for (const tr of list.querySelectorAll('tbody tr')) tr.classList.toggle('selected', (tr as HTMLElement).dataset.key === selected);
      const f = fns.find((x) => x.spec.name === selected);
      if (f) drawDetail(f);
      else {
        chart?.destroy();
        chart = null;
        chartFor = null;
        detail.replaceChildren();
      }
    });

  const logs = h('pre', { class: 'logs', 'aria-label': 'function logs' });
  let tail: AbortController | null = null;
  ctx.cleanup(() => tail?.abort());
  const followLogs = (name: string) => {
    tail?.abort();
    tail = new AbortController();
    logs.replaceChildren();
    stream(
      'GET',
      `/v1/functions/${encodeURIComponent(name)}/logs?follow=true&tail=100`,
      (item) => {
        const l = item as Partial<FunctionLog>;
        const stick = logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 8;
        logs.appendChild(h('div', { class: l.level === 'error' || l.level === 'warn' ? 'stderr' : '' }, l.time ? h('span', { class: 'ts' }, `${l.time.slice(11, 23)} `) : null, l.text ?? JSON.stringify(item)));
        while (logs.childElementCount > 1000) logs.firstElementChild!.remove();
        if (stick) logs.scrollTop = logs.scrollHeight;
      },
      { signal: tail.signal },
    ).catch(() => undefined);
  };

  // Latency comes with each refresh so the percentiles move with the counters.
  ctx.every(2000, async () => {
    const text = await fetchMetrics().catch(() => null);
    latency = text ? parseHistogram(text, 'llmos_function_duration_seconds', 'function') : new Map();
    await refresh();
  });
  ctx.on('/functions', throttle(() => void refresh(), 500));
};

/** The "try it" box: method, path and body sent through POST /v1/functions/NAME/invoke. */
function tryIt(name: string): HTMLElement {
  const method = h('select', { 'aria-label': 'method' }, ['POST', 'GET', 'PUT', 'DELETE'].map((m) => h('option', { value: m }, m)));
  const path = h('input', { type: 'text', value: '/', 'aria-label': 'path' });
  const body = h('textarea', { rows: 4, 'aria-label': 'request body', placeholder: '{"name": "world"}' });
  const out = h('pre', { class: 'output', 'data-output': '' }, 'The response appears here.');
  const invoke = async () => {
    const t0 = performance.now();
    try {
      // The API wraps the request and response in JSON with base64 bodies (bytes survive intact).
      const r = await post<Invoked>(`/v1/functions/${encodeURIComponent(name)}/invoke`, {
        method: method.value,
        path: path.value,
        headers: body.value ? { 'content-type': body.value.trim().startsWith('{') ? 'application/json' : 'text/plain' } : {},
        body: body.value ? toBase64(body.value) : undefined,
      } satisfies ApiBody<'/v1/functions/{name}/invoke', 'post'>);
      const rt = performance.now() - t0;
      const type = r.headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
      render(out, h('div', { class: 'muted small', 'data-status': r.status }, `HTTP ${r.status} · ${type || 'no content type'} · ${ms(rt)} round trip`), fromBase64(r.body));
    } catch (e) {
      render(out, h('span', { style: 'color: var(--bad)' }, e instanceof ApiError ? `HTTP ${e.status}: ${e.message}` : String(e)));
      if (!(e instanceof ApiError)) toast(String(e), 'bad');
    }
  };
  return card(
    'Try it',
    h('div', { class: 'row' }, method, path, h('button', { class: 'primary', dataset: { action: 'invoke' }, onclick: invoke }, 'Invoke')),
    body,
    out,
  );
}

const toBase64 = (s: string): string => btoa(String.fromCharCode(...new TextEncoder().encode(s)));
const fromBase64 = (b: string): string => new TextDecoder().decode(Uint8Array.from(atob(b), (c) => c.charCodeAt(0)));
