// Terminals and stdin over the API: attach and interactive exec take an HTTP upgrade
// (`Connection: Upgrade`, `Upgrade: tcp`) on the API's own server and then carry frames both
// ways, each an 8-byte header [type, 0, 0, 0, length as big-endian uint32] and its bytes:
//   client -> daemon: 0 stdin bytes, 3 end of stdin, 4 resize {"rows","cols"}
//   daemon -> client: 1 stdout, 2 stderr, 3 the end {"exitCode"?, "detached"?, "error"?}
// Upgrade requests go through Fastify's routing (auth, schemas) like any other request.
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { z } from 'zod';
import type { ContainersApi, ContainerStdioApi, StdioEnd, StdioSession } from '../../../contracts/containers.js';
import { Kinds } from '../../../contracts/kinds.js';
import { InvalidArgument, Unavailable, errorMessage } from '../../../kernel/errors.js';
import type { KernelServices } from '../../../kernel/module.js';
import { frameOf, FrameReader } from '../../../contracts/stdio-wire.js';
import type { Api } from '../server.js';
import type { RouteKernel } from './context.js';
import { noContent } from './sse.js';

const upgradePath = /^\/v1\/containers\/[^/]+\/(attach|exec-stdio)(\?|$)/;
const idParam = z.object({ id: z.string().min(1) });
const bool = z.enum(['true', 'false', '1', '0']).optional();
const truthy = (v: string | undefined) => v === 'true' || v === '1';

export function stdioRoutes(app: Api, k: RouteKernel, _svc: KernelServices): void {
  const api = () => {
    const c = k.getSingle<ContainersApi & Partial<ContainerStdioApi> & { hold?(id: string): () => void }>(Kinds.containers);
    if (!c.attach || !c.execStdio || !c.resize) throw new Unavailable('the containers runtime has no terminals or stdin');
    return c as ContainersApi & ContainerStdioApi & { hold?(id: string): () => void };
  };
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!upgradePath.test(req.url ?? '')) return;
    const res = new ServerResponse(req);
    res.assignSocket(socket as never);
    if (head.length) socket.unshift(head);
    app.routing(req, res);
  });

  const needUpgrade = (req: { headers: Record<string, unknown> }) => {
    if (String(req.headers.upgrade ?? '').toLowerCase() !== 'tcp') throw new InvalidArgument('this endpoint needs an HTTP upgrade (Connection: Upgrade, Upgrade: tcp)');
  };

  app.post('/v1/containers/:id/attach', { schema: { summary: 'Attach to the stdio of a container (HTTP upgrade; frames both ways); a created container is attached from its start', params: idParam, querystring: z.object({ stdin: bool, detachKeys: z.string().optional() }), response: { 101: z.null() } } }, async (req, reply) => {
    needUpgrade(req);
    const a = api();
    const info = await a.inspect(req.params.id);
    const session = await a.attach(info.id, { stdin: truthy(req.query.stdin), detachKeys: req.query.detachKeys });
    const release = a.hold?.(info.id);
    reply.hijack();
    void serve(req.raw.socket, session, async (end) => (end.detached ? end : { exitCode: (await a.wait(info.id)).exitCode })).finally(() => release?.());
  });

  app.post('/v1/containers/:id/exec-stdio', { schema: { summary: 'Run a command in a container with its stdio connected (HTTP upgrade; -i, -t)', params: idParam, querystring: z.object({ cmd: z.union([z.string(), z.array(z.string())]), tty: bool, stdin: bool, env: z.union([z.string(), z.array(z.string())]).optional(), user: z.string().optional(), workdir: z.string().optional(), detachKeys: z.string().optional() }), response: { 101: z.null() } } }, async (req, reply) => {
    needUpgrade(req);
    const q = req.query;
    const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
    const env: Record<string, string> = {};
    for (const kv of list(q.env)) {
      const i = kv.indexOf('=');
      if (i < 1) throw new InvalidArgument(`env ${JSON.stringify(kv)} is not KEY=VALUE`);
      env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    const session = await api().execStdio(req.params.id, list(q.cmd), { tty: truthy(q.tty), stdin: truthy(q.stdin), env, user: q.user, workingDir: q.workdir, detachKeys: q.detachKeys });
    reply.hijack();
    void serve(req.raw.socket, session, async (end) => end);
  });

  app.post('/v1/containers/:id/resize', { schema: { summary: "Resize a container's TTY", params: idParam, body: z.object({ rows: z.number().int(), cols: z.number().int() }), response: { 204: z.null() } } }, async (req, reply) => {
    await api().resize(req.params.id, req.body.rows, req.body.cols);
    return noContent(reply);
  });
}

/** Runs one upgraded connection to its end. */
async function serve(socket: Duplex, s: StdioSession, final: (end: StdioEnd) => Promise<StdioEnd>): Promise<void> {
  socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
  const reader = new FrameReader();
  socket.on('data', (d: Buffer) => {
    try {
      for (const f of reader.push(d)) {
        if (f.type === 0) s.write(f.data);
        else if (f.type === 3) s.closeStdin();
        else if (f.type === 4) {
          const r = JSON.parse(f.data.toString()) as { rows?: unknown; cols?: unknown };
          void s.resize(Number(r.rows), Number(r.cols)).catch(() => undefined);
        }
      }
    } catch {
      s.close();
      socket.destroy();
    }
  });
  socket.on('close', () => s.close());
  socket.on('error', () => s.close());
  let end: StdioEnd & { error?: string };
  try {
    for await (const ch of s.output) if (!socket.write(frameOf(ch.stream === 'stderr' ? 2 : 1, ch.data))) await new Promise((r) => (socket.once('drain', r), socket.once('close', r)));
    end = await final(await s.done);
  } catch (e) {
    end = { error: errorMessage(e) };
  }
  if (!socket.destroyed) socket.end(frameOf(3, JSON.stringify(end)));
}
