// Nodes (issue 19): the cluster's nodes with status, roles, zone/cloud, pod subnet, capacity and
// what is allocated of it, workloads, agent version and heartbeat age; cordon and uncordon.
import { ApiError, api, get, type ApiAnswer } from '../api.js';
import { ago, badge, bytes, card, h, meter, render, table, toast } from '../dom.js';
import { load, type Page } from '../page.js';

type Node = ApiAnswer<'/v1/nodes'>['nodes'][number];

const cpu = (m: number): string => `${(m / 1000).toLocaleString(undefined, { maximumFractionDigits: 2 })}`;

export const nodesPage: Page = (ctx) => {
  const list = h('div');
  const summary = h('p', { class: 'muted small' });
  ctx.root.append(h('div', { class: 'grid' }, h('div', { class: 'span-12' }, card('Nodes', summary, list))));

  const setCordon = async (n: Node, unschedulable: boolean) => {
    try {
      await api('PATCH', `/v1/nodes/${encodeURIComponent(n.name)}`, { unschedulable });
      toast(`${n.name} ${unschedulable ? 'cordoned' : 'uncordoned'}`);
    } catch (e) {
      toast(e instanceof ApiError ? e.message : String(e), 'bad');
    }
    void refresh();
  };

  const refresh = () =>
    load(list, 'Nodes', () => get<ApiAnswer<'/v1/nodes'>>('/v1/nodes'), (r) => {
      const ready = r.nodes.filter((n) => n.status === 'Ready').length;
      render(summary, r.nodes.length ? `${ready} of ${r.nodes.length} nodes Ready` : '');
      render(
        list,
        table(
          r.nodes,
          [
            { header: 'Name', cell: (n) => h('strong', null, n.name) },
            { header: 'Status', cell: (n) => h('span', { dataset: { status: n.name } }, badge(n.status, n.status === 'Ready' ? 'good' : 'bad'), n.unschedulable ? badge('Cordoned', 'warn') : '') },
            { header: 'Roles', cell: (n) => n.roles.join(', ') },
            { header: 'Zone / cloud', cell: (n) => `${n.zone || '-'} / ${n.cloud || '-'}` },
            { header: 'Pod subnet', cell: (n) => h('span', { class: 'mono' }, n.podSubnet || '-') },
            { header: 'CPU allocated / allocatable', cell: (n) => h('div', null, `${cpu(n.allocated.cpu)} / ${cpu(n.allocatable.cpu)} cores`, meter(n.allocated.cpu, n.allocatable.cpu)) },
            { header: 'Memory allocated / allocatable', cell: (n) => h('div', null, `${bytes(n.allocated.memory)} / ${bytes(n.allocatable.memory)}`, meter(n.allocated.memory, n.allocatable.memory)) },
            { header: 'Pods', cell: (n) => h('span', { dataset: { pods: n.name } }, String(n.workloads)) },
            { header: 'Agent', cell: (n) => n.agentVersion },
            { header: 'Last heartbeat', cell: (n) => h('span', { dataset: { heartbeat: n.name } }, n.lastHeartbeat ? ago(n.lastHeartbeat) : 'never') },
            {
              header: '',
              cell: (n) =>
                n.unschedulable
                  ? h('button', { dataset: { action: 'uncordon', node: n.name }, onclick: () => void setCordon(n, false) }, 'Uncordon')
                  : h('button', { dataset: { action: 'cordon', node: n.name }, onclick: () => void setCordon(n, true) }, 'Cordon'),
            },
          ],
          { empty: 'No nodes yet: `llmos token create` here, then `llmos up --join https://SERVER:7070 --token T` on each machine.', rowKey: (n) => n.name },
        ),
      );
    });

  ctx.every(5000, refresh);
};
