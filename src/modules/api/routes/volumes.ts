// Volume routes (Docker's `docker volume`): create, list, inspect, remove, prune.
import { z } from 'zod';
import { volumeCreateSchema, volumesKind, type VolumeCreate, type VolumesApi } from '../../../contracts/volumes.js';
import type { RouteKernel } from './context.js';
import type { KernelServices } from '../../../kernel/module.js';
import type { Api } from '../server.js';
import { noContent } from './sse.js';

const nameParam = z.object({ name: z.string().min(1) });
const volumeInfo = z.object({ name: z.string(), driver: z.literal('local'), mountpoint: z.string(), createdAt: z.string(), labels: z.record(z.string(), z.string()), anonymous: z.boolean(), usedBy: z.array(z.string()) });

export function volumeRoutes(app: Api, k: RouteKernel, _svc: KernelServices): void {
  const api = () => k.getSingle<VolumesApi>(volumesKind);
  app.get('/v1/volumes', { schema: { summary: 'List volumes', response: { 200: z.object({ volumes: z.array(volumeInfo) }) } } }, async () => ({ volumes: await api().list() }));
  app.post('/v1/volumes', { schema: { summary: 'Create a volume (an existing name answers the volume)', body: volumeCreateSchema, response: { 201: volumeInfo } } }, async (req, reply) => reply.code(201).send(await api().create(req.body as VolumeCreate)));
  app.post('/v1/volumes/prune', { schema: { summary: 'Remove every volume no container uses', response: { 200: z.object({ removed: z.array(z.string()) }) } } }, async () => ({ removed: await api().prune() }));
  app.get('/v1/volumes/:name', { schema: { summary: 'Inspect a volume', params: nameParam, response: { 200: volumeInfo } } }, async (req) => api().inspect(req.params.name));
  app.delete('/v1/volumes/:name', { schema: { summary: 'Remove a volume (refused while a container uses it)', params: nameParam, response: { 204: z.null() } } }, async (req, reply) => {
    await api().remove(req.params.name);
    return noContent(reply);
  });
}
