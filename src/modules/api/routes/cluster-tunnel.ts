// The agents' reverse tunnels: `GET /v1/cluster/agent/tunnel` with `Upgrade: llmos-tunnel` and the
// node credential as bearer. Served on the API's own (TLS) server's upgrade event, before
// Fastify, as the stdio upgrades are; the cluster module authenticates and takes the connection.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { clusterKind, tunnelPath, tunnelProtocol, type ClusterApi } from '../../../contracts/cluster.js';
import { InvalidArgument, NotFound, Unauthenticated, errorMessage } from '../../../kernel/errors.js';
import { toHttp } from '../errors-http.js';
import type { Api } from '../server.js';
import { bearerToken } from '../server.js';
import type { RouteKernel } from './context.js';

export function clusterTunnelRoutes(app: Api, k: RouteKernel): void {
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.url ?? '').split('?')[0] !== tunnelPath) return;
    const refuse = (e: unknown) => {
      const { status, body } = toHttp(e);
      const text = JSON.stringify(body);
      socket.end(`HTTP/1.1 ${status} Refused\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
      app.log.warn(`cluster: refused a tunnel from ${req.socket.remoteAddress ?? '?'}: ${errorMessage(e)}`);
    };
    socket.on('error', () => undefined); // a reset tunnel is the agent's to redial
    if (String(req.headers.upgrade ?? '').toLowerCase() !== tunnelProtocol) return refuse(new InvalidArgument(`the tunnel needs Upgrade: ${tunnelProtocol}`));
    const cluster = k.getOptional<ClusterApi>(clusterKind);
    const credential = bearerToken(req.headers.authorization);
    if (!cluster) return refuse(new NotFound('this daemon is not a cluster server'));
    if (!credential) return refuse(new Unauthenticated('missing node credential (Authorization: Bearer <credential from the join>)'));
    cluster.acceptTunnel(credential, socket as Duplex & { destroy(): void }, head).catch(refuse);
  });
}
