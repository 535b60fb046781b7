// Registration of the cluster control plane: join tokens, node registration and leases. It runs on
// every server (SQLite or etcd); it does nothing until a token is created and an agent joins.
import { Kinds } from '../../contracts/kinds.js';
import { clusterKind, tunnelProtocol, type ClusterApi } from '../../contracts/cluster.js';
import { leaderKind, type LeaderApi } from '../../contracts/leader.js';
import type { StateStore } from '../../contracts/state-store.js';
import { ensureCa } from '../../kernel/cluster-ca.js';
import { InvalidArgument, errorMessage } from '../../kernel/errors.js';
import type { ModuleDef } from '../../kernel/module.js';
import { JoinTokens } from './tokens.js';
import { NodeRegistry, type NodeTiming } from './nodes.js';
import { NodeMonitor } from './node-monitor.js';
import { Tunnels } from './tunnels.js';
import { ReplacedWorkloads } from './replaced.js';
import { ContainerPlacer } from './container-placement.js';
import { ClusterContainersView } from './containers-view.js';
import type { SchedulerApi } from '../../contracts/scheduler.js';

/** evictionTimeoutMs: --eviction-timeout (a NotReady node's service replicas are replaced after it); leaseGraceMs is --node-grace. */
export type ClusterConfig = NodeTiming & { evictionTimeoutMs: number };

export const clusterDefaults: ClusterConfig = { leaseIntervalMs: 10_000, leaseGraceMs: 40_000, evictionTimeoutMs: 300_000 };

export const clusterModule = (): ModuleDef<ClusterConfig, ClusterApi> => {
  let tunnels: Tunnels | undefined;
  let backfill: (() => Promise<void>) | undefined;
  let registry: NodeRegistry | undefined;
  return {
    kind: clusterKind,
    id: 'server',
    description: 'cluster control plane: join tokens, nodes and their leases',
    requires: [Kinds.stateStore],
    // Plain containers are placed with its placeAcross (services and functions place their own).
    optional: [Kinds.scheduler, leaderKind],
    defaults: clusterDefaults,
    validate(c) {
      if (!Number.isInteger(c.leaseIntervalMs) || c.leaseIntervalMs < 100) throw new InvalidArgument('cluster.leaseIntervalMs must be an integer >= 100');
      if (!Number.isInteger(c.leaseGraceMs) || c.leaseGraceMs < c.leaseIntervalMs) throw new InvalidArgument('cluster.leaseGraceMs must be an integer >= leaseIntervalMs');
      if (!Number.isInteger(c.evictionTimeoutMs) || c.evictionTimeoutMs < 0) throw new InvalidArgument('cluster.evictionTimeoutMs (--eviction-timeout) must be an integer >= 0');
      return c;
    },
    init(ctx) {
      const store = ctx.getSingle<StateStore>(Kinds.stateStore);
      const ca = async () => (await ensureCa(ctx.dataDir)).certPem;
      const tokens = new JoinTokens(store, async () => (await ensureCa(ctx.dataDir)).hash);
      const nodes = new NodeRegistry(store, ctx.config);
      registry = nodes;
      ctx.meta.exports.leaseIntervalMs = ctx.config.leaseIntervalMs;
      ctx.meta.exports.leaseGraceMs = ctx.config.leaseGraceMs;
      ctx.meta.exports.evictionTimeoutMs = ctx.config.evictionTimeoutMs;
      const replaced = new ReplacedWorkloads(store);
      const monitor = new NodeMonitor();
      const placer = new ContainerPlacer();
      const view = new ClusterContainersView({ nodeClient: (n) => t.client(n), connectedNodes: () => t.names() });
      tunnels = new Tunnels(ctx.log, Math.max(1000, Math.min(5000, ctx.config.leaseIntervalMs)), (name, up) =>
        ctx.events.publish({ topic: up ? '/cluster/tunnel-open' : '/cluster/tunnel-closed', subject: `node/${name}`, message: `node ${name}'s tunnel ${up ? 'opened' : 'closed'}` }));
      const t = tunnels;
      backfill = async () => {
        const n = await nodes.backfillSubnetIndex().catch((e) => (ctx.log.warn(`cluster: could not index the nodes' pod subnets: ${errorMessage(e)}`), 0));
        if (n) ctx.log.info(`cluster: indexed ${n} pod subnet block(s) of nodes joined before the index existed`);
      };
      ctx.reconciler.register('cluster/node-monitor', async () => {
        if (ctx.getOptional<LeaderApi>(leaderKind)?.isLeader() === false) return; // the leader server watches the leases
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
        authenticateNode: async (credential) => (await nodes.authenticate(credential)).rec.name,
        nodes: async () => (await nodes.list()).map((n) => ({ ...n, connected: t.names().includes(n.name) })),
        node: async (name) => ({ ...(await nodes.get(name)), connected: t.names().includes(name) }),
        updateNode: (name, patch) => nodes.update(name, patch),
        async removeNode(name) {
          await nodes.remove(name);
          t.drop(name);
          await replaced.forget(name);
          ctx.events.publish({ topic: '/nodes/removed', subject: `node/${name}`, message: `node ${name} removed` });
        },
        nodeClient: (name) => t.client(name),
        connectedNodes: () => t.names(),
        containersView: (local) => view.over(local),
        async placeContainer(req) {
          const connected = new Set(t.names());
          const views = (await nodes.list()).map((n) => ({ ...n, connected: connected.has(n.name) }));
          return placer.place(ctx.getOptional<SchedulerApi>(Kinds.scheduler), views, req);
        },
        async acceptTunnel(credential, socket, head) {
          const { rec } = await nodes.authenticate(credential);
          socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${tunnelProtocol}\r\n\r\n`);
          t.accept(rec.name, socket, head);
          return rec.name;
        },
        evictionTimeoutMs: ctx.config.evictionTimeoutMs,
        markReplaced: (node, workloads) => replaced.mark(node, workloads),
        replaced: (node) => replaced.list(node),
        replacedDone: (node, ids) => replaced.done(node, ids),
      };
    },
    // In the background: a store that is slow to answer must not hold up boot.
    start() {
      void backfill?.();
    },
    stop() {
      tunnels?.closeAll();
      registry?.close();
    },
  };
};
