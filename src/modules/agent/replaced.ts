// The agent's side of "replaced workloads" (issue 20): while this node was NotReady past a
// service's toleration, the server replaced some of its replicas on other nodes. At start and at
// each lease interval (1-10 s) the agent asks which (GET /v1/cluster/agent/replaced), stops and removes
// exactly those on this node, keeps everything else, and reports them done (POST), so the
// service is back to its desired count within one interval of the node's return.
import type { ContainersApi } from '../../contracts/containers.js';
import type { ReplacedWorkload } from '../../contracts/cluster.js';
import { Kinds } from '../../contracts/kinds.js';
import { errorMessage, isNotFound } from '../../kernel/errors.js';
import { faultPoint } from '../../kernel/faults.js';
import type { InitContext } from '../../kernel/module.js';
import { callServer } from './http.js';

export interface ReplacedSync {
  start(): void;
  stop(): void;
  /** One round now: fetch, stop, report (for start and tests). */
  once(): Promise<number>;
}

export function agentReplacedSync(ctx: InitContext<unknown>, server: URL, joined: { credential: string; ca: string; leaseIntervalMs: number }): ReplacedSync {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failing = false;
  const containers = () => ctx.getOptional<ContainersApi>(Kinds.containers);
  const stopOne = async (api: ContainersApi, w: ReplacedWorkload): Promise<boolean> => {
    try {
      // Killed here, the next agent asks again: the record goes only once the container is gone.
      faultPoint('agent.replaced.stop');
      await api.stop(w.id, { timeoutSeconds: 5 }).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      await api.remove(w.id, { force: true }).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
      ctx.log.info(`agent: stopped ${w.name} (${w.owner}): ${w.reason}`);
      ctx.events.publish({ topic: '/nodes/replaced-stopped', subject: `container/${w.name}`, message: `stopped ${w.name} of ${w.owner}: it was replaced on another node while this node was NotReady` });
      return true;
    } catch (e) {
      ctx.log.warn(`agent: cannot stop replaced workload ${w.name}: ${errorMessage(e)}`);
      return false;
    }
  };
  const once = async (): Promise<number> => {
    const api = containers();
    if (!api) return 0;
    const { workloads } = await callServer<{ workloads: ReplacedWorkload[] }>(server, { method: 'GET', path: '/v1/cluster/agent/replaced', credential: joined.credential, ca: joined.ca });
    if (!workloads.length) return 0;
    const done: string[] = [];
    for (const w of workloads) if (await stopOne(api, w)) done.push(w.id);
    faultPoint('agent.replaced.report');
    if (done.length) await callServer(server, { method: 'POST', path: '/v1/cluster/agent/replaced', body: { ids: done }, credential: joined.credential, ca: joined.ca });
    return done.length;
  };
  const tick = async () => {
    try {
      await once();
      if (failing) ctx.log.info('agent: replaced workloads checked again');
      failing = false;
    } catch (e) {
      if (!failing) ctx.log.warn(`agent: cannot check replaced workloads: ${errorMessage(e)}`);
      failing = true;
    }
    // Every lease interval, between 1 s and 10 s: a test's sub-second leases need not double the agent's calls.
    if (!stopped) timer = setTimeout(() => void tick(), Math.min(Math.max(joined.leaseIntervalMs, 1000), 10_000));
  };
  return {
    start() {
      timer = setTimeout(() => void tick(), 0);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    once,
  };
}
