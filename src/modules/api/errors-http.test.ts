// In-process (fastify.inject, no socket): every error class maps to its status, and bad input
// of every kind (JSON, content type, size, query) is a 4xx with a message, never a 500.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import * as errors from '../../kernel/errors.js';
import { silentLogger } from '../../kernel/log.js';
import { createApiServer } from './server.js';
import { toHttp } from './errors-http.js';
import { failureResponse } from '../../kernel/http-errors.js';
import { InvocationFailed } from '../../kernel/invocation-failed.js';
import { failureReasons, type FailureReason } from '../../contracts/functions.js';

const token = 'test-token';
const auth = { authorization: `Bearer ${token}` };

// One row per class in src/kernel/errors.ts; a class added there without a row fails the completeness check below.
const table: Array<[new (m: string) => errors.LlmosError, number, string]> = [
  [errors.InvalidArgument, 400, 'E_INVALID_ARGUMENT'],
  [errors.Unauthenticated, 401, 'E_UNAUTHENTICATED'],
  [errors.NotFound, 404, 'E_NOT_FOUND'],
  [errors.AlreadyExists, 409, 'E_ALREADY_EXISTS'],
  [errors.Conflict, 409, 'E_CONFLICT'],
  [errors.FailedPrecondition, 409, 'E_FAILED_PRECONDITION'],
  [errors.MultipleInstances, 409, 'E_FAILED_PRECONDITION'],
  [errors.ResourceExhausted, 429, 'E_RESOURCE_EXHAUSTED'],
  [errors.Internal, 500, 'E_INTERNAL'],
  [errors.Unavailable, 503, 'E_UNAVAILABLE'],
  [errors.SkipModule, 503, 'E_UNAVAILABLE'],
  [errors.DeadlineExceeded, 504, 'E_DEADLINE_EXCEEDED'],
  [errors.NoSpace, 507, 'E_NO_SPACE'],
];

async function app() {
  const a = await createApiServer({ token, log: silentLogger(), bodyLimit: 1024 });
  a.get('/v1/throw/:i', { schema: { params: z.object({ i: z.coerce.number().int() }) } }, async (req) => {
    const [Cls] = table[req.params.i]!;
    throw new Cls(`thrown ${Cls.name}`);
  });
  a.get('/v1/raw/:code', async (req) => {
    throw Object.assign(new Error(`write failed`), { code: (req.params as { code: string }).code });
  });
  a.post('/v1/body', { schema: { body: z.object({ n: z.number().int().min(0) }), querystring: z.object({ limit: z.coerce.number().int().positive().optional(), flag: z.enum(['true', 'false']).optional() }) } }, async (req) => ({ ok: req.body.n }));
  await a.ready();
  return a;
}

test('api errors: every error class maps to its status and code, with the message', async () => {
  const exported = Object.values(errors).filter((v): v is typeof errors.LlmosError => typeof v === 'function' && v.prototype instanceof errors.LlmosError);
  assert.deepEqual(new Set(exported), new Set(table.map(([c]) => c)), 'the table covers every class in kernel/errors.ts');
  const a = await app();
  try {
    for (const [i, [Cls, status, code]] of table.entries()) {
      const r = await a.inject({ method: 'GET', url: `/v1/throw/${i}`, headers: auth });
      assert.equal(r.statusCode, status, Cls.name);
      assert.deepEqual(r.json(), { error: `thrown ${Cls.name}`, code }, Cls.name);
    }
  } finally {
    await a.close();
  }
});

test('api errors: a raw full-disk error from any module is a 507 naming DATA_DIR, not a 500', async () => {
  const a = await app();
  try {
    for (const code of ['ENOSPC', 'EDQUOT', 'SQLITE_FULL', 'SQLITE_IOERR_WRITE']) {
      const r = await a.inject({ method: 'GET', url: `/v1/raw/${code}`, headers: auth });
      assert.equal(r.statusCode, 507, code);
      assert.match(r.json().error, /no space left in DATA_DIR/);
    }
    assert.equal((await a.inject({ method: 'GET', url: '/v1/raw/EIO_OTHER', headers: auth })).statusCode, 500, 'a real bug stays a 500');
  } finally {
    await a.close();
  }
});

