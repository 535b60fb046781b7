// The API edge: Fastify under /v1 with zod request schemas, an OpenAPI document, bearer-token
// auth, response schemas on every route (responses.ts), and LLMOS errors mapped to HTTP statuses
// by the mapping both HTTP edges share (src/kernel/http-errors.ts).
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { toHttp } from './errors-http.js';
import { addResponseSchemas, checkedSerializer, openapiTransform } from './responses.js';
import { LLMOS_VERSION } from '../../kernel/kernel.js';

export type Api = FastifyInstance<any, any, any, any, ZodTypeProvider>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Paths served without a token: health, the API description, the dashboard's static files, and the agents' join and lease calls (they carry a join token or node credential instead). */
const publicPath = (url: string): boolean => url === '/healthz' || url.startsWith('/v1/cluster/agent/') || url.startsWith('/v1/openapi.json') || url === '/ui' || url.startsWith('/ui/') || url === '/';

/** The credentials of `Authorization: Bearer X`; the scheme name is case-insensitive (RFC 7235 2.1). */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header ?? '');
  return m?.[1];
}

/** Constant-time comparison; hashing first makes the lengths equal so the length does not leak either. */
function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}

// Fastify types these factories for Ajv's compile functions; zod's have the same call shape.
const zodCompilers = { buildValidator: () => validatorCompiler, buildSerializer: () => checkedSerializer } as unknown as NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/**
 * `document`: the OpenAPI document the build wrote (dist/openapi.json, by scripts/openapi.mjs with this
 * same function), served as is. Without it the routes are described live by @fastify/swagger, which
 * the build and the in-process route tests use; the daemon skips loading it (~30 ms of every boot).
 */
export async function createApiServer(opts: { token: string; log: Logger; bodyLimit?: number; document?: string; https?: { key: string; cert: string } }): Promise<Api> {
  // forceCloseConnections: close() also ends in-flight requests (an `events -f` stream, a slow
  // client), which otherwise kept the API's stop, and so the daemon's shutdown, waiting forever.
  // Every route validates and serializes with zod: giving Fastify those compilers up front keeps it
  // from loading Ajv and fast-json-stringify for defaults nobody uses (~55 ms of every boot, bench/boot).
  const app = Fastify({
    loggerInstance: opts.log.child({}, { level: opts.log.levelVal > 40 ? opts.log.level : 'warn' }),
    bodyLimit: opts.bodyLimit ?? 64 * 2 ** 20,
    forceCloseConnections: true,
    // No automatic HEAD twin for every GET: a third of boot's route registration, and no client of
    // the API sends HEAD (only /healthz answers it, for load-balancer checks).
    exposeHeadRoutes: false,
    schemaController: { compilersFactory: zodCompilers },
    ...(opts.https ? { https: opts.https } : {}),
  } as Parameters<typeof Fastify>[0]).withTypeProvider<ZodTypeProvider>();
  // Before swagger's own onRoute hook, so the document shows the added error responses.
  app.addHook('onRoute', addResponseSchemas);
  if (!opts.document) {
    const { default: swagger } = await import('@fastify/swagger');
    await app.register(swagger, {
      openapi: {
        info: { title: 'LLMOS API', version: LLMOS_VERSION },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
      transform: openapiTransform,
    });
  }

  app.addHook('onRequest', async (req, reply) => {
    if (publicPath(req.url.split('?')[0]!)) return;
    const q = (req.query as Record<string, unknown> | undefined)?.token;
    if (!tokenMatches(bearerToken(req.headers.authorization) ?? (typeof q === 'string' ? q : undefined), opts.token)) {
      return reply.code(401).header('www-authenticate', 'Bearer realm="llmos"').send({ error: 'missing or invalid API token (see the token file in the data dir, or LLMOS_TOKEN)', code: 'E_UNAUTHENTICATED' });
    }
  });

  app.setErrorHandler((err, req, reply) => {
    const { status, body } = toHttp(err);
    if (status >= 500) req.log.error({ err }, 'request failed');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}`, code: 'E_NOT_FOUND' }));

  app.route({ method: ['GET', 'HEAD'], url: '/healthz', schema: { hide: true }, handler: async () => ({ status: 'ok' }) });
  const document = opts.document;
  let text: Promise<string> | undefined;
  app.get('/v1/openapi.json', { schema: { hide: true } }, async (_req, reply) =>
    document ? reply.type('application/json').send(await (text ??= readFile(document, 'utf8'))) : app.swagger());
  return app;
}
