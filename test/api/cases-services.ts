// Route cases: services (the real services module over the fake containers contract), apply and
// delete of manifests (including kind Function, applied through the functions routes), autoscalers.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { until } from '../support/until.js';
import type { ApiRig } from './harness.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const svc = (name: string, replicas: number) => ({ apiVersion: 'llmos.io/v1', kind: 'Service', metadata: { name }, spec: { image: 'busybox', replicas, command: ['sleep', '1d'] } });
const fn = { apiVersion: 'llmos.io/v1', kind: 'Function', metadata: { name: 'applied' }, spec: { code: { files: { 'index.js': 'export default { fetch: () => new Response("ok") }' } } } };

export async function serviceCases(t: TestContext, rig: ApiRig): Promise<void> {
  const { req } = rig;
  await t.test('services: create, list, get, scale, update, logs, delete', async () => {
    const c = await req('POST', '/v1/services', svc('web', 2));
    assert.equal(c.statusCode, 201, c.body);
    assert.deepEqual((c.json() as J).warnings, []);
    assert.equal((c.json() as J).service.name, 'web');
    assert.equal((await req('POST', '/v1/services', svc('web', 2))).statusCode, 409);
    const ready = await until('2 replicas running', async () => {
      const r = (await req('GET', '/v1/services/web')).json() as J;
      return r.currentReplicas === 2 && r;
    }, 20_000, 50);
    assert.equal(ready.spec.replicas, 2);
    const l = await req('GET', '/v1/services?namespace=default');
    assert.deepEqual((l.json() as J).services.map((s: J) => s.name), ['web']);
    const sc = await req('POST', '/v1/services/web/scale', { replicas: 1, reason: 'test' });
    assert.equal(sc.statusCode, 200, sc.body);
    assert.equal((sc.json() as J).spec.replicas, 1);
    assert.equal((await req('POST', '/v1/services/web/scale', { replicas: -1 })).statusCode, 400);
    const up = await req('POST', '/v1/services/web/update', { env: { A: '1' } });
    assert.equal(up.statusCode, 200, up.body);
    assert.deepEqual((up.json() as J).spec.template.env, { A: '1' });
    const logs = await until('replica logs', async () => {
      const r = await req('GET', '/v1/services/web/logs?tail=10');
      return r.statusCode === 200 && ((r.json() as J).lines as J[]).length > 0 && (r.json() as J).lines;
    }, 20_000, 50);
    assert.ok(logs.every((x: J) => typeof x.replica === 'string' && x.text));
    assert.equal((await req('GET', '/v1/services/nope')).statusCode, 404);
  });
  await t.test('autoscalers: create, list, get, decisions, remove', async () => {
    const body = { name: 'web', target: 'service/web', policy: 'threshold', min: 1, max: 3, metrics: [{ metric: 'cpu', target: 60 }], periodMs: 100 };
    const c = await req('POST', '/v1/autoscalers', body);
    assert.equal(c.statusCode, 200, c.body);
    assert.deepEqual((c.json() as J).metrics, [{ metric: 'cpu', target: 60 }]);
    assert.equal((await req('POST', '/v1/autoscalers', { ...body, min: 5 })).statusCode, 400);
    assert.deepEqual((await req('GET', '/v1/autoscalers')).json().autoscalers.map((a: J) => a.name), ['web']);
    assert.equal((await req('GET', '/v1/autoscalers/default/web')).json().target, 'service/web');
    const decisions = await until('a recorded decision', async () => {
      const r = await req('GET', '/v1/autoscalers/default/web/decisions?limit=5');
      return r.statusCode === 200 && ((r.json() as J).decisions as J[]).length > 0 && (r.json() as J).decisions;
    }, 20_000, 50);
    assert.equal(decisions[0].target, 'service/web');
    assert.deepEqual((await req('DELETE', '/v1/autoscalers/default/web')).json(), { deleted: 'default/web' });
    assert.equal((await req('GET', '/v1/autoscalers/default/web')).statusCode, 404);
  });
  await t.test('apply and delete: a Service and a Function in one manifest; dry run first', async () => {
    const dry = await req('POST', '/v1/apply', { documents: [svc('api', 1), fn], dryRun: true });
    assert.equal(dry.statusCode, 200, dry.body);
    assert.deepEqual((dry.json() as J).results.map((r: J) => [r.kind, r.name, r.action]), [['Service', 'api', 'created'], ['Function', 'applied', 'created']]);
    assert.equal((await req('GET', '/v1/functions/applied')).statusCode, 404, 'a dry run changes nothing');
    const yaml = `apiVersion: llmos.io/v1\nkind: Service\nmetadata: {name: api}\nspec: {image: busybox, replicas: 1}\n---\n${JSON.stringify(fn)}\n`;
    const a = await req('POST', '/v1/apply', { manifest: yaml });
    assert.equal(a.statusCode, 200, a.body);
    assert.deepEqual((a.json() as J).results.map((r: J) => r.action), ['created', 'created']);
    assert.equal((await req('GET', '/v1/functions/applied')).statusCode, 200);
    assert.equal((await req('POST', '/v1/apply', { documents: [] })).statusCode, 400);
    assert.equal((await req('POST', '/v1/apply', { manifest: 'a: [' })).statusCode, 400);
    const d = await req('POST', '/v1/delete', { documents: [svc('api', 1), fn] });
    assert.equal(d.statusCode, 200, d.body);
    assert.deepEqual((d.json() as J).results.map((r: J) => r.action), ['deleted', 'deleted']);
    assert.equal((await req('DELETE', '/v1/services/web')).statusCode, 204);
    assert.equal((await req('DELETE', '/v1/services/web')).statusCode, 404);
  });
}
