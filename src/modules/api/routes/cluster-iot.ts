// The edge nodes' IoT sync (issue 21; bearer: the node credential): an agent's iot module sends
// its devices' twins and buffered telemetry, and gets the devices bound to it (see iot/edge-server.ts).
import type { FastifyRequest } from 'fastify';
import { clusterKind, type ClusterApi } from '../../../contracts/cluster.js';
import { edgeSyncAnswerSchema, edgeSyncPath, edgeSyncRequestSchema, iotKind, type EdgeSyncRequest, type IotApi } from '../../../contracts/iot.js';
import { FailedPrecondition, Unauthenticated } from '../../../kernel/errors.js';
import type { KernelServices } from '../../../kernel/module.js';
import type { RouteKernel } from './context.js';
import type { Api } from '../server.js';
import { bearerToken } from '../server.js';

async function nodeOf(req: FastifyRequest, cluster: ClusterApi): Promise<string> {
  const credential = bearerToken(req.headers.authorization);
  if (!credential) throw new Unauthenticated('missing node credential (Authorization: Bearer <credential from the join>)');
  return cluster.authenticateNode(credential);
}

export function clusterIotRoutes(app: Api, k: RouteKernel, _svc: KernelServices): void {
  app.post(edgeSyncPath, { schema: { summary: 'An edge node syncs its devices: twins and buffered telemetry up, the devices bound to it and their desired state down (bearer: the node credential)', security: [], body: edgeSyncRequestSchema, response: { 200: edgeSyncAnswerSchema } } }, async (req) => {
    const node = await nodeOf(req, k.getSingle<ClusterApi>(clusterKind));
    const iot = k.getOptional<IotApi>(iotKind);
    if (!iot?.edgeSync) throw new FailedPrecondition('the server has no iot module loaded: edge devices cannot sync');
    return iot.edgeSync(node, req.body as EdgeSyncRequest);
  });
}
