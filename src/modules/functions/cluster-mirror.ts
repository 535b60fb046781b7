// Cluster mode, on the server: every function deployed here is copied to each connected node that
// runs the functions module (its agent reports the `isolate` runtime), so that node's gateway runs
// it locally, near its callers (edge compute), with its own pool: scale to zero and cold starts
// per node. Image functions go only to nodes that also run containers (`runc`). A node without
// the functions module is never sent a function, so it never gets an invocation.
// The copy is deployed through the node's own API (its tunnel) with `origin` set to the server's
// version and the code already bundled; a pass compares each node's list with the server's and
// deploys what is missing or older and deletes copies of functions the server no longer has. A
// pass runs at each deploy/remove here and every intervalMs, so a function deleted on the server
// stops answering on every connected node within about one interval; a node whose tunnel is down
// catches up when it reconnects. Functions that use secrets, triggers stay on the server.
import type { Logger } from 'pino';
import type { ClusterApi, NodeView } from '../../contracts/cluster.js';
import type { DeployInput, FunctionInfo, FunctionSpec, InstanceInfo } from '../../contracts/functions.js';
import { errorMessage } from '../../kernel/errors.js';
import { CoalescedRun } from '../../kernel/coalesce.js';

export interface MirroredFunction {
  spec: FunctionSpec;
  /** The bundled isolate code (absent for image functions). */
  code?: string;
}

export interface ClusterMirrorOptions {
  cluster: () => ClusterApi | undefined;
  functions: () => Iterable<MirroredFunction>;
  intervalMs: number;
  log: Logger;
  /** Each pass also gets each node's containers (for the remote-instance sweep). */
  onNodePass?: (node: string) => Promise<void>;
}

/** The server version a node's copy must carry: a delete and redeploy (version 1 again) differs by createdAt. */
export const originOf = (s: FunctionSpec): string => `${s.createdAt}#${s.version}`;

/** Whether a function can run as a copy on a node, or why not (then it stays on the server). */
export function mirrorable(s: FunctionSpec): string | undefined {
  if (s.secrets.length) return 'it uses secrets, which stay on the server';
  if (s.kv.some((k) => k.startsWith('@queue:'))) return 'it produces to queues, which live on the server';
  return undefined;
}

/** The deploy request of a node's copy. Triggers (cron, MQTT, device rules) fire on the server only. Pure. */
export function copyInput(s: FunctionSpec): DeployInput {
  return {
    name: s.name,
    namespace: s.namespace,
    ...(s.image ? { image: s.image, port: s.port } : {}),
    memory: s.memory,
    timeout: s.timeoutMs,
    cpu: s.cpuMs,
    concurrency: s.concurrency,
    min: s.min,
    max: s.max,
    queue: s.queue,
    queueWait: s.queueWaitMs,
    bodyLimit: s.bodyLimit,
    env: s.env,
    keepAlive: s.keepAlive,
    asyncTtl: s.asyncTtlMs,
    asyncMaxRecords: s.asyncMaxRecords,
    asyncMaxBytes: s.asyncMaxBytes,
    allowNet: s.allowNet,
    ownHost: s.ownHost,
    kv: s.kv.filter((k) => !k.startsWith('@')), // @devices and @queue: bindings are the server's
    streamMax: s.streamMaxBytes,
    streamIdle: s.streamIdleMs,
    wsMaxSockets: s.wsMaxSockets,
    wsMaxMessage: s.wsMaxMessageBytes,
    origin: originOf(s),
  };
}

/**
 * The deploy body of a device rule's copy on an edge node (issue 21): the node copy with its
 * trigger, for the iot module's edge sync to deliver; undefined for a function that stays on the
 * server (no rule, an image, secrets or queues). Pure.
 */
export function ruleCopy(s: FunctionSpec, code: string | undefined): (DeployInput & { code?: { files: Record<string, string>; entry: string } }) | undefined {
  if (!s.device || s.runtime !== 'isolate' || code === undefined || mirrorable(s)) return undefined;
  return { ...copyInput(s), onDevice: s.device.selector, when: s.device.when, code: { files: { 'index.js': code }, entry: 'index.js' } };
}

/** Which nodes take which functions: the functions module's presence, and runc for image functions. Pure. */
export function takes(node: Pick<NodeView, 'runtimes'>, s: FunctionSpec): boolean {
  return node.runtimes.includes('isolate') && (s.runtime !== 'image' || node.runtimes.includes('runc'));
}

