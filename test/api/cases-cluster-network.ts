// Route cases: the agents' network map and pod subnets at join (the real cluster module).
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { ApiRig } from './harness.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const report = { capacity: { cpu: 2000, memory: 2 ** 31 }, allocatable: { cpu: 1900, memory: 2 ** 31 - 2 ** 28 }, allocated: { cpu: 0, memory: 0 }, runtimes: ['runc'], images: [], workloads: 0, agentVersion: 'test' };

export async function clusterNetworkCases(t: TestContext, rig: ApiRig): Promise<void> {
  const { req } = rig;
  const anon = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, authorization = '') => req(method, url, payload, { authorization });
  await t.test('GET /v1/cluster/agent/network: pod subnets (asked, allocated; an overlap refused) for a node credential', async (tc) => {
    const { token } = (await req('POST', '/v1/cluster/tokens', { ttlSeconds: 600 })).json() as J;
    const node = (name: string, m: string, podSubnet?: string) => ({ token, name, machineId: m.repeat(32), labels: {}, taints: [], report, ...(podSubnet ? { podSubnet } : {}) });
    // The fake nodes go even when a check fails: later cases' containers would be placed on them.
    tc.after(async () => {
      for (const n of ['net-a', 'net-b', 'net-c']) await req('DELETE', `/v1/nodes/${n}`);
    });
    const a = await anon('POST', '/v1/cluster/agent/join', node('net-a', 'a', '10.77.1.0/24'));
    assert.equal(a.statusCode, 200, a.body);
    assert.equal((a.json() as J).podSubnet, '10.77.1.0/24');
    const clash = await anon('POST', '/v1/cluster/agent/join', node('net-c', 'c', '10.77.0.0/20'));
    assert.equal(clash.statusCode, 400, clash.body);
    assert.match((clash.json() as J).error, /overlaps node net-a's 10\.77\.1\.0\/24/);
    const b = await anon('POST', '/v1/cluster/agent/join', node('net-b', 'b'));
    assert.equal(b.statusCode, 200, b.body);
    assert.match((b.json() as J).podSubnet, /^10\.89\.\d+\.0\/24$/);
    assert.equal((await anon('GET', '/v1/cluster/agent/network')).statusCode, 401);
    assert.equal((await anon('GET', '/v1/cluster/agent/network', undefined, 'Bearer net-a.wrong')).statusCode, 401);
    const map = await anon('GET', '/v1/cluster/agent/network', undefined, `Bearer ${(a.json() as J).credential}`);
    assert.equal(map.statusCode, 200, map.body);
    const body = map.json() as J;
    assert.equal(body.self, 'net-a');
    assert.deepEqual(body.nodes.filter((n: J) => n.name.startsWith('net-')).map((n: J) => [n.name, n.podSubnet]).sort(), [['net-a', '10.77.1.0/24'], ['net-b', (b.json() as J).podSubnet]]);
    assert.ok(Array.isArray(body.services));
    for (const n of ['net-a', 'net-b']) assert.equal((await req('DELETE', `/v1/nodes/${n}`)).statusCode, 204);
  });
}
