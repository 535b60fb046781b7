// Cluster routes: join tokens and nodes (for the API token holder), and the agents' own calls
// under /v1/cluster/agent/ (no API token: the join carries a join token, the lease a node credential).
import { z } from 'zod';
import { clusterKind, joinAnswerSchema, joinRequestSchema, leaseAnswerSchema, leaseRequestSchema, nodePatchSchema, nodeViewSchema, tokenCreateSchema, tokenCreatedSchema, tokenInfoSchema, type ClusterApi, type JoinRequest, type NodePatch, type TokenCreate } from '../../../contracts/cluster.js';
import { Unauthenticated } from '../../../kernel/errors.js';
import type { RouteKernel } from './context.js';
import type { KernelServices } from '../../../kernel/module.js';
import type { Api } from '../server.js';
import { bearerToken } from '../server.js';
import { noContent } from './sse.js';
import { clusterTunnelRoutes } from './cluster-tunnel.js';
import { clusterProxyRoutes } from './cluster-proxy.js';

const nameParam = z.object({ name: z.string().min(1).max(253) });
const idParam = z.object({ id: z.string().min(1).max(64) });

export function clusterRoutes(app: Api, k: RouteKernel, _svc: KernelServices): void {
  const api = () => k.getSingle<ClusterApi>(clusterKind);
  clusterTunnelRoutes(app, k);
  clusterProxyRoutes(app, k);
  app.post('/v1/cluster/tokens', { schema: { summary: 'Create a join token (K10<ca-hash>::<id>.<secret>)', body: tokenCreateSchema, response: { 201: tokenCreatedSchema } } }, async (req, reply) => reply.code(201).send(await api().createToken(req.body as TokenCreate)));
  app.get('/v1/cluster/tokens', { schema: { summary: 'List join tokens (without their secrets)', response: { 200: z.object({ tokens: z.array(tokenInfoSchema) }) } } }, async () => ({ tokens: await api().listTokens() }));
  app.delete('/v1/cluster/tokens/:id', { schema: { summary: 'Delete a join token', params: idParam, response: { 204: z.null() } } }, async (req, reply) => {
    await api().deleteToken(req.params.id);
    return noContent(reply);
  });

  app.get('/v1/nodes', { schema: { summary: 'List the cluster\'s nodes with status, capacity and last heartbeat', response: { 200: z.object({ nodes: z.array(nodeViewSchema) }) } } }, async () => ({ nodes: await api().nodes() }));
  app.get('/v1/nodes/:name', { schema: { summary: 'Inspect a node', params: nameParam, response: { 200: nodeViewSchema } } }, async (req) => api().node(req.params.name));
  app.patch('/v1/nodes/:name', { schema: { summary: 'Label, taint, cordon or uncordon a node', params: nameParam, body: nodePatchSchema, response: { 200: nodeViewSchema } } }, async (req) => api().updateNode(req.params.name, req.body as NodePatch));
  app.delete('/v1/nodes/:name', { schema: { summary: 'Remove a node (its agent must join again)', params: nameParam, response: { 204: z.null() } } }, async (req, reply) => {
    await api().removeNode(req.params.name);
    return noContent(reply);
  });

  app.get('/v1/cluster/agent/ca', { schema: { summary: 'The cluster CA certificate (agents check its hash against their join token)', security: [], response: { 200: z.object({ ca: z.string() }) } } }, async () => ({ ca: await api().ca() }));
  app.post('/v1/cluster/agent/join', { schema: { summary: 'Join with a token: registers the node, answers its credential', security: [], body: joinRequestSchema, response: { 200: joinAnswerSchema } } }, async (req) => api().join(req.body as JoinRequest, req.ip));
  app.put('/v1/cluster/agent/lease', { schema: { summary: 'Renew the node\'s lease (bearer: the node credential)', security: [], body: leaseRequestSchema, response: { 200: leaseAnswerSchema } } }, async (req) => {
    const credential = bearerToken(req.headers.authorization);
    if (!credential) throw new Unauthenticated('missing node credential (Authorization: Bearer <credential from the join>)');
    return api().renew(credential, (req.body as z.infer<typeof leaseRequestSchema>).report);
  });
}
