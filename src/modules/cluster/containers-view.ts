// The containers of every node, as one ContainersApi (cluster mode, issue 19): the Docker API
// socket on the server uses it, so `docker ps/inspect/logs/stop/kill/rm/wait/stats` see and act on
// containers on other nodes. A container this machine does not have is looked up on the connected
// nodes (where it was last seen first) and the operation goes to that node's LLMOS API through its
// tunnel, the same remote path `llmos` takes. Everything else (create, exec, attach, ...) stays
// local: a container elsewhere is "no such container" there, as before.
import { within } from '../../kernel/deadline.js';
import type { ContainerInfo, ContainersApi, ContainerStats, LogLine, LogOptions } from '../../contracts/containers.js';
import type { NodeClient } from '../../contracts/cluster.js';
import { isNotFound, NotFound, Unavailable } from '../../kernel/errors.js';

/** How long one node may take to answer a lookup or a list. */
const lookupMs = 10_000;
/** The owner prefix of replicas the server's controllers placed on a node. */
const remoteOwner = 'cluster/';
const maxRemembered = 10_000;

export interface NodeDirectory {
  nodeClient(name: string): NodeClient;
  connectedNodes(): string[];
}

const enc = encodeURIComponent;
/** A node's container as the server shows it: owners of placed replicas mapped back (cluster/service/web -> service/web). */
const shown = (c: ContainerInfo): ContainerInfo => (c.owner?.startsWith(remoteOwner) ? { ...c, owner: c.owner.slice(remoteOwner.length) } : c);

export class ClusterContainersView {
  /** Container id and name -> the node it was last seen on. */
  private readonly seen = new Map<string, string>();

  constructor(private readonly nodes: NodeDirectory) {}

