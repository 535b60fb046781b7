// Function and secret management under /v1 (token required); invocations through the API are
// for the CLI (`fn invoke`), the public path is the gateway.
import { z } from 'zod';
import { Kinds } from '../../../contracts/kinds.js';
import { InvalidArgument } from '../../../kernel/errors.js';
import type { RouteKernel } from './context.js';
import type { KernelServices } from '../../../kernel/module.js';
import { failureResponse } from '../../../kernel/http-errors.js';
import { InvocationFailed } from '../../../kernel/invocation-failed.js';
import type { FunctionsApi } from '../../functions/module.js';
import { asyncRecordSchema, deployBodySchema, failureBodySchema, findEntry, functionInfoSchema, functionLogEntrySchema, invokeResultSchema, noEntryMessage, secretInfoSchema } from '../../../contracts/functions.js';
import type { Api } from '../server.js';
import { errorBodySchema } from '../../../contracts/system.js';
import { noContent, sendSse } from './sse.js';

const MAX_CODE = 16 * 2 ** 20;

/** A failed invocation names its reason; a bad request to the route itself is the plain error body. */
const invokeErrorSchema = z.union([failureBodySchema, errorBodySchema]);

// One schema, owned by the functions module: types and lengths there, ranges in normalizeSpec.
const deployBody = deployBodySchema;

const invokeBody = z.object({
  method: z.string().default('POST'),
  path: z.string().default('/'),
  headers: z.record(z.string(), z.string()).default({}),
  /** base64 */
  body: z.string().optional(),
});

export function functionRoutes(app: Api, k: RouteKernel, _svc: KernelServices): void {
  const fns = () => k.getSingle<FunctionsApi>(Kinds.functions);
  const name = z.object({ name: z.string().min(1) });

  app.post('/v1/functions', { schema: { body: deployBody, summary: 'Deploy or update a function (isolate code or container image)', response: { 200: functionInfoSchema, 201: functionInfoSchema } } }, async (req, reply) => {
    // Ranges are the functions module's normalizeSpec: one place gives every caller the same reasons.
    const { code, ...input } = req.body;
    let bundle;
    if (code) {
      const size = Object.values(code.files).reduce((a, f) => a + f.length, 0);
      if (size > MAX_CODE) throw new InvalidArgument(`code is ${size} bytes; the limit is ${MAX_CODE}`);
      const entry = code.entry ?? findEntry(Object.keys(code.files));
      if (entry === undefined) throw new InvalidArgument(noEntryMessage(Object.keys(code.files).length));
      bundle = { files: code.files, entry };
    }
    const info = await fns().deploy(input, bundle);
    return reply.code(info.spec.version === 1 ? 201 : 200).send(info);
  });
  app.get('/v1/functions', { schema: { summary: 'Deployed functions with instance counts', response: { 200: z.object({ functions: z.array(functionInfoSchema) }) } } }, async () => ({ functions: fns().list() }));
  app.get('/v1/functions/:name', { schema: { params: name, summary: 'One function: spec, instances, stats, triggers', response: { 200: functionInfoSchema } } }, async (req) => fns().inspect(req.params.name));
  app.delete('/v1/functions/:name', { schema: { params: name, summary: 'Remove a function and its instances', response: { 204: z.null() } } }, async (req, reply) => {
    await fns().remove(req.params.name);
    return noContent(reply);
  });

  app.post('/v1/functions/:name/invoke', { schema: { params: name, body: invokeBody, summary: 'Invoke a function (JSON-wrapped request and response, for the CLI)', response: { 200: invokeResultSchema, '4xx': invokeErrorSchema, '5xx': invokeErrorSchema } } }, async (req, reply) => {
    const { method, path, headers, body } = req.body;
    const api = fns();
    const p = path.startsWith('/') ? path : `/${path}`;
    const bytes = body ? Buffer.from(body, 'base64') : null;
    try {
      if (bytes && bytes.length > api.bodyLimit(req.params.name)) throw new InvocationFailed('body-too-large', `request body exceeds the limit of ${api.bodyLimit(req.params.name)} bytes of function ${req.params.name}`);
      const res = await api.invoke(req.params.name, { method: method.toUpperCase(), url: `${api.gatewayBase}${p}`, headers: Object.entries(headers).map(([h, v]) => [h.toLowerCase(), v]), body: bytes });
      // A streamed body is read to its end (the runtime caps it); a WebSocket needs the gateway.
      const parts = [res.body ?? new Uint8Array()];
      if (res.stream) for (let c = await res.stream.read(); c; c = await res.stream.read()) parts.push(c);
      res.webSocket?.close(1011, 'WebSockets need the gateway');
      const b = Buffer.concat(parts);
      return { status: res.status, headers: res.headers, body: b.toString('base64') };
    } catch (e) {
      if (!(e instanceof InvocationFailed)) throw e;
      const f = failureResponse(e);
      return reply.code(f.status).headers(f.headers).send(f.json);
    }
  });

  app.get('/v1/function-results/:id', { schema: { params: z.object({ id: z.string().min(1) }), summary: 'An async invocation: status, attempts and result', response: { 200: asyncRecordSchema } } }, async (req) => fns().result(req.params.id));

  app.get(
    '/v1/functions/:name/logs',
    {
      schema: {
        params: name,
        summary: 'Function logs (console output and instance events); follow=true streams them',
        querystring: z.object({ tail: z.coerce.number().int().positive().max(100_000).optional(), follow: z.enum(['true', 'false']).optional(), token: z.string().optional() }),
        response: { 200: z.object({ logs: z.array(functionLogEntrySchema) }) },
      },
    },
    async (req, reply) => {
      const api = fns();
      const fn = req.params.name === '-' ? undefined : req.params.name;
      if (fn) api.inspect(fn); // 404 for an unknown function
      const lines = api.logs.tail(fn, req.query.tail ?? 200);
      if (req.query.follow !== 'true') return { logs: lines };
      sendSse(reply, (send) => {
        for (const l of lines) send('log', l);
        return api.logs.follow(fn ?? '', (l) => send('log', l));
      });
    },
  );

  app.post('/v1/secrets', { schema: { body: z.object({ name: z.string(), value: z.string(), update: z.boolean().optional() }), summary: 'Create a secret (value base64)', response: { 201: secretInfoSchema } } }, async (req, reply) => {
    const s = await fns().secrets.create(req.body.name, Buffer.from(req.body.value, 'base64'), { update: req.body.update });
    return reply.code(201).send(s);
  });
  app.get('/v1/secrets', { schema: { summary: 'Secret names and dates (never values)', response: { 200: z.object({ secrets: z.array(secretInfoSchema) }) } } }, async () => ({ secrets: await fns().secrets.list() }));
  app.delete('/v1/secrets/:name', { schema: { params: name, summary: 'Remove a secret (refused while a function uses it)', response: { 204: z.null() } } }, async (req, reply) => {
    await fns().secrets.remove(req.params.name);
    return noContent(reply);
  });
}
