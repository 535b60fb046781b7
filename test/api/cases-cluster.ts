// Route cases: join tokens, the agents' join and lease calls, and nodes (the real cluster module).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { ApiRig } from './harness.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const report = { capacity: { cpu: 2000, memory: 2 ** 31 }, allocatable: { cpu: 1900, memory: 2 ** 31 - 2 ** 28 }, allocated: { cpu: 0, memory: 0 }, runtimes: ['runc'], images: [], workloads: 0, agentVersion: 'test' };
const machineId = 'ab'.repeat(16);

export async function clusterCases(t: TestContext, rig: ApiRig): Promise<void> {
  const { req } = rig;
  const anon = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, authorization = '') => req(method, url, payload, { authorization });
  let token = '';
  let id = '';
  await t.test('POST /v1/cluster/tokens: K10<sha256 of the CA file>::<id>.<secret>; the list has no secret', async () => {
    const r = await req('POST', '/v1/cluster/tokens', { ttlSeconds: 3600, description: 'api test' });
    assert.equal(r.statusCode, 201, r.body);
    const body = r.json() as J;
    ({ token, id } = body as { token: string; id: string });
    const ca = await readFile(path.join(rig.dataDir, 'ca', 'ca.crt'));
    assert.equal(token.slice(3, 67), createHash('sha256').update(ca).digest('hex'));
    assert.ok(token.startsWith(`K10${token.slice(3, 67)}::${id}.`));
    const list = (await req('GET', '/v1/cluster/tokens')).json() as J;
    assert.deepEqual(list.tokens.map((x: J) => x.id), [id]);
    assert.ok(!JSON.stringify(list).includes(token.split('.')[1]!), 'the secret is not listed');
    assert.equal((await req('POST', '/v1/cluster/tokens', { ttlSeconds: 0 })).statusCode, 400);
  });
  let credential = '';
  await t.test('agent calls: the CA is public; join needs a valid token; the lease needs the node credential', async () => {
    const ca = await anon('GET', '/v1/cluster/agent/ca');
    assert.equal(ca.statusCode, 200);
    assert.match((ca.json() as J).ca, /BEGIN CERTIFICATE/);
    const node = { name: 'api-n1', machineId, labels: { 'llmos.io/zone': 'z1' }, taints: [], report };
    const bad = await anon('POST', '/v1/cluster/agent/join', { ...node, token: token.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')) });
    assert.equal(bad.statusCode, 401, bad.body);
    assert.match((bad.json() as J).error, /invalid join token/);
    assert.equal((await anon('POST', '/v1/cluster/agent/join', { ...node, token, name: 'Not A Name' })).statusCode, 400);
    const ok = await anon('POST', '/v1/cluster/agent/join', { ...node, token });
    assert.equal(ok.statusCode, 200, ok.body);
    credential = (ok.json() as J).credential;
    assert.ok(credential.startsWith('api-n1.'));
    assert.equal((await anon('PUT', '/v1/cluster/agent/lease', { report })).statusCode, 401);
    assert.equal((await anon('PUT', '/v1/cluster/agent/lease', { report }, `Bearer api-n1.wrong`)).statusCode, 401);
    const lease = await anon('PUT', '/v1/cluster/agent/lease', { report: { ...report, workloads: 1 } }, `Bearer ${credential}`);
    assert.equal(lease.statusCode, 200, lease.body);
  });
  await t.test('GET/PATCH/DELETE /v1/nodes: list, inspect, label, taint, cordon, remove', async () => {
    const list = (await req('GET', '/v1/nodes')).json() as J;
    assert.equal(list.nodes.length, 1);
    assert.equal(list.nodes[0].status, 'Ready');
    assert.equal(list.nodes[0].workloads, 1);
    assert.equal(list.nodes[0].labels['llmos.io/cloud'], 'private');
    assert.equal(list.nodes[0].zone, 'z1');
    const p = await req('PATCH', '/v1/nodes/api-n1', { labels: { tier: 'gold', 'llmos.io/zone': null }, addTaints: [{ key: 'gpu', effect: 'NoSchedule' }], unschedulable: true });
    assert.equal(p.statusCode, 200, p.body);
    const n = (await req('GET', '/v1/nodes/api-n1')).json() as J;
    assert.equal(n.labels.tier, 'gold');
    assert.equal(n.zone, '');
    assert.deepEqual(n.taints, [{ key: 'gpu', effect: 'NoSchedule' }]);
    assert.equal(n.unschedulable, true);
    assert.equal((await req('PATCH', '/v1/nodes/nope', { unschedulable: true })).statusCode, 404);
    assert.equal((await req('DELETE', '/v1/nodes/api-n1')).statusCode, 204);
    assert.equal((await req('GET', '/v1/nodes/api-n1')).statusCode, 404);
    assert.equal((await anon('PUT', '/v1/cluster/agent/lease', { report }, `Bearer ${credential}`)).statusCode, 401, 'a removed node must join again');
  });
  await t.test('DELETE /v1/cluster/tokens/{id}: the token no longer joins', async () => {
    assert.equal((await req('DELETE', `/v1/cluster/tokens/${id}`)).statusCode, 204);
    assert.equal((await req('DELETE', `/v1/cluster/tokens/${id}`)).statusCode, 404);
    const r = await anon('POST', '/v1/cluster/agent/join', { name: 'api-n2', machineId, labels: {}, taints: [], report, token });
    assert.equal(r.statusCode, 401);
  });
}
