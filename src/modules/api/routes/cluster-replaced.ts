// The agents' "replaced workloads" calls (issue 20; bearer: the node credential). A node that
// comes back after being NotReady past the eviction timeout asks which of its workloads were
// replaced on other nodes meanwhile, stops exactly those, and reports them done.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { clusterKind, replacedDoneSchema, replacedListSchema, type ClusterApi } from '../../../contracts/cluster.js';
import { Unauthenticated } from '../../../kernel/errors.js';
import type { RouteKernel } from './context.js';
import type { KernelServices } from '../../../kernel/module.js';
import type { Api } from '../server.js';
import { bearerToken } from '../server.js';

async function nodeOf(req: FastifyRequest, cluster: ClusterApi): Promise<string> {
  const credential = bearerToken(req.headers.authorization);
  if (!credential) throw new Unauthenticated('missing node credential (Authorization: Bearer <credential from the join>)');
  return cluster.authenticateNode(credential);
}

export function clusterReplacedRoutes(app: Api, k: RouteKernel, _svc: KernelServices): void {
  const api = () => k.getSingle<ClusterApi>(clusterKind);
  app.get('/v1/cluster/agent/replaced', { schema: { summary: 'The workloads of this node that were replaced on other nodes while it was NotReady: its agent stops them (bearer: the node credential)', security: [], response: { 200: replacedListSchema } } }, async (req) => {
    const cluster = api();
    return { workloads: await cluster.replaced(await nodeOf(req, cluster)) };
  });
  app.post('/v1/cluster/agent/replaced', { schema: { summary: 'The agent stopped these replaced workloads (or no longer has them): forget them (bearer: the node credential)', security: [], body: replacedDoneSchema, response: { 200: z.object({ done: z.number() }) } } }, async (req) => {
    const cluster = api();
    const { ids } = req.body as { ids: string[] };
    await cluster.replacedDone(await nodeOf(req, cluster), ids);
    return { done: ids.length };
  });
}
