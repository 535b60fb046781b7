// Registration of the node agent (`llmos up --join URL --token T`). At boot it joins the server
// (a refusal aborts boot with the server's one-line reason) or resumes with the credential saved by
// an earlier run. An agent is a full daemon with its own SQLite store: its workloads, their
// restart policies and the last network map are local, so it never needs the server to boot or
// to keep running (edge autonomy, as OpenYurt's and KubeEdge's). With the server unreachable at
// boot it starts anyway and the join or renewal is retried in the background; see lease.ts for
// the renewals and the reconnect.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kinds } from '../../contracts/kinds.js';
import { agentKind, nodeNameSchema, labelsSchema, taintSchema, type AgentLink, type Taint } from '../../contracts/cluster.js';
import type { ImagesApi } from '../../contracts/images.js';
import { InvalidArgument, Unauthenticated, Unavailable, errorMessage } from '../../kernel/errors.js';
import type { ModuleDef } from '../../kernel/module.js';
import { joinServer, type Joined } from './join.js';
import { callServer } from './http.js';
import { loadCredential, renewLease, saveCredential } from './credential.js';
import { LeaseLoop } from './lease.js';
import { nodeReport } from './report.js';
import { agentNetworkSync, type NetworkSync } from './network-sync.js';
import type { ClusterRoutingApi } from '../../contracts/network.js';
import { agentReplacedSync, type ReplacedSync } from './replaced.js';
import { AgentTunnel, type LocalApi } from './tunnel.js';
import type { JoinRequest } from '../../contracts/cluster.js';

export interface AgentConfig {
  /** The server's API URL, https://SERVER:7070. */
  server: string;
  token: string;
  /** '' = the host name. */
  nodeName: string;
  labels: Record<string, string>;
  taints: Taint[];
}

export interface AgentApi extends AgentLink {
  readonly server: string;
  /** Time of the last lease the server accepted (ISO), or undefined. */
  lastRenewal(): string | undefined;
}

/** A random id for this data dir, made once: the same node name from another data dir is another machine. */
async function machineId(dir: string): Promise<string> {
  const file = path.join(dir, 'machine-id');
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{32}$/.test(id)) return id;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const id = randomBytes(16).toString('hex');
  await writeFile(file, id + '\n', { mode: 0o600 });
  return id;
}

/** Back-off of a join retried in the background: 1 s doubling to 15 s. */
const joinRetryMs = (attempt: number) => Math.min(15_000, 1000 * 2 ** Math.min(4, attempt));