  /** `local` with list and the operations on one container extended to every connected node. */
  over<T extends ContainersApi>(local: T): T {
    const remoteOps: Partial<ContainersApi> = {
      list: (opts) => this.list(local, opts),
      inspect: (ref) => this.on(local, ref, () => local.inspect(ref), (n) => n.json<ContainerInfo>('GET', `/v1/containers/${enc(ref)}`).then(shown)),
      stop: (ref, opts) => this.on(local, ref, () => local.stop(ref, opts), (n) => n.json<ContainerInfo>('POST', `/v1/containers/${enc(ref)}/stop${opts?.timeoutSeconds !== undefined ? `?timeout=${opts.timeoutSeconds}` : ''}`).then(shown)),
      kill: (ref, signal) => this.on(local, ref, () => local.kill(ref, signal), (n) => n.json<void>('POST', `/v1/containers/${enc(ref)}/kill${signal ? `?signal=${enc(signal)}` : ''}`)),
      remove: (ref, opts) => this.on(local, ref, () => local.remove(ref, opts), async (n) => {
        await n.json<void>('DELETE', `/v1/containers/${enc(ref)}${opts?.force ? '?force=true' : ''}`);
        this.seen.delete(ref);
      }),
      wait: (ref, signal) => this.on(local, ref, () => local.wait(ref, signal), (n) => n.json<{ exitCode: number; oomKilled: boolean }>('POST', `/v1/containers/${enc(ref)}/wait`)),
      stats: (ref) => this.on(local, ref, () => local.stats(ref), (n) => n.json<ContainerStats>('GET', `/v1/containers/${enc(ref)}/stats`)),
      logs: (ref, opts) => this.logs(local, ref, opts),
    };
    return new Proxy(local, {
      get(target, prop, receiver) {
        if (typeof prop === 'string' && Object.hasOwn(remoteOps, prop)) return remoteOps[prop as keyof ContainersApi];
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }

  private remember(node: string, c: Pick<ContainerInfo, 'id' | 'name'>): void {
    for (const k of [c.id, c.name]) {
      this.seen.delete(k);
      this.seen.set(k, node);
    }
    while (this.seen.size > maxRemembered) this.seen.delete(this.seen.keys().next().value!);
  }

  private async list(local: ContainersApi, opts: Parameters<ContainersApi['list']>[0]): Promise<ContainerInfo[]> {
    const mine = await local.list(opts);
    const q = new URLSearchParams({ ...(opts?.all ? { all: 'true' } : {}), ...(opts?.owner ? { owner: opts.owner } : {}), ...(opts?.namespace ? { namespace: opts.namespace } : {}) }).toString();
    // A node that does not answer in time is left out of the list rather than holding it up.
    const lists = await Promise.all(this.nodes.connectedNodes().sort().map((name) =>
      within(this.nodes.nodeClient(name).json<{ containers: ContainerInfo[] }>('GET', `/v1/containers${q ? `?${q}` : ''}`), lookupMs, `node ${name}`).then(
        (r) => r.containers.map((c) => (this.remember(name, c), shown(c))),
        () => [] as ContainerInfo[],
      )));
    return [...mine, ...lists.flat()];
  }

  /** The connected node holding `ref` (this machine does not), or undefined. */
  private async locate(ref: string): Promise<string | undefined> {
    const ask = (name: string) => within(this.nodes.nodeClient(name).json<ContainerInfo>('GET', `/v1/containers/${enc(ref)}`), lookupMs, `node ${name}`).then((c) => (this.remember(name, c), name), () => undefined);
    const connected = this.nodes.connectedNodes();
    const last = this.seen.get(ref);
    if (last !== undefined && connected.includes(last) && (await ask(last))) return last;
    const found = await Promise.all(connected.filter((n) => n !== last).map(ask));
    return found.find((n) => n !== undefined);
  }

  /** Runs `here` on this machine; a NotFound there goes to the node that has the container. */
  private async on<R>(local: ContainersApi, ref: string, here: () => Promise<R>, there: (n: NodeClient) => Promise<R>): Promise<R> {
    try {
      return await here();
    } catch (e) {
      if (!isNotFound(e) || !this.nodes.connectedNodes().length) throw e;
      const node = await this.locate(ref);
      if (!node) throw e;
      return there(this.nodes.nodeClient(node));
    }
  }

  private async *logs(local: ContainersApi, ref: string, opts: LogOptions = {}): AsyncIterable<LogLine> {
    let node: string | undefined;
    try {
      await local.inspect(ref);
    } catch (e) {
      if (!isNotFound(e) || !(node = await this.locate(ref))) throw e;
    }
    if (!node) {
      yield* local.logs(ref, opts);
      return;
    }
    const q = new URLSearchParams({ ...(opts.tail !== undefined ? { tail: String(opts.tail) } : {}), ...(opts.sinceMs !== undefined ? { since: String(opts.sinceMs) } : {}), ...(opts.untilMs !== undefined ? { until: String(opts.untilMs) } : {}) });
    if (!opts.follow) {
      const r = await this.nodes.nodeClient(node).json<{ lines: LogLine[] }>('GET', `/v1/containers/${enc(ref)}/logs?${q}`);
      yield* r.lines;
      return;
    }
    q.set('follow', 'true');
    yield* followRemote(this.nodes.nodeClient(node), `/v1/containers/${enc(ref)}/logs?${q}`, opts.signal);
  }
}

/** A node's followed logs: its server-sent events (`log` lines until `end`), as log lines. */
async function* followRemote(n: NodeClient, path: string, signal?: AbortSignal): AsyncIterable<LogLine> {
  const r = await n.request({ method: 'GET', path, headers: { accept: 'text/event-stream' } });
  const body = r.body as NodeJS.ReadableStream & { destroy(): void };
  if (r.status === 404) throw new NotFound(`no such container on node ${n.name}`);
  if (r.status !== 200) throw new Unavailable(`node ${n.name} answered ${r.status} for the logs`);
  const stop = () => body.destroy();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    let buf = '';
    for await (const chunk of body as AsyncIterable<Buffer>) {
      buf += chunk.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const ev = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const type = /^event: (.*)$/m.exec(ev)?.[1];
        const data = /^data: (.*)$/m.exec(ev)?.[1];
        if (type === 'end') return;
        if (type === 'error') throw new Unavailable(`node ${n.name}: ${data ? (JSON.parse(data) as { error?: string }).error : 'log stream failed'}`);
        if (type === 'log' && data) yield JSON.parse(data) as LogLine;
      }
    }
  } finally {
    signal?.removeEventListener('abort', stop);
    body.destroy();
  }
}