test('api errors: malformed JSON, wrong content types, huge bodies and bad query strings are 4xx with a message', async () => {
  const a = await app();
  const cases: Array<{ what: string; payload?: string; type?: string; url?: string; status: number }> = [
    { what: 'truncated JSON', payload: '{"n": ', status: 400 },
    { what: 'not JSON at all', payload: 'n=1', status: 400 },
    { what: 'JSON of the wrong shape', payload: '{"n": "one"}', status: 400 },
    { what: 'JSON null', payload: 'null', status: 400 },
    { what: 'a JSON array', payload: '[1,2]', status: 400 },
    { what: 'prototype pollution key', payload: '{"__proto__": {"x": 1}, "n": 1}', status: 400 },
    { what: 'empty body with a JSON type', payload: '', status: 400 },
    { what: 'text/plain (parsed as a string, then refused by the schema)', payload: 'hello', type: 'text/plain', status: 400 },
    { what: 'an unknown media type', payload: '{"n":1}', type: 'application/x-nope', status: 415 },
    { what: 'a malformed content type', payload: '{"n":1}', type: ';;;', status: 415 },
    { what: 'a body over the limit', payload: JSON.stringify({ n: 1, pad: 'x'.repeat(4096) }), status: 413 },
    { what: 'a negative limit', payload: '{"n":1}', url: '/v1/body?limit=-3', status: 400 },
    { what: 'a non-numeric limit', payload: '{"n":1}', url: '/v1/body?limit=abc', status: 400 },
    { what: 'an enum out of range', payload: '{"n":1}', url: '/v1/body?flag=maybe', status: 400 },
    { what: 'repeated query keys', payload: '{"n":1}', url: '/v1/body?limit=1&limit=2', status: 400 },
    { what: 'broken percent-encoding', payload: '{"n":1}', url: '/v1/body?limit=%E0%A4%A', status: 400 },
  ];
  try {
    for (const c of cases) {
      const r = await a.inject({ method: 'POST', url: c.url ?? '/v1/body', headers: { ...auth, 'content-type': c.type ?? 'application/json' }, payload: c.payload });
      assert.equal(r.statusCode, c.status, `${c.what}: ${r.statusCode} ${r.body}`);
      const body = r.json() as { error: string; code: string };
      assert.ok(typeof body.error === 'string' && body.error.length > 0, `${c.what}: a message`);
    }
    const ok = await a.inject({ method: 'POST', url: '/v1/body?limit=2', headers: auth, payload: { n: 3 } });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { ok: 3 });
  } finally {
    await a.close();
  }
});

test('api errors: toHttp keeps Fastify 4xx statuses and never leaks a non-error as a 2xx', () => {
  assert.equal(toHttp(Object.assign(new Error('too big'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' })).status, 413);
  assert.equal(toHttp('a string').status, 500);
  assert.equal(toHttp(undefined).status, 500);
  assert.equal(toHttp(null).status, 500);
});

test('api auth: the bearer scheme is case-insensitive, the token is not', async () => {
  const a = await app();
  try {
    for (const h of ['Bearer test-token', 'bearer test-token', 'BEARER test-token', 'Bearer   test-token']) {
      assert.equal((await a.inject({ method: 'POST', url: '/v1/body', headers: { authorization: h }, payload: { n: 1 } })).statusCode, 200, h);
    }
    for (const h of ['Bearer TEST-TOKEN', 'Basic test-token', 'Bearertest-token', 'Bearer test-token extra', '']) {
      assert.equal((await a.inject({ method: 'POST', url: '/v1/body', headers: { authorization: h }, payload: { n: 1 } })).statusCode, 401, h);
    }
    assert.equal((await a.inject({ method: 'POST', url: '/v1/body?token=test-token', payload: { n: 1 } })).statusCode, 200, 'query token');
  } finally {
    await a.close();
  }
});

// One row per failure reason of an invocation: the status both HTTP edges (gateway, /v1 invoke)
// answer, and the error code it carries. A reason added to the contract without a row fails.
const failures: Array<[FailureReason, number, string]> = [
  ['not-found', 404, 'E_NOT_FOUND'],
  ['cpu-limit', 500, 'E_RESOURCE_EXHAUSTED'],
  ['memory-limit', 500, 'E_RESOURCE_EXHAUSTED'],
  ['timeout', 504, 'E_DEADLINE_EXCEEDED'],
  ['handler-error', 500, 'E_INTERNAL'],
  ['start-failed', 502, 'E_UNAVAILABLE'],
  ['queue-full', 429, 'E_RESOURCE_EXHAUSTED'],
  ['queue-timeout', 429, 'E_RESOURCE_EXHAUSTED'],
  ['body-too-large', 413, 'E_INVALID_ARGUMENT'],
  ['quota-exceeded', 429, 'E_RESOURCE_EXHAUSTED'],
  ['bad-response', 502, 'E_UNAVAILABLE'],
  ['unauthenticated', 401, 'E_UNAUTHENTICATED'],
  ['shutting-down', 503, 'E_UNAVAILABLE'],
  ['loop-detected', 508, 'E_RESOURCE_EXHAUSTED'],
  ['host-crashed', 502, 'E_UNAVAILABLE'],
];

test('invocation failures: every reason maps to its status, code and headers, the same body on both edges', () => {
  assert.deepEqual(new Set(failures.map(([r]) => r)), new Set(failureReasons), 'the table covers every reason in the contract');
  for (const [reason, status, code] of failures) {
    const e = new InvocationFailed(reason, `failed: ${reason}`, reason === 'queue-full' ? { retryAfter: 0.2 } : {});
    const f = failureResponse(e);
    assert.equal(f.status, status, reason);
    assert.deepEqual(JSON.parse(f.body), { error: `failed: ${reason}`, code, reason }, reason);
    assert.deepEqual(f.json, JSON.parse(f.body), reason);
    assert.equal(f.headers['x-llmos-failure'], reason);
    assert.equal(f.headers['retry-after'], reason === 'queue-full' ? '1' : undefined, 'Retry-After is whole seconds, at least 1');
    assert.equal(f.headers['www-authenticate'], reason === 'unauthenticated' ? 'Bearer realm="llmos"' : undefined);
    // Where only the class is seen (an error handler), the code still gives its family's status.
    assert.deepEqual(toHttp(e).body, { error: `failed: ${reason}`, code }, reason);
  }
});
