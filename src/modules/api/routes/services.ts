// Services and declarative apply under /v1. Apply is server-side (the CLI and the dashboard post
// parsed documents or raw YAML); kind Function is handed to the functions routes in-process.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Kinds } from '../../../contracts/kinds.js';
import { MANIFEST_LIMITS, ManifestRejected, splitDocuments } from '../../../contracts/manifest.js';
import { Internal, InvalidArgument, Unavailable } from '../../../kernel/errors.js';
import type { RouteKernel } from './context.js';
import type { KernelServices } from '../../../kernel/module.js';
import type { FunctionApplier } from '../../services/apply.js';
import type { ServicesApi } from '../../services/module.js';
import type { Api } from '../server.js';
import { noContent, sendSse } from './sse.js';
import { iotApplyPart } from './iot.js';
import { applyOutcomeSchema, serviceLogLineSchema, serviceStatusSchema } from '../../../contracts/services.js';

const applyAnswer = z.object({ dryRun: z.boolean(), results: z.array(applyOutcomeSchema) });

const name = z.object({ name: z.string().min(1) });
/** A manifest as text or as JSON documents, with room for JSON escaping of MANIFEST_LIMITS.bytes. */
const APPLY_BODY_LIMIT = 2 * MANIFEST_LIMITS.bytes;
const nsQuery = z.object({ namespace: z.string().optional() });
const applyBody = z.object({
  /** Parsed documents (objects), or */
  documents: z.array(z.unknown()).max(MANIFEST_LIMITS.documents).optional(),
  /** raw YAML or JSON text, possibly with several documents (size checked by splitDocuments, with its reason). */
  manifest: z.string().optional(),
  dryRun: z.boolean().optional(),
});

export function servicesRoutes(app: Api, k: RouteKernel, _svc: KernelServices): void {
  const svc = () => k.getSingle<ServicesApi>(Kinds.services);

  app.get('/v1/services', { schema: { querystring: nsQuery, summary: 'Services with replicas, readiness and host ports', response: { 200: z.object({ services: z.array(serviceStatusSchema) }) } } }, async (req) => ({ services: await svc().list(req.query.namespace) }));
  app.post('/v1/services', { schema: { body: z.record(z.string(), z.unknown()), summary: 'Create a service from an llmos.io/v1 Service manifest', response: { 201: z.object({ service: serviceStatusSchema, warnings: z.array(z.string()) }) } } }, async (req, reply) => reply.code(201).send(await svc().create(req.body)));
  app.get('/v1/services/:name', { schema: { params: name, querystring: nsQuery, summary: 'One service: spec, rollout, replicas, endpoints', response: { 200: serviceStatusSchema } } }, async (req) => svc().get(req.params.name, req.query.namespace));
  app.delete('/v1/services/:name', { schema: { params: name, querystring: nsQuery, summary: 'Delete a service and stop its replicas', response: { 204: z.null() } } }, async (req, reply) => {
    await svc().remove(req.params.name, req.query.namespace);
    return noContent(reply);
  });
  app.post(
    '/v1/services/:name/scale',
    { schema: { params: name, querystring: nsQuery, body: z.object({ replicas: z.number().int().min(0).max(1000), reason: z.string().optional() }), summary: 'Set the desired replica count', response: { 200: serviceStatusSchema } } },
    async (req) => svc().scale(req.params.name, req.body.replicas, { reason: req.body.reason, namespace: req.query.namespace }),
  );
  app.post(
    '/v1/services/:name/update',
    { schema: { params: name, querystring: nsQuery, body: z.object({ image: z.string().min(1).optional(), env: z.record(z.string(), z.string()).optional() }), summary: 'Rolling update to a new image or environment (rolled back automatically if new replicas fail)', response: { 200: serviceStatusSchema } } },
    async (req) => svc().update(req.params.name, req.body, req.query.namespace),
  );
  app.get(
    '/v1/services/:name/logs',
    {
      schema: {
        params: name,
        querystring: nsQuery.extend({ tail: z.coerce.number().int().positive().optional(), follow: z.enum(['true', 'false']).optional(), token: z.string().optional() }),
        summary: 'Logs of all replicas, each line tagged with its replica; follow=true streams server-sent events',
        response: { 200: z.object({ lines: z.array(serviceLogLineSchema) }) },
      },
    },
    async (req, reply) => {
      const { tail, follow, namespace } = req.query;
      if (follow !== 'true') {
        const lines = [];
        for await (const l of svc().logs(req.params.name, { tail, namespace })) lines.push(l);
        return { lines };
      }
      await svc().get(req.params.name, namespace); // 404 before the stream opens
      const ac = new AbortController();
      sendSse(reply, (send) => {
        void (async () => {
          for await (const l of svc().logs(req.params.name, { tail, follow: true, signal: ac.signal, namespace })) send('log', l);
          send('end', {});
          reply.raw.end();
        })().catch(() => reply.raw.end());
        return () => ac.abort();
      });
    },
  );

  const documents = (body: z.infer<typeof applyBody>): unknown[] => {
    if (body.documents && body.manifest !== undefined) throw new InvalidArgument('give documents or manifest, not both');
    if (body.documents) return body.documents;
    if (body.manifest !== undefined)
      try {
        return splitDocuments(body.manifest, 'manifest');
      } catch (e) {
        throw e instanceof ManifestRejected ? new InvalidArgument(e.message, { cause: e }) : e;
      }
    throw new InvalidArgument('documents or manifest is required');
  };
  app.post('/v1/apply', { bodyLimit: APPLY_BODY_LIMIT, schema: { body: applyBody, summary: 'Create or update objects from manifests (LLMOS kinds and a Kubernetes subset); all-or-nothing validation', response: { 200: applyAnswer } } }, async (req) => {
    const docs = documents(req.body);
    if (!docs.length) throw new InvalidArgument('no documents to apply');
    const iot = iotApplyPart(k, docs, !!req.body.dryRun); // DeviceModel / Device: checked first, applied last
    await iot.check();
    const results = iot.rest.length ? await svc().apply(iot.rest, { dryRun: req.body.dryRun, functions: functionApplier(app, req) }) : [];
    return { dryRun: !!req.body.dryRun, results: [...results, ...(await iot.apply())] };
  });
  app.post('/v1/delete', { bodyLimit: APPLY_BODY_LIMIT, schema: { body: applyBody, summary: 'Delete the objects named by manifests', response: { 200: applyAnswer } } }, async (req) => {
    const docs = documents(req.body);
    if (!docs.length) throw new InvalidArgument('no documents to delete');
    return { dryRun: !!req.body.dryRun, results: await svc().delete(docs, { dryRun: req.body.dryRun, functions: functionApplier(app, req) }) };
  });
}

