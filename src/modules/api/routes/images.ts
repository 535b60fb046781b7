// Image routes: pull (with live NDJSON progress), list, inspect, remove, prune, load, import,
// push, login. The images module is looked up per request (503 while it is unloaded).
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Readable } from 'node:stream';
import { Kinds } from '../../../contracts/kinds.js';
import type { ImageStoreApi, PullStreamLine } from '../../../contracts/images.js';
import type { RouteKernel } from './context.js';
import type { KernelServices } from '../../../kernel/module.js';
import { InvalidArgument, errorMessage } from '../../../kernel/errors.js';
import { toHttp } from '../errors-http.js';
import type { Api } from '../server.js';

const refQuery = z.object({ ref: z.string().min(1) });


export function imagesRoutes(app: Api, k: RouteKernel, _svc: KernelServices): void {
  const images = () => k.getSingle<ImageStoreApi>(Kinds.images);

  app.get('/v1/images', { schema: { summary: 'Local images' } }, async () => ({ images: await images().list() }));
  app.get('/v1/images/inspect', { schema: { querystring: refQuery, summary: 'One local image by name, id or digest' } }, async (req) => images().get(req.query.ref));
  app.get('/v1/images/rootfs', { schema: { summary: 'Container ids holding a root filesystem' } }, async () => ({ rootfs: await images().listRootfs() }));

  app.post(
    '/v1/images/pull',
    { schema: { body: z.object({ ref: z.string().min(1), platform: z.string().optional() }), summary: 'Pull an image; with Accept: application/x-ndjson, progress lines then the image' } },
    async (req, reply) => {
      const api = images();
      const { ref, platform } = req.body;
      api.checkPull(ref, platform);
      if (!String(req.headers.accept ?? '').includes('application/x-ndjson')) return api.pull(ref, { platform });
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
      const ac = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) ac.abort();
      });
      const line = (l: PullStreamLine) => res.write(JSON.stringify(l) + '\n');
      try {
        const image = await api.pull(ref, { platform, signal: ac.signal, onProgress: (p) => line({ type: 'progress', progress: p }) });
        line({ type: 'done', image });
      } catch (e) {
        const { body } = toHttp(e);
        line({ type: 'error', error: body.error || errorMessage(e), code: body.code });
      }
      res.end();
    },
  );

  app.delete(
    '/v1/images',
    { schema: { querystring: z.object({ ref: z.string().min(1), force: z.enum(['true', 'false']).optional() }), summary: 'Untag or remove an image' } },
    async (req) => images().remove(req.query.ref, { force: req.query.force === 'true' }),
  );
  app.post('/v1/images/prune', { schema: { summary: 'Remove untagged unused images, then unreferenced blobs and snapshots' } }, async () => images().prune());
  app.post('/v1/images/tag', { schema: { body: z.object({ source: z.string().min(1), target: z.string().min(1) }), summary: 'Add a name to a local image' } }, async (req) =>
    images().tag(req.body.source, req.body.target),
  );
  app.post('/v1/images/push', { schema: { body: z.object({ ref: z.string().min(1) }), summary: 'Push a local image to its registry' } }, async (req) => {
    const pushed: Array<{ digest: string; status: string }> = [];
    const r = await images().push(req.body.ref, (b) => pushed.push(b));
    return { ...r, blobs: pushed };
  });
  app.post(
    '/v1/images/login',
    { schema: { body: z.object({ registry: z.string().min(1), username: z.string().min(1), password: z.string().min(1) }), summary: 'Check and store registry credentials' } },
    async (req) => {
      await images().login(req.body.registry, req.body.username, req.body.password);
      return { registry: req.body.registry, username: req.body.username, stored: true };
    },
  );
  app.post('/v1/images/logout', { schema: { body: z.object({ registry: z.string().min(1) }), summary: 'Forget registry credentials' } }, async (req) => {
    await images().logout(req.body.registry);
    return { registry: req.body.registry, stored: false };
  });

  // Archives arrive as raw request bodies, streamed to disk: no body-size limit applies.
  void app.register(async (plain) => {
    const sub = plain.withTypeProvider<ZodTypeProvider>();
    for (const type of ['application/x-tar', 'application/octet-stream', 'application/gzip']) sub.addContentTypeParser(type, (_req, payload, done) => done(null, payload));
    sub.post('/v1/images/load', { schema: { summary: 'Load images from a docker save or OCI archive (request body)' } }, async (req) => {
      return { images: await images().load(req.body as Readable) };
    });
    sub.post(
      '/v1/images/import',
      { schema: { querystring: z.object({ ref: z.string().min(1), cmd: z.string().optional() }), summary: 'Create a one-layer image from a root filesystem tarball (request body)' } },
      async (req) => {
        images().checkPull(req.query.ref);
        let cmd: string[] | undefined;
        try {
          cmd = req.query.cmd ? z.array(z.string()).parse(JSON.parse(req.query.cmd)) : undefined;
        } catch {
          throw new InvalidArgument('cmd must be a JSON array of strings');
        }
        return images().importRootfs(req.body as Readable, req.query.ref, { cmd });
      },
    );
  });
}
