// Kernel routes: status, modules (load/unload at run time), workloads, events (with live follow).
import { z } from 'zod';
import type { RouteKernel } from './context.js';
import type { KernelServices } from '../../../kernel/module.js';
import type { Api } from '../server.js';
import { sendSse } from './sse.js';
import { kernelStatusSchema, llmosEventSchema, moduleStatusSchema } from '../../../contracts/system.js';
import { workloadSchema } from '../../../contracts/workloads.js';

export function systemRoutes(app: Api, k: RouteKernel, svc: KernelServices): void {
  app.get('/v1/status', { schema: { summary: 'Node, host probe, boot timeline and modules', response: { 200: kernelStatusSchema } } }, async () => k.status());
  app.get('/v1/modules', { schema: { summary: 'Modules with kind, state and dependencies', response: { 200: z.object({ modules: z.array(moduleStatusSchema) }) } } }, async () => ({ modules: k.modules() }));
  const name = z.object({ name: z.string().min(1) });
  app.post('/v1/modules/:name/load', { schema: { params: name, summary: 'Load a module at run time', response: { 200: moduleStatusSchema } } }, async (req) => k.loadModule(req.params.name));
  app.post('/v1/modules/:name/unload', { schema: { params: name, summary: 'Unload a module (refused while others require it)', response: { 200: moduleStatusSchema } } }, async (req) => k.unloadModule(req.params.name));
  app.get('/v1/workloads', { schema: { querystring: z.object({ type: z.string().optional(), namespace: z.string().optional() }), summary: 'The workload table', response: { 200: z.object({ workloads: z.array(workloadSchema) }) } } }, async (req) => ({ workloads: svc.workloads.list(req.query) }));
  app.get(
    '/v1/events',
    {
      schema: {
        summary: 'Recent events; with follow=true a server-sent event stream',
        querystring: z.object({ prefix: z.string().optional(), subject: z.string().optional(), limit: z.coerce.number().int().positive().max(10_000).optional(), follow: z.enum(['true', 'false']).optional(), token: z.string().optional() }),
        // With follow=true: a text/event-stream of `event` items instead.
        response: { 200: z.object({ events: z.array(llmosEventSchema) }) },
      },
    },
    async (req, reply) => {
      const { prefix, subject, limit, follow } = req.query;
      const recent = svc.events.recent({ prefix, subject, limit: limit ?? 200 });
      if (follow !== 'true') return { events: recent };
      sendSse(reply, (send) => {
        for (const e of recent) send('event', e);
        return svc.events.subscribe(prefix ?? '', (e) => (!subject || e.subject === subject) && send('event', e));
      });
    },
  );
}
