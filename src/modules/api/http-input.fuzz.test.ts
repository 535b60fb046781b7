// Fuzz: arbitrary request bodies, content types, query strings and auth headers against the API
// edge (in-process, fastify.inject), and arbitrary JSON as config.json. Property: never a 500,
// never a crash; every 4xx carries a message. LLMOS_FUZZ_MINUTES runs it longer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { z } from 'zod';
import { parseConfigFile } from '../../kernel/config.js';
import { InvalidArgument } from '../../kernel/errors.js';
import { silentLogger } from '../../kernel/log.js';
import { createApiServer } from './server.js';

const minutes = Number(process.env.LLMOS_FUZZ_MINUTES);
const long = Number.isFinite(minutes) && minutes > 0;
const params = (runs: number): fc.Parameters<unknown> =>
  long ? { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: minutes * 60_000, markInterruptAsFailure: false } : { numRuns: runs };
const timeout = long ? minutes * 60_000 + 120_000 : 120_000;

const token = 'fuzz-token';

async function app() {
  const a = await createApiServer({ token, log: silentLogger(), bodyLimit: 4096 });
  const body = z.object({ name: z.string().min(1).max(63), replicas: z.number().int().min(0).max(100).optional(), env: z.record(z.string(), z.string()).optional() });
  const query = z.object({ limit: z.coerce.number().int().positive().max(1000).optional(), follow: z.enum(['true', 'false']).optional(), prefix: z.string().optional() });
  a.post('/v1/things', { schema: { body, querystring: query } }, async (req) => ({ got: req.body.name }));
  a.get('/v1/things/:name', { schema: { params: z.object({ name: z.string().min(1) }), querystring: query } }, async (req) => ({ name: req.params.name }));
  await a.ready();
  return a;
}

const contentType = fc.oneof(
  fc.constant('application/json'),
  fc.constant('application/json; charset=utf-8'),
  fc.constant('text/plain'),
  fc.constant('application/octet-stream'),
  fc.constant('multipart/form-data; boundary=x'),
  fc.string({ maxLength: 40 }),
);
const payload = fc.oneof(
  fc.json(),
  fc.string({ maxLength: 200 }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.record({ name: fc.string(), replicas: fc.oneof(fc.integer(), fc.double(), fc.string()), env: fc.dictionary(fc.string(), fc.jsonValue()) }).map((v) => JSON.stringify(v)),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.nat({ max: 9000 }).map((n) => JSON.stringify({ name: 'x'.repeat(n) })),
);
const queryString = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom('limit', 'follow', 'prefix', 'token', '__proto__', 'constructor'), fc.string({ maxLength: 5 })), fc.string({ maxLength: 12 }), fc.boolean()), { maxLength: 4 })
  .map((kv) => kv.map(([k, v, raw]) => `${k}=${raw ? v : encodeURIComponent(v)}`).join('&'));

test('fuzz: API bodies, content types and query strings never give a 500', { timeout }, async () => {
  const a = await app();
  let cases = 0;
  const byStatus = new Map<number, number>();
  try {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('POST /v1/things', 'GET /v1/things/abc', 'POST /v1/nope'), contentType, payload, queryString, async (route, type, body, qs) => {
        const [method, url] = route.split(' ') as ['POST' | 'GET', string];
        let r;
        try {
          r = await a.inject({ method, url: `${url}?${qs}`, headers: { authorization: `Bearer ${token}`, ...(type.trim() ? { 'content-type': type } : {}) }, payload: method === 'POST' ? body : undefined });
        } catch (e) {
          // inject itself refuses a header value Node would never send (e.g. a control character)
          if ((e as { code?: string }).code === 'ERR_INVALID_CHAR') return;
          throw e;
        }
        cases++;
        byStatus.set(r.statusCode, (byStatus.get(r.statusCode) ?? 0) + 1);
        assert.ok(r.statusCode < 500, `${route}?${qs} ${type} ${JSON.stringify(body).slice(0, 200)} -> ${r.statusCode} ${r.body}`);
        if (r.statusCode >= 400) assert.ok((r.json() as { error?: string }).error, `a message for ${r.statusCode}`);
      }),
      params(400),
    );
  } finally {
    await a.close();
  }
  process.stdout.write(`# http fuzz: ${cases} requests, statuses ${JSON.stringify(Object.fromEntries(byStatus))}\n`);
});

test('fuzz: auth headers: only the exact token (any scheme case) gets in', { timeout }, async () => {
  const a = await app();
  try {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Token', ''), fc.oneof(fc.constant(token), fc.string({ maxLength: 40 })), async (scheme, cred) => {
        const header = `${scheme} ${cred}`;
        let r;
        try {
          r = await a.inject({ method: 'GET', url: '/v1/things/abc', headers: { authorization: header } });
        } catch (e) {
          if ((e as { code?: string }).code === 'ERR_INVALID_CHAR') return;
          throw e;
        }
        const valid = scheme.toLowerCase() === 'bearer' && cred.trim() === token;
        assert.equal(r.statusCode, valid ? 200 : 401, header);
      }),
      params(300),
    );
  } finally {
    await a.close();
  }
});

test('fuzz: config.json: any text gives a config or one InvalidArgument line, never another error', { timeout }, () => {
  fc.assert(
    fc.property(fc.oneof(fc.json(), fc.string(), fc.record({ listen: fc.jsonValue(), reserved: fc.oneof(fc.jsonValue(), fc.record({ cpu: fc.jsonValue(), memory: fc.jsonValue() })), modules: fc.dictionary(fc.string(), fc.jsonValue()) }, { requiredKeys: [] }).map((v) => JSON.stringify(v))), (text) => {
      try {
        const c = parseConfigFile(text, 'config.json');
        if (c.reserved?.cpu !== undefined) assert.ok(Number.isInteger(c.reserved.cpu) && c.reserved.cpu >= 0);
        if (c.listen !== undefined) assert.match(c.listen, /:\d+$/);
      } catch (e) {
        assert.ok(e instanceof InvalidArgument, String(e));
        assert.ok(!e.message.includes('\n'));
      }
    }),
    params(2000),
  );
});
