// Devices (issue 21): the registry with online state and pending delta, one device's twin
// (reported, desired, delta) with a form to set desired state, and its telemetry charts.
import { ApiError, get, post, type ApiAnswer } from '../api.js';
import { ago, badge, card, h, render, table, toast } from '../dom.js';
import { timeChart, type LiveChart } from '../chart.js';
import { Series } from '../ring.js';
import { load, type Page } from '../page.js';

type Device = ApiAnswer<'/v1/devices'>['devices'][number];
type Telemetry = ApiAnswer<'/v1/devices/{name}/telemetry'>;

const kv = (o: Record<string, unknown>): string =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ') || '-';

export const devicesPage: Page = (ctx) => {
  const list = h('div');
  const detail = h('div', { class: 'muted' }, 'Pick a device to see its twin and telemetry.');
  const broker = h('p', { class: 'muted small' });
  ctx.root.append(h('div', { class: 'grid' }, h('div', { class: 'span-12' }, card('Devices', broker, list)), h('div', { class: 'span-12' }, card('Device', detail))));
  let selected: string | undefined;
  let charts: LiveChart[] = [];
  ctx.cleanup(() => charts.forEach((c) => c.destroy()));

  const setDesired = async (name: string, text: string) => {
    const state: Record<string, string> = {};
    for (const part of text.split(/\s+/).filter(Boolean)) {
      const i = part.indexOf('=');
      if (i < 1) return toast(`"${part}" is not PROP=VALUE`, 'bad');
      state[part.slice(0, i)] = part.slice(i + 1);
    }
    try {
      await post(`/v1/devices/${encodeURIComponent(name)}/desired`, { state });
      toast(`desired state of ${name} set`);
    } catch (e) {
      toast(e instanceof ApiError ? e.message : String(e), 'bad');
    }
    void showDevice(name);
  };

  const showDevice = async (name: string) => {
    selected = name;
    const ok = await load(detail, `device ${name}`, () => Promise.all([get<Device>(`/v1/devices/${encodeURIComponent(name)}`), get<Telemetry>(`/v1/devices/${encodeURIComponent(name)}/telemetry?since=1h`)]), ([d, t]) => {
      if (!ctx.alive() || selected !== name) return;
      charts.forEach((c) => c.destroy());
      charts = [];
      const input = h('input', { type: 'text', placeholder: 'setpoint=21 mode=heat', 'aria-label': 'desired state' });
      const chartBox = h('div');
      for (const [prop, pts] of Object.entries(t.series)) {
        const s = new Series([prop], Math.max(2, pts.length));
        for (const p of pts) s.push(p.t / 1000, [p.v]);
        const c = timeChart(s, { height: 160 });
        charts.push(c);
        chartBox.append(h('h3', null, prop), c.el);
        c.update();
      }
      render(
        detail,
        h('div', { dataset: { device: d.name } },
          h('p', null, h('strong', null, d.name), ` (${d.model}) `, badge(d.online ? 'online' : 'offline', d.online ? 'good' : 'bad'), ` last seen ${d.lastSeen ? ago(d.lastSeen) : 'never'}`),
          table(
            [
              ['reported', kv(d.reported), `v${d.reportedVersion}`],
              ['desired', kv(d.desired), `v${d.desiredVersion}`],
              ['delta', kv(d.delta), ''],
            ],
            [
              { header: 'State', cell: (r) => r[0] },
              { header: 'Values', cell: (r) => h('span', { class: 'mono', dataset: { twin: r[0] } }, r[1]) },
              { header: 'Version', cell: (r) => r[2] },
            ],
          ),
          h('form', { class: 'row', onsubmit: (e: Event) => (e.preventDefault(), void setDesired(d.name, input.value)) }, input, h('button', { class: 'primary', type: 'submit' }, 'Set desired')),
          Object.keys(t.series).length ? chartBox : h('p', { class: 'muted' }, 'No telemetry in the last hour.'),
        ),
      );
    });
    if (!ok) selected = undefined;
  };

  const refresh = () =>
    Promise.all([
      load(list, 'Devices', () => get<ApiAnswer<'/v1/devices'>>('/v1/devices'), (r) =>
        render(
          list,
          table(
            r.devices,
            [
              { header: 'Name', cell: (d) => h('a', { href: '#/devices', onclick: (e: Event) => (e.preventDefault(), void showDevice(d.name)) }, d.name) },
              { header: 'Model', cell: (d) => d.model },
              { header: 'Online', cell: (d) => badge(d.online ? 'online' : 'offline', d.online ? 'good' : 'bad') },
              { header: 'Last seen', cell: (d) => (d.lastSeen ? ago(d.lastSeen) : '-') },
              { header: 'Delta', cell: (d) => kv(d.delta) },
              { header: 'Labels', cell: (d) => kv(d.labels) },
            ],
            { empty: 'No devices yet: `llmos device create NAME --model M` or `llmos apply -f devices.yaml`.', rowKey: (d) => d.name },
          ),
        ),
      ),
      get<ApiAnswer<'/v1/iot/broker'>>('/v1/iot/broker').then(
        (b) => render(broker, `Broker ${b.url}${b.managed ? ' (managed mosquitto)' : ''}: ${b.connected ? 'connected' : 'not connected'}, ${b.received} messages, ${b.rejected} rejected, ${b.restarts} restarts`),
        () => render(broker, ''),
      ),
    ]).then(() => (selected ? showDevice(selected) : undefined));

  ctx.every(5000, refresh);
};
