// The agent's side of cluster networking: its pod subnet goes with the join (absent: the server
// allocates one, and the bridge moves onto it, network/cluster-subnet.ts), and it watches the cluster's network map (a long-poll on
// GET /v1/cluster/agent/network/watch with the version it holds; an older server without it is
// polled at each lease interval), handing each map to the network module, which keeps the routes
// to the other nodes' pod subnets and the service ports on this node. Every map is also saved in
// the agent's directory, so an agent that restarts while the server is unreachable serves its
// services' ports again from the last map it had (edge autonomy) until the server answers.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { networkWatchAnswerSchema, networkWatchPath, type NetworkWatchAnswer } from '../../contracts/cluster-watch.js';
import type { ClusterNetworkMap, ClusterRoutingApi } from '../../contracts/network.js';
import { errorMessage, NotFound } from '../../kernel/errors.js';
import type { InitContext } from '../../kernel/module.js';
import { callServer } from './http.js';
import { replaceFile } from '../../kernel/replace-file.js';

/** How long the server may hold one watch request. */
const waitSeconds = 25;
/** The agent's saved copy of the last map (module dir). */
export const MAP_FILE = 'network-map.json';

export interface NetworkSync {
  /** The pod subnet to ask for at join (undefined: the server allocates one). */
  readonly podSubnet: string | undefined;
  /** Applies the map the last run saved (at boot, before the server is reached). */
  restore(): Promise<void>;
  /** Starts watching with the node's credential; first moves the bridge onto the subnet the server gave, when it differs. */
  start(joined: { credential: string; ca: string; leaseIntervalMs: number; podSubnet?: string }): void;
  /** The server answers again: the pending request (hung on the dead link) is dropped and a new one sent at once. */
  kick(): void;
  stop(): void;
}

export function agentNetworkSync(ctx: InitContext<unknown>, server: URL, routing: ClusterRoutingApi | undefined): NetworkSync {
  let stopped = false;
  let pending: AbortController | undefined;
  let wake: (() => void) | undefined;
  let restored: Promise<void> | undefined;
  let version = '';
  let applied: ClusterNetworkMap | undefined;
  let intervalMs = 10_000;
  let settleUntil = 0;
  let settleTimer: NodeJS.Timeout | undefined;
  routing?.claim('agent');
  const file = path.join(ctx.dir, MAP_FILE);

  const save = (a: NetworkWatchAnswer) => replaceFile(file, JSON.stringify(a) + '\n');
  /** Waits ms, or less when kicked or stopped. */
  const pause = (ms: number) => new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      wake = undefined;
      resolve();
    }
    wake = done;
  });

  /**
   * Right after a reconnect the server's view of this node is stale (its replicas not yet probed
   * ready again through the new tunnel), so a map may lack this node's own endpoints of a service
   * it still lists: for a few lease intervals those endpoints are kept from the last map, and the
   * map is asked for again when the window ends. A service the server removed goes at once.
   */
  const keepOwn = (next: ClusterNetworkMap): ClusterNetworkMap => {
    if (!applied || Date.now() >= settleUntil) return next;
    const prev = applied;
    const services = next.services.map((s) => {
      if (s.endpoints.some((e) => e.node === next.self)) return s;
      const mine = prev.services.find((p) => p.namespace === s.namespace && p.name === s.name)?.endpoints.filter((e) => e.node === next.self) ?? [];
      return mine.length ? { ...s, endpoints: [...s.endpoints, ...mine] } : s;
    });
    return { ...next, services };
  };
  const ask = () => {
    pending?.abort();
    wake?.();
  };

  const loop = async (joined: { credential: string; ca: string; leaseIntervalMs: number }) => {
    let watch = true;
    let failures = 0;
    const auth = { credential: joined.credential, ca: joined.ca };
    while (!stopped && routing) {
      pending = new AbortController();
      try {
        let a: NetworkWatchAnswer;
        if (watch) {
          a = await callServer<NetworkWatchAnswer>(server, { method: 'GET', path: `${networkWatchPath}?since=${encodeURIComponent(version)}&waitSeconds=${waitSeconds}`, ...auth, timeoutMs: (waitSeconds + 10) * 1000, signal: pending.signal });
        } else {
          const map = await callServer<ClusterNetworkMap>(server, { method: 'GET', path: '/v1/cluster/agent/network', ...auth, signal: pending.signal });
          a = { version: JSON.stringify(map), map };
        }
        if (stopped) return;
        // Applied at every answer, changed or not: apply() also puts back routes deleted by hand.
        const map = keepOwn(a.map);
        await routing.apply(map, 'agent');
        applied = map;
        if (a.version !== version) await save({ version: a.version, map }).catch((e) => ctx.log.warn(`agent: network map not saved: ${errorMessage(e)}`));
        version = a.version;
        if (failures) ctx.log.info('agent: cluster network map applied again');
        failures = 0;
        if (!watch) await pause(Math.min(joined.leaseIntervalMs, 10_000));
      } catch (e) {
        if (stopped) return;
        if (watch && e instanceof NotFound) {
          ctx.log.info('agent: the server has no network map watch; polling it');
          watch = false;
          continue;
        }
        if (pending.signal.aborted) continue; // kicked: ask again at once
        if (!failures) ctx.log.error(`agent: cluster network map not applied (the last one stays): ${errorMessage(e)}`);
        failures++;
        // The lease loop kicks this as soon as the server answers it again.
        await pause(Math.min(10_000, 500 * 2 ** Math.min(5, failures)));
      }
    }
  };

  /** Before any map: the map's routes and rules are built around this node's own subnet. */
  const adopt = async (subnet: string | undefined) => {
    if (!routing || !subnet || subnet === routing.podSubnet()) return;
    try {
      await routing.adoptPodSubnet(subnet);
    } catch (e) {
      ctx.log.error(`agent: ${errorMessage(e)}`);
    }
  };

  return {
    get podSubnet() {
      return routing?.podSubnet();
    },
    restore() {
      restored ??= (async () => {
        if (!routing) return;
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch {
          return; // never had one
        }
        const a = networkWatchAnswerSchema.safeParse(JSON.parse(text));
        if (!a.success) return ctx.log.warn(`agent: ignoring ${file}: not a network map`);
        version = a.data.version;
        await routing.apply(a.data.map, 'agent');
        applied = a.data.map;
        ctx.log.info(`agent: applied the network map saved by the last run (${a.data.map.services.length} services, ${a.data.map.nodes.length} nodes)`);
      })().catch((e) => ctx.log.warn(`agent: the saved network map was not applied: ${errorMessage(e)}`));
      return restored;
    },
    start(joined) {
      if (!routing) return;
      intervalMs = joined.leaseIntervalMs;
      void this.restore().then(() => adopt(joined.podSubnet)).then(() => loop(joined));
    },
    kick() {
      const windowMs = 3 * Math.max(1000, intervalMs);
      settleUntil = Date.now() + windowMs;
      clearTimeout(settleTimer);
      settleTimer = setTimeout(ask, windowMs + 50);
      settleTimer.unref();
      ask();
    },
    stop() {
      stopped = true;
      clearTimeout(settleTimer);
      pending?.abort();
      wake?.();
    },
  };
}
