// The Docker socket on a server with nodes: besides the cluster module's view (ps, inspect, logs,
// stop, rm, ... across nodes), a new container goes where `llmos run` would put it (the scheduler,
// or the node a `llmos.io/node` label names, checked by the same placement: Ready, uncordoned,
// room), and start, restart, exec (plain, -i, -t), attach and resize of a container on another
// node go to that node's LLMOS API through its tunnel; so do pause, unpause, rename, update, top and
// cp (remote-ops.ts). No node joined: everything stays on this machine, as before.
import type { ClusterApi, NodeClient } from '../../contracts/cluster.js';
import type { RemoteContainers } from '../../kernel/remote-containers.js';
import type { ContainerInfo, ContainerSpec, ContainersApi, ContainerStdioApi } from '../../contracts/containers.js';
import { FailedPrecondition, isNotFound } from '../../kernel/errors.js';
import type { ContainersExtra } from './deps.js';
import { remoteStdio } from './remote-stdio.js';
import { remoteControlOps } from './remote-ops.js';

/** The label that pins a container to a node (`docker run -l llmos.io/node=h2`). */
export const NODE_LABEL = 'llmos.io/node';
/** The label every node carries with its own name (cluster/nodes.ts). */
const hostnameLabel = 'llmos.io/hostname';
const enc = encodeURIComponent;

/** `view` (the cluster's containers view over this machine's) with create, start, restart and exec placed or sent to nodes. */
export function clusterContainers(view: ContainersExtra, local: ContainersApi, cluster: ClusterApi, located: RemoteContainers): ContainersExtra {
  /** The connected node holding ref, when this machine does not (undefined: neither; Unavailable: its node is not connected). */
  const nodeOf = async (ref: string): Promise<NodeClient | undefined> => {
    try {
      await local.inspect(ref);
      return undefined;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const name = await located.locate(cluster, ref);
    return name === undefined ? undefined : cluster.nodeClient(name);
  };
  /** Runs here, or on the node that has the container. */
  const routed = async <R>(ref: string, here: () => Promise<R>, there: (n: NodeClient) => Promise<R>): Promise<R> => {
    const n = await nodeOfAny(ref);
    return n ? there(n) : here();
  };
  const nodeOfAny = async (ref: string) => (cluster.connectedNodes().length ? nodeOf(ref) : undefined);

  const create = async (spec: ContainerSpec): Promise<ContainerInfo> => {
    const pinned = spec.labels?.[NODE_LABEL];
    const node = await cluster.placeContainer({ spec, ...(pinned ? { nodeSelector: { [hostnameLabel]: pinned } } : {}) });
    if (!node) {
      if (pinned) throw new FailedPrecondition(`label ${NODE_LABEL}=${pinned} places the container on a cluster node, and no node has joined this server (llmos nodes)`);
      return view.create(spec);
    }
    // The socket's own create never pulls (the client pulls, here, and creates again); a node has
    // no such client, so it pulls what it misses, as `llmos run` does.
    const { pull: _never, ...remote } = spec;
    return cluster.nodeClient(node).json<ContainerInfo>('POST', '/v1/containers', remote);
  };

  const ops: Partial<ContainersExtra> = {
    create,
    start: (ref) => routed(ref, () => view.start(ref), (n) => n.json<ContainerInfo>('POST', `/v1/containers/${enc(ref)}/start`)),
    exec: (ref, cmd, opts) => routed(ref, () => view.exec(ref, cmd, opts), (n) => n.json<{ exitCode: number; stdout: string; stderr: string }>('POST', `/v1/containers/${enc(ref)}/exec`, { cmd, ...(opts?.env ? { env: opts.env } : {}) })),
  };
  if (view.hold) {
    // A node's container is held there by its own attach route: nothing to keep here.
    const hold = view.hold.bind(view);
    ops.hold = (ref) => {
      try {
        return hold(ref);
      } catch (e) {
        if (isNotFound(e) && cluster.connectedNodes().length) return () => undefined;
        throw e;
      }
    };
  }
  if (view.restart) {
    const restart = view.restart.bind(view);
    // A node's API has stop and start: Docker's restart is the two.
    ops.restart = (ref, opts) => routed(ref, () => restart(ref, opts), async (n) => {
      await n.json<ContainerInfo>('POST', `/v1/containers/${enc(ref)}/stop${opts?.timeoutSeconds !== undefined ? `?timeout=${opts.timeoutSeconds}` : ''}`);
      return n.json<ContainerInfo>('POST', `/v1/containers/${enc(ref)}/start`);
    });
  }
  // Terminals and stdin (exec -i/-t, attach), when this machine's runtime has them: a node's go through its API's upgrade.
  const stdio = view as ContainersExtra & Partial<ContainerStdioApi>;
  const extra: Partial<ContainerStdioApi> = {};
  if (stdio.execStdio && stdio.attach && stdio.resize) {
    const [execStdio, attach, resize] = [stdio.execStdio.bind(stdio), stdio.attach.bind(stdio), stdio.resize.bind(stdio)];
    extra.execStdio = (ref, cmd, o = {}) => routed(ref, () => execStdio(ref, cmd, o), (n) => {
      const q = new URLSearchParams();
      for (const a of cmd) q.append('cmd', a);
      if (o.tty) q.set('tty', 'true');
      if (o.stdin) q.set('stdin', 'true');
      for (const [k, v] of Object.entries(o.env ?? {})) q.append('env', `${k}=${v}`);
      if (o.user) q.set('user', o.user);
      if (o.workingDir) q.set('workdir', o.workingDir);
      if (o.detachKeys !== undefined) q.set('detachKeys', o.detachKeys);
      return remoteStdio(n, `/v1/containers/${enc(ref)}/exec-stdio?${q}`, !!o.tty);
    });
    extra.attach = (ref, o = {}) => routed(ref, () => attach(ref, o), async (n) => {
      const q = new URLSearchParams({ ...(o.stdin ? { stdin: 'true' } : {}), ...(o.detachKeys !== undefined ? { detachKeys: o.detachKeys } : {}) });
      const info = await n.json<ContainerInfo>('GET', `/v1/containers/${enc(ref)}`);
      return remoteStdio(n, `/v1/containers/${enc(ref)}/attach?${q}`, !!info.spec.tty);
    });
    extra.resize = (ref, rows, cols) => routed(ref, () => resize(ref, rows, cols), (n) => n.json<void>('POST', `/v1/containers/${enc(ref)}/resize`, { rows, cols }));
  }
  const all: Record<string, unknown> = { ...ops, ...remoteControlOps(view, routed, nodeOfAny), ...extra };
  return new Proxy(view, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && Object.hasOwn(all, prop)) return all[prop];
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