export class ClusterMirror {
  private timer: NodeJS.Timeout | undefined;
  private readonly loop = new CoalescedRun(() => this.pass(), (e) => this.o.log.warn(`functions: cluster copy pass failed: ${errorMessage(e)}`), () => this.stopped);
  private stopped = false;
  /** Each node's copies as it last listed them (for `fn ls` on the server). */
  private readonly seen = new Map<string, FunctionInfo[]>();
  private readonly warned = new Set<string>();

  constructor(private readonly o: ClusterMirrorOptions) {}

  start(): void {
    this.stopped = false;
    const tick = () => {
      this.timer = setTimeout(() => void this.poke().finally(() => this.stopped || tick()), this.o.intervalMs);
      this.timer.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.loop.current;
  }

  /** Runs a pass now (or right after the one under way). */
  poke(): Promise<void> {
    return this.stopped ? Promise.resolve() : this.loop.run();
  }

  /** The instances of a function's copies on the nodes, each with its node. */
  nodeInstances(name: string): InstanceInfo[] {
    const out: InstanceInfo[] = [];
    for (const [node, fns] of this.seen) for (const f of fns) if (f.spec.name === name && f.spec.origin) out.push(...f.instances.map((i) => ({ ...i, node })));
    return out;
  }

  private warnOnce(key: string, text: string): void {
    if (this.warned.has(key)) return;
    if (this.warned.size > 1000) this.warned.clear(); // bounded: a long outage says it again, rarely
    this.warned.add(key);
    this.o.log.warn(text);
  }

  private async pass(): Promise<void> {
    const cluster = this.o.cluster();
    if (!cluster) return;
    const connected = new Set(cluster.connectedNodes());
    for (const n of [...this.seen.keys()]) if (!connected.has(n)) this.seen.delete(n);
    if (!connected.size) return; // one machine (or no node reachable): nothing to copy, nothing to say
    const views = await cluster.nodes();
    const all = [...this.o.functions()];
    const wanted = all.filter((f) => {
      const why = mirrorable(f.spec);
      if (why) this.warnOnce(`${f.spec.name}@${originOf(f.spec)}`, `functions: ${f.spec.name} runs on the server only: ${why}`);
      return !why;
    });
    await Promise.all(views.filter((v) => connected.has(v.name)).map(async (v) => {
      // A node without the containers module has nothing to sweep: not worth a warning.
      await this.o.onNodePass?.(v.name).catch((e) => this.o.log.debug(`functions: no sweep of node ${v.name}: ${errorMessage(e)}`));
      try {
        await this.syncNode(cluster, v, wanted);
      } catch (e) {
        this.warnOnce(`sync ${v.name} ${errorMessage(e)}`, `functions: cannot sync node ${v.name}: ${errorMessage(e)}`);
      }
    }));
  }

  private async syncNode(cluster: ClusterApi, v: NodeView, wanted: MirroredFunction[]): Promise<void> {
    // A node without the functions module has no functions API: it is never asked anything.
    if (!v.runtimes.includes('isolate')) {
      this.seen.delete(v.name);
      return;
    }
    const client = cluster.nodeClient(v.name);
    const { functions } = await client.json<{ functions: FunctionInfo[] }>('GET', '/v1/functions');
    const theirs = new Map(functions.map((f) => [f.spec.name, f]));
    const want = new Map(wanted.filter((f) => takes(v, f.spec)).map((f) => [f.spec.name, f]));
    let changed = false;
    for (const f of want.values()) {
      const have = theirs.get(f.spec.name);
      if (have && !have.spec.origin) {
        this.warnOnce(`${v.name}/${f.spec.name}`, `functions: node ${v.name} has a function ${f.spec.name} of its own: the server's is not copied there`);
        continue;
      }
      if (have?.spec.origin === originOf(f.spec)) continue;
      const body = { ...copyInput(f.spec), ...(f.code !== undefined ? { code: { files: { 'index.js': f.code }, entry: 'index.js' } } : {}) };
      try {
        await client.json('POST', '/v1/functions', body);
        changed = true;
      } catch (e) {
        this.warnOnce(`${v.name}/${f.spec.name}@${originOf(f.spec)}`, `functions: cannot copy ${f.spec.name} to node ${v.name}: ${errorMessage(e)}`);
      }
    }
    for (const f of functions) {
      if (!f.spec.origin || want.has(f.spec.name)) continue;
      await client.json('DELETE', `/v1/functions/${encodeURIComponent(f.spec.name)}`).catch((e) => this.o.log.warn(`functions: cannot remove ${f.spec.name} from node ${v.name}: ${errorMessage(e)}`));
      changed = true;
    }
    this.seen.set(v.name, changed ? (await client.json<{ functions: FunctionInfo[] }>('GET', '/v1/functions')).functions : functions);
  }
}
