// Registration of the API module: creates the token at first boot, serves every capability's
// routes (each route looks its module up at request time, so unloaded modules answer 503).
import { Kinds } from '../../contracts/kinds.js';
import { boundAddress, ensureToken, parseListen } from '../../kernel/http-listen.js';
import { volumesKind } from '../../contracts/volumes.js';
import { userNetworksKind } from '../../contracts/user-networks.js';
import type { ModuleDef } from '../../kernel/module.js';
import { createApiServer, type Api } from './server.js';
import { allRoutes } from './routes/index.js';
import { routeKernel } from './routes/context.js';

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
  optional: [Kinds.scheduler, Kinds.monitor, Kinds.containers, Kinds.images, Kinds.dashboard, Kinds.functions, Kinds.gateway, Kinds.services, Kinds.autoscaler, volumesKind, userNetworksKind],
  defaults: { listen: '' },
  async init(ctx) {
    const token = await ensureToken(ctx.dataDir);
    const app = await createApiServer({ token, log: ctx.log });
    const kernel = routeKernel(ctx);
    for (const register of allRoutes) register(app, kernel, ctx);
    const { host, port } = parseListen(ctx.config.listen || ctx.addresses.listen);
    await app.listen({ host, port });
    const address = boundAddress(app.server);
    ctx.meta.exports.address = address;
    return { app, address, token };
  },
  stop: ({ app }) => app.close(),
});
