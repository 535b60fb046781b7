// Route cases: the edge nodes' IoT sync (issue 21; the real cluster and iot modules).
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { ApiRig } from './harness.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const report = { capacity: { cpu: 2000, memory: 2 ** 31 }, allocatable: { cpu: 1900, memory: 2 ** 31 - 2 ** 28 }, allocated: { cpu: 0, memory: 0 }, runtimes: ['runc'], images: [], workloads: 0, agentVersion: 'test' };

export async function clusterIotCases(t: TestContext, rig: ApiRig): Promise<void> {
  const { req } = rig;
  const anon = (url: string, payload?: unknown, authorization = '') => req('POST', url, payload, { authorization });
  const loaded = (await req('GET', '/v1/device-models')).statusCode === 200;
  await t.test('POST /v1/cluster/agent/iot/sync: a node gets its own devices; credentials name its broker', { skip: loaded ? undefined : 'iot module not loaded (mosquitto)' }, async () => {
    const { token } = (await req('POST', '/v1/cluster/tokens', { ttlSeconds: 600 })).json() as J;
    const r = await anon('/v1/cluster/agent/join', { token, name: 'iot-a', machineId: 'f'.repeat(32), labels: {}, taints: [], report });
    assert.equal(r.statusCode, 200, r.body);
    const a = `Bearer ${(r.json() as J).credential}`;
    assert.equal((await req('POST', '/v1/device-models', { name: 'edgeth', properties: [{ name: 'temperature', type: 'number' }] })).statusCode, 201);
    for (const [name, node] of [['e1', 'iot-a'], ['e2', 'iot-b']]) assert.equal((await req('POST', '/v1/devices', { name, model: 'edgeth', node })).statusCode, 201);
    // Before its node synced: refused with the reason, not a 500.
    const early = await req('POST', '/v1/devices/e1/credentials');
    assert.equal(early.statusCode, 409, early.body);
    assert.match((early.json() as J).error, /bound to node iot-a, whose iot module has not synced/);
    assert.equal((await anon('/v1/cluster/agent/iot/sync', { twins: [], points: [], dropped: 0 })).statusCode, 401);
    assert.equal((await anon('/v1/cluster/agent/iot/sync', { twins: [], points: [], dropped: 0 }, 'Bearer nope.nope')).statusCode, 401);
    assert.equal((await anon('/v1/cluster/agent/iot/sync', { twins: 'x', points: [], dropped: 0 }, a)).statusCode, 400);
    const s = await anon('/v1/cluster/agent/iot/sync', { broker: { url: 'mqtt://10.9.9.9:1883' }, twins: [], points: [[1, 'e1', 'temperature', Date.now(), 21.5]], dropped: 0 }, a);
    assert.equal(s.statusCode, 200, s.body);
    const ans = s.json() as J;
    assert.equal(ans.ackSeq, 1);
    assert.deepEqual(ans.devices.map((d: J) => d.name), ['e1']);
    assert.deepEqual(ans.models.map((m: J) => m.name), ['edgeth']);
    const c = await req('POST', '/v1/devices/e1/credentials');
    assert.equal(c.statusCode, 200, c.body);
    assert.equal((c.json() as J).url, 'mqtt://10.9.9.9:1883');
    // The next sync carries the new password hash to the node.
    const again = (await anon('/v1/cluster/agent/iot/sync', { twins: [], points: [], dropped: 0 }, a)).json() as J;
    assert.match(again.devices[0].passwordHash, /^\$7\$/);
    const tel = (await req('GET', '/v1/devices/e1/telemetry?since=1h')).json() as J;
    assert.deepEqual(tel.series.temperature.map((p: J) => p.v), [21.5]);
    for (const n of ['e1', 'e2']) assert.equal((await req('DELETE', `/v1/devices/${n}`)).statusCode, 204);
    assert.equal((await req('DELETE', '/v1/device-models/edgeth')).statusCode, 204);
    // The node goes too: later cases' plain containers would otherwise be placed on it.
    assert.equal((await req('DELETE', '/v1/nodes/iot-a')).statusCode, 204);
  });
}
