// Container routes: create/run (optionally attached: the output streams back as NDJSON and the
// last line carries the exit code), life cycle, logs (SSE with follow), exec, wait, stats.
import { z } from 'zod';
import { containerInfoSchema, containerLimitsSchema, containerSpecSchema, containerStatsSchema, execResultSchema, logLineSchema, waitResultSchema, type ContainerControlApi, type ContainerLimits, type ContainerSpec, type ContainersApi, type LogLine } from '../../../contracts/containers.js';
import { Kinds } from '../../../contracts/kinds.js';
import type { RouteKernel } from './context.js';
import type { KernelServices } from '../../../kernel/module.js';
import { Unavailable, errorMessage } from '../../../kernel/errors.js';
import { MAX_DURATION_MS } from '../../../kernel/quantity.js';
import type { Api } from '../server.js';
import { noContent, sendSse } from './sse.js';


/** The runtime's optional extra: hold a container (no auto-removal) while a client is attached. */
interface Holdable {
  hold?(idOrName: string): () => void;
}

const idParam = z.object({ id: z.string().min(1) });
const bool = z.enum(['true', 'false', '1', '0']).optional();
const truthy = (v: string | undefined) => v === 'true' || v === '1';

export function containerRoutes(app: Api, k: RouteKernel, _svc: KernelServices): void {
  const api = () => k.getSingle<ContainersApi & Holdable>(Kinds.containers);

  app.get('/v1/containers', { schema: { summary: 'List containers (running only unless all=true)', querystring: z.object({ all: bool, owner: z.string().optional(), namespace: z.string().optional() }), response: { 200: z.object({ containers: z.array(containerInfoSchema) }) } } }, async (req) => ({
    containers: await api().list({ all: truthy(req.query.all), owner: req.query.owner, namespace: req.query.namespace }),
  }));

  app.post('/v1/containers', { schema: { summary: 'Create a container (start=true also starts it)', body: containerSpecSchema, querystring: z.object({ start: bool }), response: { 201: containerInfoSchema } } }, async (req, reply) => {
    const spec = req.body as ContainerSpec;
    const c = truthy(req.query.start) ? await api().run(spec) : await api().create(spec);
    return reply.code(201).send(c);
  });

  app.post('/v1/containers/run', { schema: { summary: 'Create and start; attach=true streams the output as NDJSON, ending with the exit code', body: containerSpecSchema, querystring: z.object({ attach: bool }), response: { 201: containerInfoSchema } } }, async (req, reply) => {
    const spec = req.body as ContainerSpec;
    const a = api();
    if (!truthy(req.query.attach)) return reply.code(201).send(await a.run(spec));
    // Create without auto-removal, so the container (and its output) outlives its exit until streamed.
    const c = await a.create({ ...spec });
    const release = a.hold?.(c.id);
    try {
      await a.start(c.id);
    } catch (e) {
      release?.();
      await a.remove(c.id, { force: true }).catch(() => undefined);
      throw e;
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    const send = (o: unknown) => !res.writableEnded && res.write(JSON.stringify(o) + '\n');
    send({ type: 'container', id: c.id, name: c.name });
    try {
      for await (const l of a.logs(c.id, { follow: true, signal: ac.signal })) send({ type: 'log', ...l });
      if (!ac.signal.aborted) send({ type: 'exit', ...(await a.wait(c.id, ac.signal)) });
    } catch (e) {
      send({ type: 'error', error: errorMessage(e) });
    } finally {
      release?.();
      if (spec.autoRemove && !a.hold) await a.remove(c.id, { force: true }).catch(() => undefined);
      res.end();
    }
  });

  app.get('/v1/containers/:id', { schema: { summary: 'Inspect a container', params: idParam, response: { 200: containerInfoSchema } } }, async (req) => api().inspect(req.params.id));
  app.post('/v1/containers/:id/start', { schema: { summary: 'Start a created or exited container', params: idParam, response: { 200: containerInfoSchema } } }, async (req) => api().start(req.params.id));
  app.post('/v1/containers/:id/stop', { schema: { summary: 'Stop: the stop signal, then KILL after the grace period', params: idParam, querystring: z.object({ timeout: z.coerce.number().int().min(0).max(3600).optional() }), response: { 200: containerInfoSchema } } }, async (req) =>
    api().stop(req.params.id, { timeoutSeconds: req.query.timeout }),
  );
  app.post('/v1/containers/:id/kill', { schema: { summary: 'Send a signal (default KILL)', params: idParam, querystring: z.object({ signal: z.string().optional() }), response: { 204: z.null() } } }, async (req, reply) => {
    await api().kill(req.params.id, req.query.signal);
    return noContent(reply);
  });
  app.delete('/v1/containers/:id', { schema: { summary: 'Remove a container (force=true kills a running one)', params: idParam, querystring: z.object({ force: bool }), response: { 204: z.null() } } }, async (req, reply) => {
    await api().remove(req.params.id, { force: truthy(req.query.force) });
    return noContent(reply);
  });
  app.post('/v1/containers/:id/wait', { schema: { summary: 'Wait until the container exits; returns its exit code', params: idParam, response: { 200: waitResultSchema } } }, async (req) => {
    const ac = new AbortController();
    req.raw.on('close', () => ac.abort());
    return api().wait(req.params.id, ac.signal);
  });
  app.post('/v1/containers/:id/exec', {
    schema: { summary: 'Run a command in a running container', params: idParam, body: z.object({ cmd: z.array(z.string()).min(1), env: z.record(z.string(), z.string()).optional(), timeoutMs: z.number().int().positive().max(MAX_DURATION_MS).optional(), user: z.string().min(1).optional(), workingDir: z.string().min(1).optional() }), response: { 200: execResultSchema } },
  }, async (req) => {
    const { cmd, env, timeoutMs, user, workingDir } = req.body;
    if (user !== undefined || workingDir !== undefined) return control().exec(req.params.id, cmd, { env, timeoutMs, user, workingDir });
    return api().exec(req.params.id, cmd, { env, timeoutMs });
  });
  const control = (): ContainersApi & ContainerControlApi => {
    const a = api();
    if (!('pause' in a)) throw new Unavailable('this containers runtime has no pause, rename, top or update');
    return a as ContainersApi & ContainerControlApi;
  };
  app.post('/v1/containers/:id/pause', { schema: { summary: 'Freeze the container (freezer cgroup)', params: idParam, response: { 200: containerInfoSchema } } }, async (req) => control().pause(req.params.id));
  app.post('/v1/containers/:id/unpause', { schema: { summary: 'Thaw a paused container', params: idParam, response: { 200: containerInfoSchema } } }, async (req) => control().unpause(req.params.id));
  app.post('/v1/containers/:id/rename', { schema: { summary: 'Rename a container', params: idParam, querystring: z.object({ name: z.string().min(1) }), response: { 200: containerInfoSchema } } }, async (req) => control().rename(req.params.id, req.query.name));
  app.get('/v1/containers/:id/top', { schema: { summary: 'The container\'s processes', params: idParam, response: { 200: z.object({ titles: z.array(z.string()), processes: z.array(z.array(z.string())) }) } } }, async (req) => control().top(req.params.id));
  app.post('/v1/containers/:id/update', { schema: { summary: 'Change limits (now when running, and for the next start)', params: idParam, body: containerLimitsSchema, response: { 200: containerInfoSchema } } }, async (req) => control().update(req.params.id, req.body as ContainerLimits));
  app.get('/v1/containers/:id/stats', { schema: { summary: 'CPU, memory and PIDs from the cgroup', params: idParam, response: { 200: containerStatsSchema } } }, async (req) => api().stats(req.params.id));
  app.get('/v1/containers/:id/logs', {
    schema: { summary: 'Log lines (since/until: epoch ms); follow=true streams them as server-sent events', params: idParam, querystring: z.object({ tail: z.coerce.number().int().min(0).optional(), follow: bool, token: z.string().optional(), since: z.coerce.number().finite().optional(), until: z.coerce.number().finite().optional() }), response: { 200: z.object({ lines: z.array(logLineSchema) }) } },
  }, async (req, reply) => {
    const a = api();
    const { tail } = req.query;
    const range = { sinceMs: req.query.since, untilMs: req.query.until };
    await a.inspect(req.params.id); // 404 before any streaming starts
    if (!truthy(req.query.follow)) {
      const lines: LogLine[] = [];
      for await (const l of a.logs(req.params.id, { tail, ...range })) lines.push(l);
      return { lines };
    }
    const ac = new AbortController();
    sendSse(reply, (send) => {
      void (async () => {
        try {
          for await (const l of a.logs(req.params.id, { tail, follow: true, signal: ac.signal, ...range })) send('log', l);
          send('end', {});
        } catch (e) {
          send('error', { error: errorMessage(e) });
        }
        reply.raw.end();
      })();
      return () => ac.abort();
    });
  });
}
