// Copies and archives: a container's files as a tar both ways (`llmos cp`, the runtime's tar-safe
// copy) and `llmos save` (a docker-archive of local images). Tars are raw bodies both ways.
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import type { ContainerCopyApi, ContainersApi } from '../../../contracts/containers.js';
import type { ImageStoreApi } from '../../../contracts/images.js';
import { Kinds } from '../../../contracts/kinds.js';
import type { KernelServices } from '../../../kernel/module.js';
import { Unavailable } from '../../../kernel/errors.js';
import type { Api } from '../server.js';
import type { RouteKernel } from './context.js';
import { noContent } from './sse.js';

const idParam = z.object({ id: z.string().min(1) });
const pathQuery = z.object({ path: z.string().min(1) });
const bool = z.enum(['true', 'false', '1', '0']).optional();
const yes = (v: string | undefined) => v === 'true' || v === '1';
const statSchema = z.object({ name: z.string(), size: z.number(), mode: z.number(), mtime: z.string(), linkTarget: z.string() });

export function archiveRoutes(app: Api, k: RouteKernel, _svc: KernelServices): void {
  const copy = (): ContainerCopyApi => {
    const a = k.getSingle<ContainersApi>(Kinds.containers);
    if (!('getArchive' in a)) throw new Unavailable('this containers runtime has no copy (cp)');
    return a as ContainersApi & ContainerCopyApi;
  };
  const images = () => k.getSingle<ImageStoreApi>(Kinds.images);

  app.get('/v1/containers/:id/archive/stat', { schema: { summary: 'A container path: name, size, mode, mtime and link target (for cp)', params: idParam, querystring: pathQuery, response: { 200: statSchema } } }, async (req) =>
    copy().statPath(req.params.id, req.query.path),
  );
  app.get('/v1/containers/:id/archive', { schema: { summary: 'A tar of a path in a container (its stat in X-LLMOS-Path-Stat, base64 JSON)', params: idParam, querystring: pathQuery, produces: ['application/x-tar'], response: { 200: z.string().describe('a tar archive') } } }, async (req, reply) => {
    const { stat, tar } = await copy().getArchive(req.params.id, req.query.path);
    // A stream is sent as it is (the typed reply only knows the schema's string).
    const untyped: FastifyReply = reply;
    return untyped.header('x-llmos-path-stat', Buffer.from(JSON.stringify(stat)).toString('base64')).type('application/x-tar').send(Readable.from(tar));
  });
  app.get('/v1/images/save', { schema: { summary: 'Local images as a docker-archive tar (docker save)', querystring: z.object({ ref: z.union([z.string().min(1), z.array(z.string().min(1))]) }), produces: ['application/x-tar'], response: { 200: z.string().describe('a docker-archive tar') } } }, async (req, reply) => {
    const svc = images();
    if (!svc.save) throw new Unavailable('this images module cannot save');
    const tar = await svc.save(([] as string[]).concat(req.query.ref));
    const untyped: FastifyReply = reply;
    return untyped.type('application/x-tar').send(Readable.from(tar));
  });

  void app.register(async (plain) => {
    const sub = plain.withTypeProvider<ZodTypeProvider>();
    for (const type of ['application/x-tar', 'application/octet-stream']) sub.addContentTypeParser(type, (_req, payload, done) => done(null, payload));
    sub.put(
      '/v1/containers/:id/archive',
      { schema: { summary: 'Extract a tar (request body) into a directory of a container', params: idParam, querystring: pathQuery.extend({ copyUidGid: bool, noOverwriteDirNonDir: bool, from: z.string().optional(), to: z.string().optional() }), response: { 204: z.null() } } },
      async (req, reply) => {
        await copy().putArchive(req.params.id, req.query.path, req.body as Readable, { copyUidGid: yes(req.query.copyUidGid), noOverwriteDirNonDir: yes(req.query.noOverwriteDirNonDir), ...(req.query.to ? { rename: { from: req.query.from ?? '', to: req.query.to } } : {}) });
        return noContent(reply);
      },
    );
  });
}
