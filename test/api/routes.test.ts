// Every API route in-process (fastify.inject on the API module's own server; no root, no host
// packages): a real kernel with the real modules that need no root and a fake of the containers
// contract (test/api/fake-containers.ts). Each answer passes its declared response schema (the
// serializer answers 500 otherwise) and is the module's value unchanged. The last test checks
// that every operation in /v1/openapi.json was requested here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { errorBodySchema } from '../../src/contracts/system.js';
import { startRig, type ApiRig } from './harness.js';
import { kernelCases } from './cases-kernel.js';
import { containerCases } from './cases-containers.js';
import { functionCases } from './cases-functions.js';
import { serviceCases } from './cases-services.js';
import { imageCases } from './cases-images.js';
import { iotCases } from './cases-iot.js';
import { archiveCases } from './cases-archives.js';
import { clusterCases } from './cases-cluster.js';
import { clusterNetworkCases } from './cases-cluster-network.js';
import { clusterReplacedCases } from './cases-cluster-replaced.js';
import { clusterIotCases } from './cases-cluster-iot.js';
import { clusterNetworkWatchCases } from './cases-cluster-network-watch.js';
import { networkCases } from './cases-networks.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** "GET /v1/containers/{id}" for each operation of the document, with a matcher for concrete URLs. */
function operations(doc: J): Array<{ op: string; method: string; re: RegExp }> {
  const out = [];
  for (const [p, methods] of Object.entries(doc.paths as Record<string, Record<string, unknown>>))
    for (const m of Object.keys(methods)) out.push({ op: `${m.toUpperCase()} ${p}`, method: m.toUpperCase(), re: new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`) });
  return out;
}

test('API routes in-process', { timeout: 180_000 }, async (t) => {
  const assets = await mkdtemp(path.join(os.tmpdir(), 'llmos-ui-'));
  await mkdir(path.join(assets, 'assets'));
  await writeFile(path.join(assets, 'index.html'), '<!doctype html><title>LLMOS</title>');
  await writeFile(path.join(assets, 'assets', 'app-1234.js'), 'console.log(1)');
  const rig: ApiRig = await startRig({ config: { dashboard: { assets } } });
  const doc = (await rig.req('GET', '/v1/openapi.json')).json() as J;
  const ops = operations(doc);
  const hit = new Set<string>();
  const req = rig.req;
  rig.req = async (method, url, payload, headers) => {
    const res = await req(method, url, payload, headers);
    const p = url.split('?')[0]!;
    // Two templates can match one URL (GET /v1/images/inspect vs none): the literal one wins.
    const match = ops.filter((o) => o.method === method && o.re.test(p)).sort((a, b) => a.op.split('{').length - b.op.split('{').length)[0];
    if (match) hit.add(match.op);
    // A 500 only where a function's own handler failed (its reason says so); never a schema mismatch.
    // Every error answer is the shared body (the serializer sends error answers unchecked).
    if (res.statusCode >= 400) assert.ok(errorBodySchema.safeParse(res.json()).success, `${method} ${url}: ${res.statusCode} ${res.body}`);
    if (res.statusCode >= 500) assert.ok(res.statusCode !== 500 || /"reason":"handler-error"/.test(res.body), `${method} ${url}: ${res.body}`);
    return res;
  };
  try {
    await t.test('the token is required; public paths are not', async () => {
      const r = await req('GET', '/v1/status', undefined, { authorization: 'Bearer wrong' });
      assert.equal(r.statusCode, 401);
      assert.equal(r.headers['www-authenticate'], 'Bearer realm="llmos"');
      assert.deepEqual(Object.keys(r.json() as J).sort(), ['code', 'error']);
      assert.equal((await req('GET', '/healthz', undefined, { authorization: '' })).statusCode, 200);
      const unknown = await rig.req('GET', '/v1/nope');
      assert.deepEqual(unknown.json(), { error: 'no route GET /v1/nope', code: 'E_NOT_FOUND' });
    });
    await kernelCases(t, rig);
    await containerCases(t, rig);
    await imageCases(t, rig);
    await archiveCases(t, rig);
    await functionCases(t, rig);
    await serviceCases(t, rig);
    await iotCases(t, rig);
    await clusterCases(t, rig);
    await clusterNetworkCases(t, rig);
    await clusterReplacedCases(t, rig);
    await clusterIotCases(t, rig);
    await clusterNetworkWatchCases(t, rig);
    await networkCases(t, rig);
    await t.test('dashboard files: index, a hashed asset cached for good, page paths fall back to the app', async () => {
      const idx = await rig.req('GET', '/ui/');
      assert.equal(idx.statusCode, 200);
      assert.equal(idx.headers['cache-control'], 'no-cache');
      assert.match(idx.body, /<title>LLMOS/);
      const js = await rig.req('GET', '/ui/assets/app-1234.js');
      assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.match((await rig.req('GET', '/ui/containers')).body, /<title>LLMOS/);
      assert.equal((await rig.req('GET', '/ui/assets/missing.js')).statusCode, 404);
      // A path out of the directory is never served from outside it (it is a page path: the app).
      assert.match((await rig.req('GET', '/ui/..%2f..%2fetc%2fpasswd')).body, /<title>LLMOS/);
      assert.equal((await rig.req('GET', '/ui')).statusCode, 302);
      assert.equal((await rig.req('GET', '/')).headers.location, '/ui/');
    });
    await t.test('a route whose module is unloaded answers 503 naming it', async () => {
      assert.equal((await rig.req('POST', '/v1/modules/autoscaler/unload')).statusCode, 200);
      const r = await rig.req('GET', '/v1/autoscalers');
      assert.equal(r.statusCode, 503);
      assert.match((r.json() as J).error, /autoscaler/);
      assert.equal((await rig.req('POST', '/v1/modules/autoscaler/load')).statusCode, 200);
    });
    await t.test('every operation of /v1/openapi.json was requested', () => {
      assert.ok(ops.length >= 60, `${ops.length} operations`);
      assert.deepEqual(ops.map((o) => o.op).filter((o) => !hit.has(o)), []);
    });
  } finally {
    await rig.close();
    await rm(assets, { recursive: true, force: true });
  }
});