export const agentModule = (): ModuleDef<AgentConfig, AgentApi> => {
  let net: NetworkSync | undefined;
  let lease: LeaseLoop | undefined;
  let tunnel: AgentTunnel | undefined;
  let joinTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  let replaced: ReplacedSync | undefined;
  let begin: (() => void) | undefined;
  return {
    kind: agentKind,
    id: 'default',
    description: 'node agent: joined to a cluster server, renews its node lease, runs on while the server is away',
    requires: [Kinds.stateStore],
    optional: [Kinds.images, Kinds.functions, Kinds.network, Kinds.api, Kinds.containers],
    defaults: { server: '', token: '', nodeName: '', labels: {}, taints: [] },
    validate(c) {
      let url: URL;
      try {
        url = new URL(c.server);
      } catch {
        throw new InvalidArgument(`--join ${JSON.stringify(c.server)}: expected https://SERVER:PORT`);
      }
      if (url.protocol !== 'https:') throw new InvalidArgument(`--join ${c.server}: the server must be https:// (agents talk TLS with the cluster CA)`);
      if (!c.token) throw new InvalidArgument('--join needs --token (from llmos token create on the server)');
      const nodeName = c.nodeName || os.hostname().toLowerCase();
      const n = nodeNameSchema.safeParse(nodeName);
      if (!n.success) throw new InvalidArgument(`node name ${JSON.stringify(nodeName)}: ${n.error.issues[0]?.message ?? 'invalid'} (set --node-name)`);
      const l = labelsSchema.safeParse(c.labels);
      if (!l.success) throw new InvalidArgument(`--node-label: ${l.error.issues[0]?.message ?? 'invalid'}`);
      if (!Array.isArray(c.taints) || !c.taints.every((t) => taintSchema.safeParse(t).success)) throw new InvalidArgument('agent.taints: expected [{key, value?, effect}]');
      return { ...c, nodeName };
    },
    async init(ctx) {
      const server = new URL(ctx.config.server);
      const name = ctx.config.nodeName;
      const sync = agentNetworkSync(ctx, server, ctx.getOptional<{ clusterRouting?: ClusterRoutingApi }>(Kinds.network)?.clusterRouting);
      net = sync;
      const report = () => nodeReport(ctx, ctx.getOptional<ImagesApi>(Kinds.images), ctx.getOptional(Kinds.functions) !== undefined);
      const request = async (): Promise<JoinRequest> => ({
        token: ctx.config.token,
        name,
        machineId: await machineId(ctx.dir),
        labels: ctx.config.labels,
        taints: ctx.config.taints,
        report: await report(),
        ...(sync.podSubnet ? { podSubnet: sync.podSubnet } : {}),
      });
      const join = async (): Promise<Joined> => {
        const j = await joinServer(server, await request());
        await saveCredential(ctx.dir, server, j);
        ctx.log.info(`agent: joined ${server.origin} as node ${j.name}`);
        return j;
      };
      let joined: Joined | undefined;
      let offline = false;
      const saved = await loadCredential(ctx.dir, server, name, ctx.config.token);
      if (saved) {
        try {
          // Bounded: a cut link (packets dropped) must not hold the boot; the lease loop keeps trying.
          const r = await renewLease(server, saved, await report(), 3000);
          joined = { name, credential: saved.credential, ca: saved.ca, leaseIntervalMs: r.leaseIntervalMs, ...(saved.podSubnet ? { podSubnet: saved.podSubnet } : {}) };
          ctx.log.info(`agent: rejoined with its saved credential ${server.origin} as node ${name}`);
        } catch (e) {
          // Unauthenticated: removed from the cluster (llmos node rm), join again with the token.
          if (e instanceof Unavailable) {
            joined = { name, credential: saved.credential, ca: saved.ca, leaseIntervalMs: saved.leaseIntervalMs ?? 10_000, ...(saved.podSubnet ? { podSubnet: saved.podSubnet } : {}) };
            offline = true;
            ctx.log.warn(`agent: ${errorMessage(e)}; running node ${name} from its local store, renewing in the background`);
          } else if (!(e instanceof Unauthenticated)) throw e;
        }
      }
      if (!joined) {
        try {
          joined = await join();
        } catch (e) {
          if (!(e instanceof Unavailable)) throw e; // a refusal: one line, boot aborts
          ctx.log.warn(`agent: ${errorMessage(e)}; joining in the background`);
        }
      }
      ctx.meta.exports.server = server.origin;
      ctx.meta.exports.nodeName = name;
      const joinedAt = new Date().toISOString();
      // The server reaches this node's API through the tunnel this agent opens.
      const localApi = ctx.getOptional<LocalApi>(Kinds.api);
      const openTunnel = (j: Joined) => {
        tunnel?.stop();
        tunnel = new AgentTunnel({ server, credential: j.credential, ca: j.ca, local: () => localApi, log: ctx.log });
        tunnel.start();
      };
      const session = (j: Joined, wasOffline: boolean) => {
        if (stopped) return;
        lease = new LeaseLoop({
          intervalMs: j.leaseIntervalMs,
          offline: wasOffline,
          renew: async (timeoutMs) => renewLease(server, j, await report(), timeoutMs),
          onDown: (e) => ctx.log.error(`agent: lease renewal failed (node ${j.name}): ${errorMessage(e)}; its workloads keep running`),
          onReconnect: (downMs) => {
            ctx.log.info(`agent: lease renewed again (node ${j.name}, after ${Math.round(downMs / 1000)} s)`);
            sync.kick();
            // The server has closed a tunnel that missed its pings; this end may not notice for minutes (TCP keepalive).
            if (downMs >= 5000) openTunnel(j);
          },
        });
        lease.start();
        sync.start(j);
        openTunnel(j);
        replaced?.stop();
        replaced = agentReplacedSync(ctx, server, j);
        replaced.start();
      };
      begin = () => {
        void sync.restore();
        if (joined) return session(joined, offline);
        let attempt = 0;
        const retry = () => {
          joinTimer = setTimeout(() => {
            join().then((j) => {
              joined = j;
              session(j, false);
            }, (e) => {
              if (attempt++ === 0 || !(e instanceof Unavailable)) ctx.log.error(`agent: join of ${server.origin} failed: ${errorMessage(e)}; retrying`);
              if (!stopped) retry();
            });
          }, joinRetryMs(attempt));
        };
        retry();
      };
      return {
        nodeName: name,
        server: server.origin,
        lastRenewal: () => lease?.lastRenewal() ?? (joined && !offline ? joinedAt : undefined),
        // Other modules' calls with the node credential (the iot edge sync).
        callServer: <T>(method: string, p: string, body?: unknown, timeoutMs?: number): Promise<T> => {
          if (!joined) return Promise.reject(new Unavailable(`node ${name} has not joined ${server.origin} yet`));
          // The signal bounds the whole call (the socket timeout alone let a connect hang through a partition).
          return callServer<T>(server, { method, path: p, body, credential: joined.credential, ca: joined.ca, ...(timeoutMs ? { timeoutMs, signal: AbortSignal.timeout(timeoutMs) } : {}) });
        },
      };
    },
    start() {
      begin?.();
    },
    stop() {
      stopped = true;
      clearTimeout(joinTimer);
      net?.stop();
      lease?.stop();
      tunnel?.stop();
      replaced?.stop();
    },
  };
};
