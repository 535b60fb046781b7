// Route cases: functions and secrets (the real functions module: V8 isolates, no root).
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { Kinds } from '../../src/contracts/kinds.js';
import type { FunctionsApi } from '../../src/modules/functions/module.js';
import { until } from '../support/until.js';
import type { ApiRig } from './harness.js';
import { queueCases } from './cases-queues.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const same = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
const b64 = (s: string) => Buffer.from(s).toString('base64');

const hello = `export default { async fetch(req, env) { console.log('called', new URL(req.url).pathname); if (new URL(req.url).pathname === '/boom') throw new Error('boom'); return new Response('hi ' + (env.GREETING ?? '') + ' ' + (env.token ?? ''), { headers: { 'x-fn': 'hello' } }); } };`;

export async function functionCases(t: TestContext, rig: ApiRig): Promise<void> {
  const { req } = rig;
  const fns = () => rig.kernel.getSingle<FunctionsApi>(Kinds.functions);
  await t.test('secrets: create, list (never the value), remove', async () => {
    const c = await req('POST', '/v1/secrets', { name: 'token', value: b64('s3cret') });
    assert.equal(c.statusCode, 201, c.body);
    assert.equal((c.json() as J).size, 6);
    assert.ok(!c.body.includes('s3cret') && !c.body.includes(b64('s3cret')));
    const l = await req('GET', '/v1/secrets');
    assert.deepEqual((l.json() as J).secrets.map((s: J) => s.name), ['token']);
    assert.deepEqual((l.json() as J).secrets, same(await fns().secrets.list()));
  });
  await t.test('functions: deploy, list, inspect, invoke, logs, async result, remove', async () => {
    const d = await req('POST', '/v1/functions', { name: 'hello', env: { GREETING: 'there' }, secrets: ['token'], code: { files: { 'index.js': hello } } });
    assert.equal(d.statusCode, 201, d.body);
    assert.deepEqual(d.json(), same(fns().inspect('hello')));
    const again = await req('POST', '/v1/functions', { name: 'hello', env: { GREETING: 'there' }, secrets: ['token'], code: { files: { 'index.js': hello } } });
    assert.equal(again.statusCode, 200, 'a redeploy is an update');
    assert.equal((again.json() as J).spec.version, 2);
    const noEntry = await req('POST', '/v1/functions', { name: 'two', code: { files: { 'a.js': hello, 'b.js': hello } } });
    assert.equal(noEntry.statusCode, 400);
    assert.match((noEntry.json() as J).error, /cannot tell the entry file among 2 files/);
    assert.equal((await req('DELETE', '/v1/secrets/token')).statusCode, 409, 'in use by hello');
    const list = await req('GET', '/v1/functions');
    assert.deepEqual((list.json() as J).functions.map((f: J) => f.spec.name), ['hello']);
    const inv = await req('POST', '/v1/functions/hello/invoke', { method: 'get', path: 'x', headers: { 'X-A': '1' } });
    assert.equal(inv.statusCode, 200, inv.body);
    const out = inv.json() as J;
    assert.equal(out.status, 200);
    assert.equal(Buffer.from(out.body, 'base64').toString(), 'hi there s3cret');
    assert.ok(out.headers.some(([h, v]: [string, string]) => h === 'x-fn' && v === 'hello'));
    const failed = await req('POST', '/v1/functions/hello/invoke', { path: '/boom' });
    assert.equal(failed.statusCode, 500);
    assert.equal(failed.headers['x-llmos-failure'], 'handler-error');
    assert.deepEqual(Object.keys(failed.json() as J).sort(), ['code', 'error', 'reason']);
    // Found by test/fuzz/api: the invoke route's error schema wanted a failure reason, so a bad body
    // (a plain 400 without one) failed its own error serialization and answered 500.
    const badBody = await req('POST', '/v1/functions/hello/invoke', { method: 5 });
    assert.equal(badBody.statusCode, 400, badBody.body);
    assert.equal((badBody.json() as J).code, 'E_INVALID_ARGUMENT');
    const missing = await req('POST', '/v1/functions/nope/invoke', {});
    assert.equal(missing.statusCode, 404);
    assert.equal((missing.json() as J).reason, 'not-found');
    const logs = await until('the function logged', async () => {
      const r = await req('GET', '/v1/functions/hello/logs?tail=10');
      const ls = (r.json() as J).logs as J[];
      return ls.some((l) => l.text.includes('called /x')) && ls;
    }, 10_000, 50);
    assert.ok(logs.every((l) => l.function === 'hello'));
    const all = await req('GET', '/v1/functions/-/logs?tail=1');
    assert.equal(all.statusCode, 200);
    assert.equal((await req('GET', '/v1/functions/nope/logs')).statusCode, 404);
    const rec = await fns().submitAsync('hello', { method: 'POST', url: 'http://x/fn/hello/a', headers: [], body: null });
    const done = await until('the async invocation finished', async () => {
      const r = await req('GET', `/v1/function-results/${rec.id}`);
      const j = r.json() as J;
      return r.statusCode === 200 && j.status === 'succeeded' && j;
    }, 10_000, 50);
    assert.equal(done.result.status, 200);
    assert.equal((await req('GET', '/v1/function-results/nope')).statusCode, 404);
    const rm = await req('DELETE', '/v1/functions/hello');
    assert.equal(rm.statusCode, 204);
    assert.equal((await req('GET', '/v1/functions/hello')).statusCode, 404);
    assert.equal((await req('DELETE', '/v1/secrets/token')).statusCode, 204);
  });
  await queueCases(t, rig);
}
