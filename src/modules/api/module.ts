// Registration of the API module: creates the token at first boot, serves every capability's
// routes (each route looks its module up at request time, so unloaded modules answer 503).
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Kinds } from '../../contracts/kinds.js';
import { volumesKind } from '../../contracts/volumes.js';
import { InvalidArgument } from '../../kernel/errors.js';
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

export const tokenFile = (dataDir: string): string => path.join(dataDir, 'token');

/** Reads the API token, creating a random one (mode 0600) at first boot. */
export async function ensureToken(dataDir: string): Promise<string> {
  const file = tokenFile(dataDir);
  try {
    const t = (await readFile(file, 'utf8')).trim();
    if (t) return t;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const token = randomBytes(32).toString('base64url');
  await writeFile(file, token + '\n', { mode: 0o600, flag: 'wx' }).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  return (await readFile(file, 'utf8')).trim();
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m) throw new InvalidArgument(`listen address ${listen} is not HOST:PORT`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** "127.0.0.1:7070" or "[::1]:7070" for a listening server. */
export function boundAddress(server: { address(): ReturnType<import('node:net').Server['address']> }): string {
  const a = server.address();
  return typeof a === 'object' && a ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : String(a);
}

export const apiModule = (): ModuleDef<ApiConfig, ApiModule> => ({
  kind: Kinds.api,
  id: 'http',
  description: 'REST API under /v1 with bearer-token auth and OpenAPI',
  requires: [Kinds.stateStore],
  // Every kind a route serves; each may be unloaded, and then its routes answer 503.
  optional: [Kinds.scheduler, Kinds.monitor, Kinds.containers, Kinds.images, Kinds.dashboard, Kinds.functions, Kinds.gateway, Kinds.services, Kinds.autoscaler, volumesKind],
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
