// Route cases: the agents' watch of the network map (a long-poll by version; the real cluster module).
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { ApiRig } from './harness.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const report = { capacity: { cpu: 2000, memory: 2 ** 31 }, allocatable: { cpu: 1900, memory: 2 ** 31 - 2 ** 28 }, allocated: { cpu: 0, memory: 0 }, runtimes: ['runc'], images: [], workloads: 0, agentVersion: 'test' };
const watch = '/v1/cluster/agent/network/watch';

export async function clusterNetworkWatchCases(t: TestContext, rig: ApiRig): Promise<void> {
  const { req } = rig;
  await t.test('GET /v1/cluster/agent/network/watch: answers at once for another version, holds the same one, and answers a change before waitSeconds', async () => {
    const { token } = (await req('POST', '/v1/cluster/tokens', { ttlSeconds: 600 })).json() as J;
    const node = (name: string, m: string, podSubnet: string) => ({ token, name, machineId: m.repeat(32), labels: {}, taints: [], report, podSubnet });
    const a = await req('POST', '/v1/cluster/agent/join', node('watch-a', 'd', '10.78.1.0/24'), { authorization: '' });
    assert.equal(a.statusCode, 200, a.body);
    const auth = { authorization: `Bearer ${(a.json() as J).credential}` };
    assert.equal((await req('GET', `${watch}?waitSeconds=0`, undefined, { authorization: '' })).statusCode, 401);
    assert.equal((await req('GET', `${watch}?waitSeconds=0`, undefined, { authorization: 'Bearer watch-a.wrong' })).statusCode, 401);
    assert.equal((await req('GET', `${watch}?waitSeconds=500`, undefined, auth)).statusCode, 400);
    // No version held: the map at once.
    const first = await req('GET', watch, undefined, auth);
    assert.equal(first.statusCode, 200, first.body);
    const { version, map } = first.json() as J;
    assert.match(version, /^[0-9a-f]{32}$/);
    assert.equal(map.self, 'watch-a');
    assert.ok(map.nodes.some((n: J) => n.name === 'watch-a' && n.podSubnet === '10.78.1.0/24'));
    assert.equal(((await req('GET', `${watch}?since=stale`, undefined, auth)).json() as J).version, version);
    // The same version: held for waitSeconds, then the same map.
    const t0 = Date.now();
    const held = await req('GET', `${watch}?since=${version}&waitSeconds=1`, undefined, auth);
    assert.ok(Date.now() - t0 >= 900, `answered after ${Date.now() - t0} ms`);
    assert.equal((held.json() as J).version, version);
    // A node joins while the watch waits: the answer comes with it, long before waitSeconds.
    const t1 = Date.now();
    const pending = req('GET', `${watch}?since=${version}&waitSeconds=30`, undefined, auth);
    const b = await req('POST', '/v1/cluster/agent/join', node('watch-b', 'e', '10.78.2.0/24'), { authorization: '' });
    assert.equal(b.statusCode, 200, b.body);
    const changed = (await pending).json() as J;
    assert.ok(Date.now() - t1 < 10_000, `answered after ${Date.now() - t1} ms`);
    assert.notEqual(changed.version, version);
    assert.ok(changed.map.nodes.some((n: J) => n.name === 'watch-b' && n.podSubnet === '10.78.2.0/24'));
    for (const n of ['watch-a', 'watch-b']) assert.equal((await req('DELETE', `/v1/nodes/${n}`)).statusCode, 204);
  });
}
