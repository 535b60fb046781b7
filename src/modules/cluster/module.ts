// Registration of the cluster control plane: join tokens, node registration and leases. It runs on
// every server (SQLite or etcd); it does nothing until a token is created and an agent joins.
import { Kinds } from '../../contracts/kinds.js';
import { clusterKind, type ClusterApi } from '../../contracts/cluster.js';
import type { StateStore } from '../../contracts/state-store.js';
import { ensureCa } from '../../kernel/cluster-ca.js';
import { InvalidArgument, errorMessage } from '../../kernel/errors.js';
import type { ModuleDef } from '../../kernel/module.js';
import { JoinTokens } from './tokens.js';
import { NodeRegistry, type NodeTiming } from './nodes.js';
import { NodeMonitor } from './node-monitor.js';

export type ClusterConfig = NodeTiming;

export const clusterDefaults: ClusterConfig = { leaseIntervalMs: 10_000, leaseGraceMs: 40_000 };

export const clusterModule = (): ModuleDef<ClusterConfig, ClusterApi> => ({
  kind: clusterKind,
  id: 'server',
  description: 'cluster control plane: join tokens, nodes and their leases',
  requires: [Kinds.stateStore],
  defaults: clusterDefaults,
  validate(c) {
    if (!Number.isInteger(c.leaseIntervalMs) || c.leaseIntervalMs < 100) throw new InvalidArgument('cluster.leaseIntervalMs must be an integer >= 100');
    if (!Number.isInteger(c.leaseGraceMs) || c.leaseGraceMs < c.leaseIntervalMs) throw new InvalidArgument('cluster.leaseGraceMs must be an integer >= leaseIntervalMs');
    return c;
  },
  init(ctx) {
    const store = ctx.getSingle<StateStore>(Kinds.stateStore);
    const ca = async () => (await ensureCa(ctx.dataDir)).certPem;
    const tokens = new JoinTokens(store, async () => (await ensureCa(ctx.dataDir)).hash);
    const nodes = new NodeRegistry(store, ctx.config);
    ctx.meta.exports.leaseIntervalMs = ctx.config.leaseIntervalMs;
    ctx.meta.exports.leaseGraceMs = ctx.config.leaseGraceMs;
    const monitor = new NodeMonitor();
    ctx.reconciler.register('cluster/node-monitor', async () => {
      for (const c of monitor.changes(await nodes.list())) {
        const topic = c.status === 'Ready' ? '/nodes/ready' : '/nodes/not-ready';
        ctx.events.publish({ topic, subject: `node/${c.name}`, message: `node ${c.name} is ${c.status}${c.status === 'NotReady' ? ` (last heartbeat ${c.lastHeartbeat ?? 'never'})` : ''}` });
        if (c.status === 'NotReady') ctx.log.warn(`cluster: node ${c.name} is NotReady (last heartbeat ${c.lastHeartbeat ?? 'never'})`);
      }
    }, ctx.config.leaseIntervalMs);
    const refused = (name: string, from: string, e: unknown): never => {
      ctx.log.warn(`cluster: refused join of node ${name} from ${from}: ${errorMessage(e)}`);
      ctx.events.publish({ topic: '/nodes/refused', subject: `node/${name}`, message: `join of node ${name} from ${from} refused: ${errorMessage(e)}` });
      throw e;
    };
    return {
      ca,
      createToken: (req) => tokens.create(req),
      listTokens: () => tokens.list(),
      deleteToken: (id) => tokens.delete(id),
      async join(req, from) {
        try {
          await tokens.verify(req.token);
          const answer = await nodes.join(req, from);
          ctx.log.info(`cluster: node ${req.name} joined from ${from}`);
          ctx.events.publish({ topic: '/nodes/joined', subject: `node/${req.name}`, message: `node ${req.name} joined from ${from}` });
          return answer;
        } catch (e) {
          return refused(req.name, from, e);
        }
      },
      renew: (credential, report) => nodes.renew(credential, report),
      nodes: () => nodes.list(),
      node: (name) => nodes.get(name),
      updateNode: (name, patch) => nodes.update(name, patch),
      async removeNode(name) {
        await nodes.remove(name);
        ctx.events.publish({ topic: '/nodes/removed', subject: `node/${name}`, message: `node ${name} removed` });
      },
    };
  },
});
