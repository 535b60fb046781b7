// The response schemas: every documented operation declares its success answer and the shared
// error body, the check rejects an answer its schema does not accept, and an accepted answer is
// sent as the handler gave it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { silentLogger } from '../../kernel/log.js';
import { createApiServer } from './server.js';
import { allRoutes } from './routes/index.js';
import type { RouteKernel } from './routes/context.js';
import type { KernelServices } from '../../kernel/module.js';

type Op = { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> };

/** The document as the build writes it (scripts/openapi.mjs): every route group, no kernel. */
async function document(): Promise<{ paths: Record<string, Record<string, Op>> }> {
  const absent = new Proxy({}, { get: (_, p) => { throw new Error(`a route group read kernel.${String(p)} at registration`); } });
  const app = await createApiServer({ token: 't', log: silentLogger() });
  for (const register of allRoutes) register(app, absent as RouteKernel, absent as KernelServices);
  await app.ready();
  const doc = app.swagger() as unknown as { paths: Record<string, Record<string, Op>> };
  await app.close();
  return doc;
}

test('openapi: every operation declares a 2xx answer with a schema, and the error body on 4xx and 5xx', async () => {
  const doc = await document();
  const missing: string[] = [];
  let ops = 0;
  for (const [p, methods] of Object.entries(doc.paths))
    for (const [m, op] of Object.entries(methods)) {
      ops++;
      // An HTTP upgrade (attach, exec with stdio) succeeds with 101 and no body.
      const ok = Object.entries(op.responses ?? {}).filter(([code]) => /^2/.test(code) || code === '101');
      // 204 has no body (declared as type null, so no content); every other 2xx names its content's schema.
      if (!ok.length || ok.some(([code, r]) => code !== '204' && code !== '101' && !Object.values(r.content ?? {}).every((c) => c.schema))) missing.push(`${m.toUpperCase()} ${p}: no 2xx schema`);
      for (const code of ['4XX', '5XX']) {
        type S = { required?: string[]; anyOf?: S[] };
        const schema = op.responses?.[code]?.content?.['application/json']?.schema as S | undefined;
        // The shared body, or a union (the invoke route's failure body) each of whose branches carries it.
        const carries = (x: S | undefined): boolean => (x?.anyOf ? x.anyOf.every(carries) : !!x?.required?.includes('error') && x.required.includes('code'));
        if (!carries(schema)) missing.push(`${m.toUpperCase()} ${p}: no ${code} error body`);
      }
    }
  assert.ok(ops >= 60, `${ops} operations`);
  assert.deepEqual(missing, []);
});

test('response check: a mismatching success answer is a 500, an extra field is kept, error answers always get out', async () => {
  const app = await createApiServer({ token: 't', log: silentLogger() });
  const auth = { authorization: 'Bearer t' };
  const thing = z.object({ n: z.number() });
  let answer: unknown = { n: 1 };
  app.get('/v1/thing', { schema: { response: { 200: thing } } }, async () => answer as { n: number });
  app.get('/v1/odd', async (_req, reply) => reply.code(400).send({ message: 'not the error body' }));
  await app.ready();
  try {
    assert.deepEqual((await app.inject({ url: '/v1/thing', headers: auth })).json(), { n: 1 });
    answer = { n: 1, extra: 'kept' };
    assert.deepEqual((await app.inject({ url: '/v1/thing', headers: auth })).json(), { n: 1, extra: 'kept' }, 'the handler value is sent unchanged');
    process.env.LLMOS_STRICT_RESPONSES = '1';
    try {
      const strict = await app.inject({ url: '/v1/thing', headers: auth });
      assert.equal(strict.statusCode, 500, 'with LLMOS_STRICT_RESPONSES=1 (the route tests) an undeclared field fails');
      assert.match((strict.json() as { error: string }).error, /fields its schema does not declare: \.extra/);
    } finally {
      delete process.env.LLMOS_STRICT_RESPONSES;
    }
    answer = { n: 'one' };
    const bad = await app.inject({ url: '/v1/thing', headers: auth });
    assert.equal(bad.statusCode, 500);
    assert.deepEqual(bad.json(), { error: "Response doesn't match the schema", code: 'E_INTERNAL' });
    // An error answer is sent even when it is not the shared body: failing it would make a 4xx a 500.
    const odd = await app.inject({ url: '/v1/odd', headers: auth });
    assert.equal(odd.statusCode, 400);
    assert.deepEqual(odd.json(), { message: 'not the error body' });
    const unauth = await app.inject({ url: '/v1/thing' });
    assert.equal(unauth.statusCode, 401);
    assert.deepEqual(Object.keys(unauth.json() as object).sort(), ['code', 'error']);
  } finally {
    await app.close();
  }
});
