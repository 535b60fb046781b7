// The API edge: Fastify under /v1 with zod request schemas, an OpenAPI document, bearer-token
// auth, response schemas on every route (responses.ts), and LLMOS errors mapped to HTTP statuses
// by the mapping both HTTP edges share (src/kernel/http-errors.ts).
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { createHash, timingSafeEqual } from 'node:crypto';
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

export async function createApiServer(opts: { token: string; log: Logger; bodyLimit?: number; https?: { key: string; cert: string } }): Promise<Api> {
  // forceCloseConnections: close() also ends in-flight requests (an `events -f` stream, a slow
  // client), which otherwise kept the API's stop, and so the daemon's shutdown, waiting forever.
  const app = Fastify({ loggerInstance: opts.log.child({}, { level: opts.log.levelVal > 40 ? opts.log.level : 'warn' }), bodyLimit: opts.bodyLimit ?? 64 * 2 ** 20, forceCloseConnections: true, ...(opts.https ? { https: opts.https } : {}) } as Parameters<typeof Fastify>[0]).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(checkedSerializer);
  // Before swagger's own onRoute hook, so the document shows the added error responses.
  app.addHook('onRoute', addResponseSchemas);
  await app.register(swagger, {
    openapi: {
      info: { title: 'LLMOS API', version: LLMOS_VERSION },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: openapiTransform,
  });

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

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
