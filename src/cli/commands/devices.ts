// `llmos device ...`: device models, devices (one, or many from a CSV file), credentials, desired
// state and telemetry. A client of /v1/device-models and /v1/devices.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { ago, table } from '../output.js';
import { CliError } from '../client.js';
import type { DeviceCredentials, DeviceInfo, DeviceTelemetry, ModelInfo, PropertyDef } from '../../contracts/iot.js';

const enc = encodeURIComponent;

function keyValues(list: string[] | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of list ?? []) {
    const i = l.indexOf('=');
    if (i < 1) throw new CliError(`invalid ${what} ${JSON.stringify(l)}: use KEY=VALUE`);
    out[l.slice(0, i)] = l.slice(i + 1);
  }
  return out;
}

/** `temperature:number:unit=C,min=-40,max=125,access=read` (enum values separated by |). */
export function parseProp(s: string): PropertyDef {
  const m = /^([^:]+):([^:]+)(?::(.*))?$/.exec(s);
  if (!m) throw new CliError(`invalid --prop ${JSON.stringify(s)}: use NAME:TYPE[:unit=U,min=N,max=N,enum=a|b,access=read|readwrite]`);
  const p: Record<string, unknown> = { name: m[1], type: m[2] };
  for (const kv of (m[3] ?? '').split(',').filter(Boolean)) {
    const i = kv.indexOf('=');
    if (i < 1) throw new CliError(`invalid --prop option ${JSON.stringify(kv)} in ${JSON.stringify(s)}`);
    const k = kv.slice(0, i);
    const v = kv.slice(i + 1);
    if (k === 'min' || k === 'max') {
      if (!Number.isFinite(Number(v)) || v === '') throw new CliError(`--prop ${m[1]}: ${k} must be a number`);
      p[k] = Number(v);
    } else if (k === 'enum') p.enum = v.split('|').map((e) => (m[2] === 'string' ? e : Number.isFinite(Number(e)) ? Number(e) : e));
    else p[k] = v;
  }
  return p as unknown as PropertyDef;
}

/** CSV with a header: name, model, optional node; every other column is a label. */
export function parseDevicesCsv(text: string): Array<Record<string, unknown>> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() && !l.startsWith('#'));
  if (!lines.length) throw new CliError('the CSV file is empty');
  const head = lines[0]!.split(',').map((h) => h.trim());
  if (!head.includes('name') || !head.includes('model')) throw new CliError('the CSV header must name the columns name and model (and optionally node; other columns are labels)');
  return lines.slice(1).map((l, i) => {
    const cells = l.split(',').map((c) => c.trim());
    if (cells.length !== head.length) throw new CliError(`CSV line ${i + 2}: ${cells.length} fields, the header has ${head.length}`);
    const d: Record<string, unknown> = {};
    const labels: Record<string, string> = {};
    head.forEach((h, j) => {
      if (h === 'name' || h === 'model' || h === 'node') {
        if (cells[j]) d[h] = cells[j];
      } else if (cells[j]) labels[h] = cells[j]!;
    });
    if (Object.keys(labels).length) d.labels = labels;
    return d;
  });
}

const fmt = (o: Record<string, unknown>) =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');