/**
 * Functions are applied through the functions module's own routes (in-process, with the caller's
 * token), so the same validation runs as for `llmos fn deploy`. Absent when that module's routes are.
 */
function functionApplier(app: Api, req: FastifyRequest): FunctionApplier | undefined {
  // The routes exist even when the module is unloaded; then they answer 503 and check() says so.
  if (!app.hasRoute({ method: 'POST', url: '/v1/functions' })) return undefined;
  const headers = { authorization: req.headers.authorization ?? `Bearer ${(req.query as { token?: string })?.token ?? ''}` };
  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) => {
    const res = await app.inject({ method, url, headers, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
    let body: { error?: string; spec?: { version?: number } } = {};
    try {
      body = res.json();
    } catch {
      /* empty */
    }
    return { status: res.statusCode, body };
  };
  const fail = (what: string, r: { status: number; body: { error?: string } }) => {
    if (r.status === 503) throw new Unavailable(`kind Function needs the functions module: ${r.body.error ?? 'not loaded'}`);
    const msg = `${what}: ${r.body.error ?? `HTTP ${r.status}`}`;
    throw r.status < 500 ? new InvalidArgument(msg) : new Internal(msg);
  };
  const path = (n: string) => `/v1/functions/${encodeURIComponent(n)}`;
  return {
    async exists(fname) {
      const r = await call('GET', path(fname));
      if (r.status !== 200 && r.status !== 404) fail(`function ${fname}`, r);
      return r.status === 200;
    },
    async deploy(body) {
      const r = await call('POST', '/v1/functions', body);
      if (r.status >= 300) fail(`function ${String(body.name)}`, r);
    },
    async remove(fname) {
      const r = await call('DELETE', path(fname));
      if (r.status >= 300 && r.status !== 404) fail(`function ${fname}`, r);
    },
  };
}
