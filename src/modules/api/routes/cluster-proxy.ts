// Containers on other nodes, from the server (cluster mode): a /v1/containers/ID/... request for
// a container this machine does not have goes to the node that has it, through the node's
// tunnel (logs -f, exec, inspect, stop, rm; HTTP upgrades too: exec -it, attach); `?node=N` sends
// any /v1/containers request to node N (ps --node, run --node). `GET /v1/containers` lists every
// connected node's containers after this machine's, each with its `node`. A new container without
// `?node` goes where the cluster module's placement puts it (`?nodeSelector=K=V` narrows it).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clusterKind, type ClusterApi, type NodeClient } from '../../../contracts/cluster.js';
import type { ContainerInfo, ContainerSpec, ContainersApi } from '../../../contracts/containers.js';
import { Kinds } from '../../../contracts/kinds.js';
import { FailedPrecondition, InvalidArgument, isNotFound } from '../../../kernel/errors.js';
import { labelSelectorProblem } from '../../../contracts/placement.js';
import { checkPlacement, lookupMs, RemoteContainers } from '../../../kernel/remote-containers.js';
import { within } from '../../../kernel/deadline.js';
import type { Api } from '../server.js';
import type { RouteKernel } from './context.js';

const containerPath = /^\/v1\/containers(?:\/([^/]+))?(\/.*)?$/;
/** Paths under /v1/containers/ that are not a container id. */
const staticSegments = new Set(['run']);
/** The owner prefix replicas placed by the server's services controller carry on their node. */
const remoteOwner = 'cluster/';

export function clusterProxyRoutes(app: Api, k: RouteKernel): void {
  const cluster = () => k.getOptional<ClusterApi>(clusterKind);
  const remote = new RemoteContainers();

  /** The node holding container `id`, when this machine does not. */
  const locate = async (c: ClusterApi, id: string): Promise<string | undefined> => {
    const local = k.getOptional<ContainersApi>(Kinds.containers);
    if (local) {
      try {
        await local.inspect(id);
        return undefined;
      } catch (e) {
        if (!isNotFound(e)) return undefined; // let the route answer
      }
    }
    return remote.locate(c, id);
  };

  app.addHook('onRequest', async (req, reply) => {
    const c = cluster();
    if (!c) return;
    const [path, query = ''] = req.url.split('?', 2) as [string, string?];
    const m = containerPath.exec(path);
    if (!m) return;
    const q = new URLSearchParams(query);
    let node = q.get('node') ?? undefined;
    q.delete('node');
    q.delete('nodeSelector');
    if (node !== undefined) {
      // An unknown node is 404; a new workload only goes to a Ready, uncordoned one.
      const view = await c.node(node);
      if (req.method === 'POST' && (!m[1] || m[1] === 'run') && !m[2]) checkPlacement(view);
    } else if (m[1] && !staticSegments.has(m[1]) && c.connectedNodes().length + remote.size() > 0) node = await locate(c, decodeURIComponent(m[1]));
    if (!node) return;
    const rest = q.toString();
    await forward(req, reply, c.nodeClient(node), `${path}${rest ? `?${rest}` : ''}`, remote);
  });

  // A new container without ?node on a server nodes joined: the scheduler places it (once the body
  // is parsed and checked here), then it goes to that node as a ?node=N one would.
  app.addHook('preHandler', async (req, reply) => {
    const c = cluster();
    const route = req.routeOptions.url;
    if (!c || req.method !== 'POST' || (route !== '/v1/containers' && route !== '/v1/containers/run')) return;
    const [path, query = ''] = req.url.split('?', 2) as [string, string?];
    const q = new URLSearchParams(query);
    const nodeSelector = parseNodeSelector(q.getAll('nodeSelector'));
    q.delete('nodeSelector');
    const spec = req.body as ContainerSpec;
    const node = await c.placeContainer({ spec, ...(nodeSelector ? { nodeSelector } : {}) });
    if (!node) {
      if (nodeSelector) throw new FailedPrecondition('--node-selector places containers on cluster nodes, and no node has joined this server (llmos nodes)');
      return;
    }
    const rest = q.toString();
    await forward(req, reply, c.nodeClient(node), `${path}${rest ? `?${rest}` : ''}`, remote, Buffer.from(JSON.stringify(spec)));
  });

  // `ps` across nodes: this machine's list, then each connected node's.
  app.addHook('onSend', async (req, reply, payload) => {
    const c = cluster();
    if (!c || !c.connectedNodes().length || req.method !== 'GET' || reply.statusCode !== 200 || req.url.split('?')[0] !== '/v1/containers' || typeof payload !== 'string') return payload;
    const query = req.url.split('?', 2)[1] ?? '';
    const body = JSON.parse(payload) as { containers: Array<ContainerInfo & { node?: string }> };
    const lists = await Promise.all(c.connectedNodes().sort().map((n) =>
      within(c.nodeClient(n).json<{ containers: ContainerInfo[] }>('GET', `/v1/containers${query ? `?${query}` : ''}`), lookupMs, `node ${n}`).then(
        (r) => r.containers.map((x) => (remote.remember(n, x), { ...x, node: n, ...(x.owner?.startsWith(remoteOwner) ? { owner: x.owner.slice(remoteOwner.length) } : {}) })),
        () => [],
      )));
    body.containers.push(...lists.flat());
    return JSON.stringify(body);
  });
}