export function deviceCommands(program: Command, ctx: CliContext): void {
  const dev = program.command('device').alias('devices').description('IoT devices: models, registry, twins (desired/reported state), telemetry');

  const models = dev.command('models').alias('model').description('device models: typed properties with units, ranges and access');
  models
    .command('create <name>')
    .description('create a model, e.g. --prop temperature:number:unit=C,min=-40,max=125 --prop mode:string:enum=off|heat,access=readwrite')
    .option('-p, --prop <spec...>', 'a property: NAME:TYPE[:unit=U,min=N,max=N,enum=a|b,access=read|readwrite] (type number|integer|boolean|string)')
    .action(async (name: string, o: { prop?: string[] }) => {
      if (!o.prop?.length) throw new CliError('give at least one --prop NAME:TYPE');
      const m = await ctx.client().request<ModelInfo>('POST', '/v1/device-models', { name, properties: o.prop.map(parseProp) });
      ctx.out(m, () => m.name);
    });
  models
    .command('ls')
    .alias('list')
    .description('list models')
    .action(async () => {
      const { models: ms } = await ctx.client().request<{ models: ModelInfo[] }>('GET', '/v1/device-models');
      ctx.out(ms, () =>
        table(ms, [
          { header: 'NAME', get: (m) => m.name },
          { header: 'PROPERTIES', get: (m) => m.properties.map((p) => `${p.name}:${p.type}${p.unit ? `[${p.unit}]` : ''}${p.access === 'readwrite' ? ' rw' : ''}`).join(', ') },
          { header: 'CREATED', get: (m) => ago(m.createdAt) },
        ]),
      );
    });
  models
    .command('rm <names...>')
    .alias('remove')
    .description('remove models (refused while a device uses one)')
    .action(async (names: string[]) => {
      for (const n of names) await ctx.client().request('DELETE', `/v1/device-models/${enc(n)}`);
      ctx.out({ removed: names }, () => names.join('\n'));
    });

  dev
    .command('create [name]')
    .description('register a device, or many with --from-csv FILE (header: name,model[,node][,LABEL...])')
    .option('-m, --model <model>', 'its device model')
    .option('--node <node>', 'the node it talks to (edge)')
    .option('-l, --label <k=v...>', 'labels')
    .option('--from-csv <file>', 'register every device of a CSV file (all or nothing)')
    .action(async (name: string | undefined, o: { model?: string; node?: string; label?: string[]; fromCsv?: string }) => {
      if (o.fromCsv) {
        if (name) throw new CliError('give a NAME or --from-csv, not both');
        const text = await readFile(o.fromCsv, 'utf8').catch((e: NodeJS.ErrnoException) => {
          throw new CliError(`cannot read ${o.fromCsv}: ${e.code ?? e.message}`);
        });
        const devices = parseDevicesCsv(text).map((d) => ({ ...(o.model && !d.model ? { model: o.model } : {}), ...d }));
        const r = await ctx.client().request<{ created: number }>('POST', '/v1/devices/bulk', { devices });
        ctx.out(r, () => `${r.created} devices registered`);
        return;
      }
      if (!name) throw new CliError('give a device NAME (or --from-csv FILE)');
      if (!o.model) throw new CliError('--model is required');
      const d = await ctx.client().request<DeviceInfo>('POST', '/v1/devices', { name, model: o.model, ...(o.node ? { node: o.node } : {}), ...(o.label ? { labels: keyValues(o.label, '--label') } : {}) });
      ctx.out(d, () => d.name);
    });
  dev
    .command('ls')
    .alias('list')
    .description('list devices with their online state and pending delta')
    .option('-m, --model <model>', 'only devices of this model')
    .option('-l, --label <k=v...>', 'only devices with these labels')
    .option('-q, --quiet', 'only names')
    .action(async (o: { model?: string; label?: string[]; quiet?: boolean }) => {
      const q = new URLSearchParams();
      if (o.model) q.set('model', o.model);
      if (o.label) q.set('labels', o.label.join(','));
      const { devices } = await ctx.client().request<{ devices: DeviceInfo[] }>('GET', `/v1/devices${q.size ? `?${q}` : ''}`);
      ctx.out(devices, () =>
        o.quiet
          ? devices.map((d) => d.name).join('\n')
          : table(devices, [
              { header: 'NAME', get: (d) => d.name },
              { header: 'MODEL', get: (d) => d.model },
              { header: 'ONLINE', get: (d) => (d.online ? 'yes' : 'no') },
              { header: 'LAST SEEN', get: (d) => (d.lastSeen ? ago(d.lastSeen) : '-') },
              { header: 'DELTA', get: (d) => fmt(d.delta) || '-' },
              { header: 'LABELS', get: (d) => fmt(d.labels) },
            ]),
      );
    });
  dev
    .command('inspect <name>')
    .description('a device: reported, desired, delta, online, last seen')
    .action(async (name: string) => {
      const d = await ctx.client().request<DeviceInfo>('GET', `/v1/devices/${enc(name)}`);
      ctx.out(d, () =>
        [
          `name:      ${d.name}`,
          `model:     ${d.model}`,
          `node:      ${d.node || '(this node)'}`,
          `labels:    ${fmt(d.labels) || '-'}`,
          `online:    ${d.online ? 'yes' : 'no'}`,
          `last seen: ${d.lastSeen ?? 'never'}`,
          `reported:  ${fmt(d.reported) || '-'} (version ${d.reportedVersion})`,
          `desired:   ${fmt(d.desired) || '-'} (version ${d.desiredVersion})`,
          `delta:     ${fmt(d.delta) || '-'}`,
        ].join('\n'),
      );
    });
  dev
    .command('rm <names...>')
    .alias('remove')
    .description('remove devices (their credentials stop working)')
    .action(async (names: string[]) => {
      for (const n of names) await ctx.client().request('DELETE', `/v1/devices/${enc(n)}`);
      ctx.out({ removed: names }, () => names.join('\n'));
    });
  dev
    .command('credentials <name>')
    .description('issue MQTT credentials for a device, shown once: a new password (the previous one stops working), or with --cert a client certificate')
    .option('--cert', 'a client certificate and key instead of a password (the previous certificate is revoked)')
    .option('--out <dir>', 'with --cert: write NAME.crt, NAME.key and ca.crt there (0600) instead of printing them')
    .action(async (name: string, o: { cert?: boolean; out?: string }) => {
      if (o.out && !o.cert) throw new CliError('--out goes with --cert');
      const c = await ctx.client().request<DeviceCredentials>('POST', `/v1/devices/${enc(name)}/credentials${o.cert ? '?type=certificate' : ''}`);
      if (o.out && c.cert && c.key && c.ca) {
        await mkdir(o.out, { recursive: true });
        for (const [f, text] of [[`${name}.crt`, c.cert], [`${name}.key`, c.key], ['ca.crt', c.ca]] as const) await writeFile(path.join(o.out, f), text, { mode: 0o600 });
        ctx.out({ username: c.username, url: c.url, files: [`${name}.crt`, `${name}.key`, 'ca.crt'].map((f) => path.join(o.out!, f)) }, () => `username: ${c.username}\nurl:      ${c.url}\nwritten:  ${path.join(o.out!, `${name}.{crt,key}`)}, ${path.join(o.out!, 'ca.crt')}`);
        return;
      }
      ctx.out(c, () => [`username: ${c.username}`, ...(c.password ? [`password: ${c.password}`] : []), `url:      ${c.url}`, ...(c.caFile ? [`ca file:  ${c.caFile}`] : []), ...(c.cert ? ['', c.cert.trim(), c.key!.trim()] : [])].join('\n'));
    });
  dev
    .command('set <name> <props...>')
    .description('set desired state: PROP=VALUE ... (readwrite properties; checked against the model)')
    .action(async (name: string, props: string[]) => {
      const d = await ctx.client().request<DeviceInfo>('POST', `/v1/devices/${enc(name)}/desired`, { state: keyValues(props, 'property') });
      ctx.out(d, () => `${d.name}: desired ${fmt(d.desired)} (version ${d.desiredVersion}); delta ${fmt(d.delta) || '-'}`);
    });
  dev
    .command('telemetry <name>')
    .description("a device's telemetry, per property")
    .option('--since <duration>', 'only points newer than this (e.g. 10m, 1h)', '1h')
    .action(async (name: string, o: { since: string }) => {
      const t = await ctx.client().request<DeviceTelemetry>('GET', `/v1/devices/${enc(name)}/telemetry?since=${enc(o.since)}`);
      ctx.out(t, () => {
        const rows = Object.entries(t.series).flatMap(([property, pts]) => pts.map((p) => ({ property, ...p })));
        rows.sort((a, b) => a.t - b.t);
        return rows.length
          ? table(rows, [
              { header: 'TIME', get: (r) => new Date(r.t).toISOString() },
              { header: 'PROPERTY', get: (r) => r.property },
              { header: 'VALUE', get: (r) => String(r.v) },
              { header: 'MAX', get: (r) => (r.max !== undefined ? String(r.max) : '') },
            ])
          : `no telemetry from ${name} since ${o.since} ago`;
      });
    });
}
