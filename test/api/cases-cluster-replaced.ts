// Route cases: the agents' replaced-workloads calls (issue 20; the real cluster module). The
// services controller records a replica as replaced when it evicts it; here the record is made
// through the cluster module's API, as the controller does.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { clusterKind, type ClusterApi } from '../../src/contracts/cluster.js';
import type { ApiRig } from './harness.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const report = { capacity: { cpu: 2000, memory: 2 ** 31 }, allocatable: { cpu: 1900, memory: 2 ** 31 - 2 ** 28 }, allocated: { cpu: 0, memory: 0 }, runtimes: ['runc'], images: [], workloads: 0, agentVersion: 'test' };

export async function clusterReplacedCases(t: TestContext, rig: ApiRig): Promise<void> {
  const { req } = rig;
  const anon = (method: 'GET' | 'POST', url: string, payload?: unknown, authorization = '') => req(method, url, payload, { authorization });
  await t.test('GET/POST /v1/cluster/agent/replaced: a node sees only its own replaced workloads, and reports them done', async () => {
    const { token } = (await req('POST', '/v1/cluster/tokens', { ttlSeconds: 600 })).json() as J;
    const join = async (name: string, m: string) => {
      const r = await anon('POST', '/v1/cluster/agent/join', { token, name, machineId: m.repeat(32), labels: {}, taints: [], report });
      assert.equal(r.statusCode, 200, r.body);
      return `Bearer ${(r.json() as J).credential}`;
    };
    const a = await join('rep-a', 'd');
    const b = await join('rep-b', 'e');
    const cluster = rig.kernel.getSingle<ClusterApi>(clusterKind);
    const w = (id: string, node: string) => ({ id, name: `web-${id}`, node, owner: 'service/web', namespace: 'default', replacedAt: new Date().toISOString(), reason: 'test' });
    await cluster.markReplaced('rep-a', [w('c1', 'rep-a'), w('c2', 'rep-a')]);
    await cluster.markReplaced('rep-b', [w('c3', 'rep-b')]);
    assert.equal((await anon('GET', '/v1/cluster/agent/replaced')).statusCode, 401);
    assert.equal((await anon('GET', '/v1/cluster/agent/replaced', undefined, 'Bearer rep-a.wrong')).statusCode, 401);
    const mine = await anon('GET', '/v1/cluster/agent/replaced', undefined, a);
    assert.equal(mine.statusCode, 200, mine.body);
    assert.deepEqual((mine.json() as J).workloads.map((x: J) => x.id).sort(), ['c1', 'c2']);
    assert.equal((await anon('POST', '/v1/cluster/agent/replaced', { ids: 'c1' }, a)).statusCode, 400);
    // A node reports only its own: rep-b saying c1 is done does not clear rep-a's c1.
    assert.equal((await anon('POST', '/v1/cluster/agent/replaced', { ids: ['c1'] }, b)).statusCode, 200);
    const done = await anon('POST', '/v1/cluster/agent/replaced', { ids: ['c1'] }, a);
    assert.equal(done.statusCode, 200, done.body);
    assert.deepEqual(done.json(), { done: 1 });
    assert.deepEqual(((await anon('GET', '/v1/cluster/agent/replaced', undefined, a)).json() as J).workloads.map((x: J) => x.id), ['c2']);
    assert.deepEqual(((await anon('GET', '/v1/cluster/agent/replaced', undefined, b)).json() as J).workloads.map((x: J) => x.id), ['c3']);
    // Removing a node forgets its records.
    for (const n of ['rep-a', 'rep-b']) assert.equal((await req('DELETE', `/v1/nodes/${n}`)).statusCode, 204);
    assert.deepEqual(await cluster.replaced(), []);
  });
}