const hop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade']);
/** Answers that name their container: a remote one's carries its node (inspect, stats). */
const namesNode = /^\/v1\/containers\/[^/]+(\/stats)?$/;

/** `nodeSelector=K=V` query values (repeatable), checked as label selectors; undefined when none. */
function parseNodeSelector(items: string[]): Record<string, string> | undefined {
  if (!items.length) return undefined;
  const sel: Record<string, string> = {};
  for (const item of items) {
    const i = item.indexOf('=');
    if (i <= 0) throw new InvalidArgument(`node selector "${item.slice(0, 60)}": expected KEY=VALUE`);
    sel[item.slice(0, i)] = item.slice(i + 1);
  }
  const bad = labelSelectorProblem(sel);
  if (bad) throw new InvalidArgument(`node selector: ${bad}`);
  return sel;
}

/** Sends the request to the node; `body` replaces the client's (already read and parsed here). */
async function forward(req: FastifyRequest, reply: FastifyReply, client: NodeClient, path: string, remote: RemoteContainers, body?: Buffer): Promise<void> {
  const upgrade = req.headers.upgrade;
  if (upgrade) {
    const { 'content-length': _cl, 'transfer-encoding': _te, ...headers } = req.headers;
    const r = await client.upgrade({ method: req.method, path, headers });
    reply.hijack();
    const socket = req.raw.socket;
    if (r.status !== 101) {
      const parts: Buffer[] = [];
      for await (const d of r.stream as AsyncIterable<Buffer>) parts.push(Buffer.from(d));
      const text = Buffer.concat(parts);
      socket.end(`HTTP/1.1 ${r.status} Error\r\nContent-Type: ${String(r.headers['content-type'] ?? 'application/json')}\r\nContent-Length: ${text.length}\r\nConnection: close\r\n\r\n${text.toString()}`);
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${upgrade}\r\n\r\n`);
    const stream = r.stream as NodeJS.ReadWriteStream & { destroy(): void };
    stream.pipe(socket);
    socket.pipe(stream);
    // The client gone: the node's end closes too (its exec process is killed there). The tunnel
    // gone: the client's connection closes rather than waiting forever.
    socket.on('error', () => stream.destroy());
    socket.on('close', () => stream.destroy());
    stream.on('error', () => socket.destroy());
    stream.on('close', () => {
      if (!socket.writableEnded) socket.destroy();
    });
    return;
  }
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  const { 'transfer-encoding': _te, ...rest } = req.headers;
  const r = body
    ? await client.request({ method: req.method, path, headers: { ...rest, 'content-type': 'application/json', 'content-length': String(body.length) }, body })
    : await client.request({ method: req.method, path, headers: { ...req.headers }, body: hasBody ? req.raw : undefined });
  reply.hijack();
  const headers: Record<string, string | string[]> = {};
  for (const [key, v] of Object.entries(r.headers)) if (v !== undefined && !hop.has(key)) headers[key] = v;
  if (req.method === 'GET' && r.status === 200 && namesNode.test(path.split('?')[0]!) && String(r.headers['content-type'] ?? '').startsWith('application/json')) {
    const parts: Buffer[] = [];
    for await (const d of r.body as AsyncIterable<Buffer>) parts.push(Buffer.from(d));
    const info = JSON.parse(Buffer.concat(parts).toString('utf8')) as ContainerInfo;
    remote.remember(client.name, info);
    const text = JSON.stringify({ ...info, node: client.name });
    delete headers['content-length'];
    reply.raw.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(text) });
    reply.raw.end(text);
    return;
  }
  reply.raw.writeHead(r.status, headers);
  r.body.pipe(reply.raw);
  reply.raw.on('close', () => (r.body as unknown as { destroy(): void }).destroy());
}
