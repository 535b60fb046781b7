// Containers and services: lists with state and resources, actions (stop, start, restart, scale),
// and a live log tail of the selected container.
import { ApiError, get, post, stream, type ApiAnswer, type ApiBody, type ApiPath } from '../api.js';
import { badge, bytes, card, h, render, table, toast } from '../dom.js';
import { throttle } from '../live.js';
import { load, type Page } from '../page.js';

// Answers as the API's OpenAPI document declares them (api-schema.gen.ts).
type Container = ApiAnswer<'/v1/containers'>['containers'][number];
type Service = ApiAnswer<'/v1/services'>['services'][number];
type Stats = ApiAnswer<'/v1/containers/{id}/stats'>;
type LogLine = ApiAnswer<'/v1/containers/{id}/logs'>['lines'][number];
type Port = Pick<Container['ports'][number], 'hostPort' | 'containerPort'> & { protocol?: string };

const MAX_LOG_LINES = 2000;

export const containersPage: Page = (ctx) => {
  const services = h('div');
  const containers = h('div');
  const logTitle = h('span', { class: 'muted' }, 'Select a container to follow its logs.');
  const logs = h('pre', { class: 'logs', 'aria-label': 'container logs' });
  ctx.root.append(
    h('div', { class: 'grid' }, h('div', { class: 'span-12' }, card('Services', services))),
    h('div', { class: 'grid' }, h('div', { class: 'span-12' }, card('Containers', containers))),
    h('div', { class: 'grid' }, h('div', { class: 'span-12' }, card('Logs', h('div', { class: 'row' }, logTitle), logs))),
  );

  let selected: string | null = null;
  let tail: AbortController | null = null;
  let stats = new Map<string, Stats>();
  ctx.cleanup(() => tail?.abort());

  const act = async (what: string, path: ApiPath<'post'> | ApiPath<'post'>[], body?: unknown) => {
    try {
      // A restart is a stop then a start: the API has no single restart call.
      for (const p of Array.isArray(path) ? path : [path]) await post(p, body);
      toast(what);
    } catch (e) {
      toast(e instanceof ApiError ? e.message : String(e), 'bad');
    }
    void refresh();
  };

  const follow = (c: Container) => {
    tail?.abort();
    selected = c.id;
    tail = new AbortController();
    render(logTitle, h('strong', null, c.name), h('span', { class: 'muted' }, ` ${c.image} · live tail`));
    logs.replaceChildren();
    const lines: HTMLElement[] = [];
    const add = (item: unknown, event?: string) => {
      if (event === 'end') return void logs.appendChild(h('div', { class: 'ts' }, '— the container exited; end of log —'));
      if (event === 'error') return void logs.appendChild(h('div', { class: 'stderr' }, `log stream failed: ${(item as { error?: string }).error ?? ''}`));
      const l: Partial<LogLine> = typeof item === 'string' ? { text: item } : (item as LogLine);
      const text = l.text ?? JSON.stringify(l);
      const stick = logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 8;
      const el = h('div', { class: l.stream === 'stderr' ? 'stderr' : '' }, l.time ? h('span', { class: 'ts' }, `${l.time.slice(11, 23)} `) : null, text);
      lines.push(el);
      logs.appendChild(el);
      if (lines.length > MAX_LOG_LINES) lines.shift()!.remove();
      if (stick) logs.scrollTop = logs.scrollHeight;
    };
    stream('GET', `/v1/containers/${encodeURIComponent(c.id)}/logs?follow=true&tail=200`, add, { signal: tail.signal }).catch((e: Error) => {
      if (e.name !== 'AbortError') logs.appendChild(h('div', { class: 'stderr' }, `log stream ended: ${e.message}`));
    });
    void refresh();
  };

  const drawContainers = (cs: Container[]) =>
    render(
      containers,
      table(
        cs,
        [
          { header: 'Name', cell: (c) => h('strong', null, c.name) },
          { header: 'Image', cell: (c) => h('span', { class: 'mono small clip', title: c.image }, c.image) },
          { header: 'State', cell: (c) => [badge(c.state), h('div', { class: 'muted small' }, [c.status, c.restartCount ? `${c.restartCount} restarts` : null].filter(Boolean).join(' · '))] },
          { header: 'Owner', cell: (c) => c.owner ?? '-' },
          ...(cs.some((c) => c.ports?.length) ? [{ header: 'Ports', cell: (c: Container) => ports(c.ports) }] : []),
          { header: 'CPU', cell: (c) => cpuCell(c, stats.get(c.id)), align: 'right' },
          { header: 'Memory', cell: (c) => memCell(c, stats.get(c.id)), align: 'right' },
          {
            header: '',
            cell: (c) => {
              const id = encodeURIComponent(c.id);
              const running = c.state === 'running' || c.state === 'starting';
              return h(
                'div',
                { class: 'actions' },
                h('button', { dataset: { action: 'logs', container: c.name }, onclick: () => follow(c) }, 'Logs'),
                running
                  ? h('button', { class: 'danger', dataset: { action: 'stop', container: c.name }, onclick: () => act(`stopping ${c.name}`, `/v1/containers/${id}/stop`) }, 'Stop')
                  : h('button', { dataset: { action: 'start', container: c.name }, onclick: () => act(`starting ${c.name}`, `/v1/containers/${id}/start`) }, 'Start'),
                h('button', { dataset: { action: 'restart', container: c.name }, onclick: () => act(`restarted ${c.name}`, [`/v1/containers/${id}/stop`, `/v1/containers/${id}/start`]) }, 'Restart'),
              );
            },
          },
        ],
        { empty: 'No containers. Start one with `llmos run -d IMAGE`.', rowKey: (c) => c.name },
      ),
    );

  let lastContainers: Container[] = [];
  const refreshContainers = () =>
    load(containers, 'Containers', () => get<ApiAnswer<'/v1/containers'>>('/v1/containers?all=true'), (r) => {
      lastContainers = r.containers;
      drawContainers(lastContainers);
      void refreshStats();
      for (const tr of containers.querySelectorAll('tbody tr')) tr.classList.toggle('selected', lastContainers.find((c) => c.name === (tr as HTMLElement).dataset.key)?.id === selected);
    });

  // Resource use is a separate, optional call: the list renders without it.
  const refreshStats = async () => {
    const running = lastContainers.filter((c) => c.state === 'running');
    if (!running.length) return;
    const next = new Map<string, Stats>();
    await Promise.all(
      running.slice(0, 30).map(async (c) => {
        try {
          next.set(c.id, await get<Stats>(`/v1/containers/${encodeURIComponent(c.id)}/stats`));
        } catch {
          /* stats are best effort */
        }
      }),
    );
    stats = next;
    if (ctx.alive()) drawContainers(lastContainers);
  };

  const refreshServices = () =>
    load(services, 'Services', () => get<ApiAnswer<'/v1/services'>>('/v1/services'), (r) => {
      // Do not replace a replica count the user is typing.
      if (services.contains(document.activeElement) && document.activeElement?.tagName === 'INPUT') return;
      const ss: Service[] = r.services;
      render(
        services,
        table(
          ss,
          [
            { header: 'Name', cell: (s) => h('strong', null, s.namespace && s.namespace !== 'default' ? `${s.namespace}/${s.name}` : s.name) },
            { header: 'Image', cell: (s) => h('span', { class: 'mono small clip', title: s.spec.template.image }, s.spec.template.image) },
            { header: 'Ready', cell: (s) => `${s.readyReplicas} / ${s.spec.replicas}`, align: 'right' },
            { header: 'State', cell: (s) => [badge(s.readyReplicas >= s.spec.replicas ? 'ready' : s.rollout?.phase === 'rolled-back' ? 'failed: rolled back' : 'scaling'), s.rollout?.reason ? h('div', { class: 'muted small' }, s.rollout.reason) : null] },
            { header: 'Ports', cell: (s) => ports((s.endpoints ?? []).map((e) => ({ ...e, protocol: 'tcp' }))) },
            { header: 'Per replica', cell: (s) => [s.spec.template.cpus ? `${s.spec.template.cpus} cpu` : null, s.spec.template.memory ? bytes(s.spec.template.memory) : null].filter(Boolean).join(', ') || '-' },
            {
              header: 'Scale',
              cell: (s) => {
                const n = h('input', { type: 'number', min: 0, value: String(s.spec.replicas), style: 'width:64px', 'aria-label': `replicas of ${s.name}` });
                const q = s.namespace ? (`?namespace=${encodeURIComponent(s.namespace)}` as const) : ('' as const);
                return h(
                  'div',
                  { class: 'actions' },
                  n,
                  h('button', { dataset: { action: 'scale', service: s.name }, onclick: () => act(`scaling ${s.name} to ${n.value}`, `/v1/services/${encodeURIComponent(s.name)}/scale${q}`, { replicas: Number(n.value), reason: 'dashboard' } satisfies ApiBody<'/v1/services/{name}/scale', 'post'>) }, 'Scale'),
                );
              },
            },
          ],
          { empty: 'No services. Create one with `llmos service create` or `llmos apply -f`.' },
        ),
      );
    });

  const refresh = async () => {
    await Promise.all([refreshServices(), refreshContainers()]);
  };
  ctx.every(5000, refresh);
  const onChange = throttle(() => void refresh(), 500);
  ctx.on('/containers', onChange);
  ctx.on('/services', onChange);
  ctx.on('/workloads', onChange);
};

const ports = (ps: readonly Port[] | undefined) => (ps?.length ? ps.map((p) => `${p.hostPort}→${p.containerPort}${p.protocol && p.protocol !== 'tcp' ? `/${p.protocol}` : ''}`).join(', ') : '-');

function cpuCell(c: Container, s: Stats | undefined) {
  const limit = c.spec?.cpus ? ` / ${c.spec.cpus} cpu` : '';
  return s?.cpuPercent !== undefined ? `${s.cpuPercent.toFixed(1)}%${limit}` : limit ? limit.slice(3) : '-';
}

function memCell(c: Container, s: Stats | undefined) {
  const limit = s?.memoryLimit ?? c.spec?.memory;
  if (s?.memoryUsage !== undefined) return `${bytes(s.memoryUsage)}${limit ? ` / ${bytes(limit)}` : ''}`;
  return limit ? `limit ${bytes(limit)}` : '-';
}
