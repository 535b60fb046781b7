// Registration of the API module: creates the token at first boot, serves every capability's
// routes (each route looks its module up at request time, so unloaded modules answer 503).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Kinds } from '../../contracts/kinds.js';
import { boundAddress, ensureToken, parseListen } from '../../kernel/http-listen.js';
import { volumesKind } from '../../contracts/volumes.js';
import { iotKind } from '../../contracts/iot.js';
import { clusterKind } from '../../contracts/cluster.js';
import { isLoopback, serverTls } from '../../kernel/cluster-ca.js';
import { userNetworksKind } from '../../contracts/user-networks.js';
import type { ModuleDef } from '../../kernel/module.js';
import { createApiServer, type Api } from './server.js';
import { allRoutes } from './routes/index.js';
import { routeKernel } from './routes/context.js';

/** dist/openapi.json, written by the build (scripts/openapi.mjs); absent when run from sources. */
const builtDocument = fileURLToPath(new URL('../../../openapi.json', import.meta.url));

export interface ApiConfig {
  listen: string;
}

export interface ApiModule {
  app: Api;
  address: string;
  token: string;
}

export { boundAddress, ensureToken, parseListen, tokenFile } from '../../kernel/http-listen.js';

export const apiModule = (): ModuleDef<ApiConfig, ApiModule> => ({
  kind: Kinds.api,
  id: 'http',
  description: 'REST API under /v1 with bearer-token auth and OpenAPI',
  requires: [Kinds.stateStore],
  // Every kind a route serves; each may be unloaded, and then its routes answer 503.
  optional: [Kinds.scheduler, Kinds.monitor, Kinds.containers, Kinds.images, Kinds.dashboard, Kinds.functions, Kinds.gateway, Kinds.services, Kinds.autoscaler, volumesKind, iotKind, clusterKind, userNetworksKind, Kinds.network],
  defaults: { listen: '' },
  async init(ctx) {
    const token = await ensureToken(ctx.dataDir);
    const { host, port } = parseListen(ctx.config.listen || ctx.addresses.listen);
    // Off loopback the API is reachable by other machines (agents): TLS with the cluster CA.
    const https = isLoopback(host) ? undefined : await serverTls(ctx.dataDir, host);
    const app = await createApiServer({ token, log: ctx.log, https, document: existsSync(builtDocument) ? builtDocument : undefined });
    const kernel = routeKernel(ctx);
    for (const register of allRoutes) register(app, kernel, ctx);
    await app.listen({ host, port });
    const address = boundAddress(app.server);
    ctx.meta.exports.address = address;
    ctx.meta.exports.url = `${https ? 'https' : 'http'}://${address}`;
    return { app, address, token };
  },
  stop: ({ app }) => app.close(),
});
