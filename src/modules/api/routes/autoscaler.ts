// Autoscaler routes: configure, list, remove, and read the decision log.
import { z } from 'zod';
import { Kinds } from '../../../contracts/kinds.js';
import type { RouteKernel } from './context.js';
import type { AutoscalerController } from '../../autoscaler/controller.js';
import type { Api } from '../server.js';
import { autoscalerOutSchema, decisionSchema } from '../../../contracts/autoscaler.js';

export function autoscalerRoutes(app: Api, k: RouteKernel): void {
  const ctl = () => k.getSingle<AutoscalerController>(Kinds.autoscaler);
  const id = z.object({ namespace: z.string().min(1), name: z.string().min(1) });
  app.get('/v1/autoscalers', { schema: { summary: 'List autoscalers', querystring: z.object({ namespace: z.string().optional() }), response: { 200: z.object({ autoscalers: z.array(autoscalerOutSchema) }) } } }, async (req) => ({ autoscalers: ctl().list(req.query.namespace) }));
  // The body is checked by the controller's own schema so that the CLI, manifests and this route share one validation.
  app.post('/v1/autoscalers', { schema: { summary: 'Create or replace an autoscaler', body: z.record(z.string(), z.unknown()), response: { 200: autoscalerOutSchema } } }, async (req) => ctl().put(req.body));
  app.get('/v1/autoscalers/:namespace/:name', { schema: { summary: 'One autoscaler', params: id, response: { 200: autoscalerOutSchema } } }, async (req) => ctl().get(req.params.namespace, req.params.name));
  app.delete('/v1/autoscalers/:namespace/:name', { schema: { summary: 'Remove an autoscaler', params: id, response: { 200: z.object({ deleted: z.string() }) } } }, async (req) => {
    await ctl().remove(req.params.namespace, req.params.name);
    return { deleted: `${req.params.namespace}/${req.params.name}` };
  });
  app.get(
    '/v1/autoscalers/:namespace/:name/decisions',
    { schema: { summary: 'Decision log: time, inputs, policy, desired before and after, reason', params: id, querystring: z.object({ limit: z.coerce.number().int().positive().max(2000).optional() }), response: { 200: z.object({ decisions: z.array(decisionSchema) }) } } },
    async (req) => ({ decisions: await ctl().decisions(req.params.namespace, req.params.name, req.query.limit) }),
  );
}
