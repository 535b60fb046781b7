// Queues of the functions module (Workers Queues) under /v1/queues (token required): create with a
// consumer and delivery settings, list, inspect, remove, and send messages (JSON or text bodies).
import { z } from 'zod';
import { Kinds } from '../../../contracts/kinds.js';
import { queueInfoSchema, queueInputSchema, queueSendSchema } from '../../../contracts/functions.js';
import type { KernelServices } from '../../../kernel/module.js';
import type { FunctionsApi } from '../../functions/module.js';
import type { Api } from '../server.js';
import type { RouteKernel } from './context.js';
import { noContent } from './sse.js';

export function queueRoutes(app: Api, k: RouteKernel, _svc: KernelServices): void {
  const queues = () => k.getSingle<FunctionsApi>(Kinds.functions).queues;
  const name = z.object({ name: z.string().min(1) });
  app.post('/v1/queues', { schema: { body: queueInputSchema, summary: 'Create a queue: its consumer function, batch size and timeout, retries, dead-letter queue', response: { 201: queueInfoSchema } } }, async (req, reply) => reply.code(201).send(await queues().create(req.body)));
  app.get('/v1/queues', { schema: { summary: 'Queues with their backlog and delivery counts', response: { 200: z.object({ queues: z.array(queueInfoSchema) }) } } }, async () => ({ queues: queues().list() }));
  app.get('/v1/queues/:name', { schema: { params: name, summary: 'One queue', response: { 200: queueInfoSchema } } }, async (req) => queues().inspect(req.params.name));
  app.delete('/v1/queues/:name', { schema: { params: name, summary: 'Remove a queue and its messages', response: { 204: z.null() } } }, async (req, reply) => {
    await queues().remove(req.params.name);
    return noContent(reply);
  });
  app.post('/v1/queues/:name/messages', { schema: { params: name, body: queueSendSchema, summary: 'Send messages to a queue (JSON values, or text with contentType text)', response: { 202: z.object({ sent: z.number() }) } } }, async (req, reply) => {
    const msgs = req.body.messages.map((m) => ({ body: m.contentType === 'text' ? String(m.body) : (JSON.stringify(m.body) ?? 'null'), contentType: m.contentType ?? 'json', delaySeconds: m.delaySeconds }));
    await queues().send(req.params.name, msgs);
    return reply.code(202).send({ sent: msgs.length });
  });
}
