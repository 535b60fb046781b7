// Scheduler routes: namespaces, quotas, admissions (the admission check other nodes and tests
// call), and the scheduler's view of the local node.
import { z } from 'zod';
import { Kinds } from '../../../contracts/kinds.js';
import type { RouteKernel } from './context.js';
import type { KernelServices } from '../../../kernel/module.js';
import type { SchedulerApi } from '../../../contracts/scheduler.js';
import { MAX_CPU_MILLI, MAX_MEMORY_BYTES, parseCpu, parseMemory } from '../../../kernel/quantity.js';
import type { Api } from '../server.js';
import { noContent } from './sse.js';
import { admissionSchema, namespaceInfoSchema, schedulerDescriptionSchema } from '../../../contracts/scheduler.js';

// Quantities may be numbers in base units (millicores, bytes) or strings as users type them ("2", "500m", "1Gi").
// Numbers are millicores and bytes; strings are quantities ("500m", "1Gi"), bounded by the same parser.
const cpu = z.union([z.number().nonnegative().max(MAX_CPU_MILLI), z.string()]).transform((v) => (typeof v === 'number' ? v : parseCpu(v)));
const memory = z.union([z.number().nonnegative().max(MAX_MEMORY_BYTES), z.string()]).transform((v) => (typeof v === 'number' ? v : parseMemory(v)));
const resources = z.object({ cpu: cpu.optional(), memory: memory.optional(), pids: z.number().int().nonnegative().optional() });
const taintEffect = z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

const admission = z.object({
  id: z.string().min(1),
  namespace: z.string().optional(),
  requests: resources.optional(),
  limits: resources.optional(),
  priority: z.number().int().optional(),
  subject: z.string().optional(),
  nodeSelector: z.record(z.string(), z.string()).optional(),
  tolerations: z.array(z.object({ key: z.string().optional(), operator: z.enum(['Equal', 'Exists']).optional(), value: z.string().optional(), effect: taintEffect.optional() })).optional(),
  hostPorts: z.array(z.object({ port: z.number().int().min(1).max(65535), protocol: z.enum(['tcp', 'udp']).optional(), hostIp: z.string().optional() })).optional(),
  image: z.string().optional(),
  spreadKey: z.string().optional(),
});

const quotaBody = z.object({
  cpu: cpu.nullable().optional(),
  memory: memory.nullable().optional(),
  workloads: z.number().int().nonnegative().nullable().optional(),
});

export function schedulerRoutes(app: Api, k: RouteKernel, _svc: KernelServices): void {
  const s = () => k.getSingle<SchedulerApi>(Kinds.scheduler);
  const name = z.object({ name: z.string().min(1) });

  app.get('/v1/namespaces', { schema: { summary: 'Namespaces with their quota and usage', response: { 200: z.object({ namespaces: z.array(namespaceInfoSchema) }) } } }, async () => ({ namespaces: s().namespaces() }));
  app.post('/v1/namespaces', { schema: { body: z.object({ name: z.string().min(1) }), summary: 'Create a namespace', response: { 201: namespaceInfoSchema } } }, async (req, reply) => reply.code(201).send(await s().createNamespace(req.body.name)));
  app.delete('/v1/namespaces/:name', { schema: { params: name, summary: 'Remove an empty namespace', response: { 204: z.null() } } }, async (req, reply) => {
    await s().removeNamespace(req.params.name);
    return noContent(reply);
  });
  app.put('/v1/namespaces/:name/quota', { schema: { params: name, body: quotaBody, summary: 'Set quota fields (null removes one); CPU in millicores or "2"/"500m", memory in bytes or "1Gi"', response: { 200: namespaceInfoSchema } } }, async (req) =>
    s().setQuota(req.params.name, req.body),
  );
  app.get('/v1/quotas', { schema: { summary: 'Quota and usage of every namespace', response: { 200: z.object({ quotas: z.array(namespaceInfoSchema) }) } } }, async () => ({ quotas: s().namespaces() }));

  app.get('/v1/scheduler', { schema: { summary: 'Profile and the local node as the scheduler sees it', response: { 200: schedulerDescriptionSchema } } }, async () => s().describe());
  app.get('/v1/scheduler/admissions', { schema: { querystring: z.object({ namespace: z.string().optional() }), summary: 'Admitted workloads', response: { 200: z.object({ admissions: z.array(admissionSchema) }) } } }, async (req) => ({ admissions: s().admissions(req.query) }));
  app.post('/v1/scheduler/admissions', { schema: { body: admission, summary: 'Admit a workload (429 with the reason when it does not fit)', response: { 201: admissionSchema } } }, async (req, reply) => reply.code(201).send(s().admit(req.body)));
  app.delete('/v1/scheduler/admissions/:id', { schema: { params: z.object({ id: z.string().min(1) }), summary: 'Release an admission', response: { 204: z.null() } } }, async (req, reply) => {
    s().release(req.params.id);
    return noContent(reply);
  });
}
