// `llmos ps --filter` and `--format` (pure): Docker's filters and a Go-template subset.
import { CliError } from '../client.js';
import type { ContainerInfo } from '../../contracts/containers.js';
import { table } from '../output.js';

const portsText = (c: ContainerInfo) => (c.state === 'running' ? c.ports.map((p) => `${p.hostIp || '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}`).join(', ') : '');
const stateOf = (c: ContainerInfo) => (c.paused ? 'paused' : c.state === 'failed' ? 'exited' : c.state);

/** Docker's filters: each key ANDs, repeated keys OR. */
export function filterContainers(cs: readonly ContainerInfo[], filters: readonly string[]): ContainerInfo[] {
  const by = new Map<string, string[]>();
  for (const f of filters) {
    const i = f.indexOf('=');
    if (i < 1) throw new CliError(`invalid --filter ${JSON.stringify(f)}: use KEY=VALUE`);
    const k = f.slice(0, i);
    if (!['name', 'id', 'label', 'status', 'ancestor'].includes(k)) throw new CliError(`--filter ${k} is not supported (use name, id, label, status or ancestor)`);
    by.set(k, [...(by.get(k) ?? []), f.slice(i + 1)]);
  }
  const match: Record<string, (c: ContainerInfo, v: string) => boolean> = {
    name: (c, v) => c.name.includes(v),
    id: (c, v) => c.id.startsWith(v),
    label: (c, v) => {
      const j = v.indexOf('=');
      return j < 0 ? v in c.labels : c.labels[v.slice(0, j)] === v.slice(j + 1);
    },
    status: (c, v) => stateOf(c) === v,
    ancestor: (c, v) => c.image === v || c.image.startsWith(v + ':') || c.imageId.startsWith(v) || c.imageId.startsWith('sha256:' + v),
  };
  return cs.filter((c) => [...by].every(([k, vs]) => vs.some((v) => match[k]!(c, v))));
}

const fields: Record<string, (c: ContainerInfo) => string> = {
  ID: (c) => c.id.slice(0, 12),
  Names: (c) => c.name,
  Image: (c) => c.image,
  Status: (c) => c.status,
  State: stateOf,
  Ports: portsText,
  Command: (c) => JSON.stringify([...(c.spec.entrypoint ?? []), ...(c.spec.cmd ?? [])].join(' ')),
  CreatedAt: (c) => c.createdAt,
  Labels: (c) => Object.entries(c.labels).map(([k, v]) => `${k}=${v}`).join(','),
  Namespace: (c) => c.namespace,
};

/** Renders one container with a template of {{.Field}}, {{json .}} and {{json .Field}}; anything else is refused. */
function render(tpl: string, c: ContainerInfo): string {
  return tpl.replace(/\{\{\s*(json\s+)?\.(\w*)\s*\}\}/g, (_, json: string | undefined, f: string) => {
    if (!f) {
      if (!json) throw new CliError('--format {{.}} is not supported: use {{json .}}');
      return JSON.stringify(Object.fromEntries(Object.entries(fields).map(([k, get]) => [k, get(c)])));
    }
    const get = fields[f];
    if (!get) throw new CliError(`--format: unknown field .${f} (use ${Object.keys(fields).map((k) => `.${k}`).join(' ')})`);
    return json ? JSON.stringify(get(c)) : get(c);
  });
}

export function formatContainers(cs: readonly ContainerInfo[], format: string): string {
  const unknown = format.replace(/\{\{\s*(json\s+)?\.\w*\s*\}\}/g, '');
  if (/\{\{|\}\}/.test(unknown)) throw new CliError(`--format ${JSON.stringify(format)}: only {{.Field}} and {{json .}} are supported`);
  const tpl = format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  if (!tpl.startsWith('table')) return cs.map((c) => render(tpl, c)).join('\n');
  // "table {{.ID}}\t{{.Names}}": headers from the field names, aligned columns.
  const cols = [...tpl.slice(5).matchAll(/\{\{\s*(?:json\s+)?\.(\w+)\s*\}\}/g)].map((m) => m[1]!);
  if (!cols.length) throw new CliError('--format table needs fields, e.g. "table {{.ID}}\\t{{.Names}}"');
  for (const f of cols) if (!fields[f]) throw new CliError(`--format: unknown field .${f}`);
  const header = (f: string) => ({ ID: 'CONTAINER ID', Names: 'NAMES', CreatedAt: 'CREATED AT' })[f] ?? f.toUpperCase();
  return table(cs, cols.map((f) => ({ header: header(f), get: (c: ContainerInfo) => fields[f]!(c) })));
}
