// Route cases: user networks (over the in-memory fake of the user-networks contract; the real
// module needs root: test/networks runs it).
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { ApiRig } from './harness.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export async function networkCases(t: TestContext, rig: ApiRig): Promise<void> {
  const { req } = rig;
  await t.test('networks: create, list, inspect, connect, disconnect, remove (refused while attached), prune; bad input is a 400', async () => {
    const c = await req('POST', '/v1/networks', { name: 'fe', subnet: '10.91.1.0/24', labels: { a: 'b' } });
    assert.equal(c.statusCode, 201, c.body);
    assert.equal((c.json() as J).subnet, '10.91.1.0/24');
    assert.equal((await req('POST', '/v1/networks', { name: 'fe' })).statusCode, 409);
    for (const bad of [{ name: 'bridge' }, { name: '../x' }, { name: 'x', driver: 'overlay' }]) assert.equal((await req('POST', '/v1/networks', bad)).statusCode, 400, JSON.stringify(bad));
    assert.deepEqual(((await req('GET', '/v1/networks')).json() as J).networks.map((n: J) => n.name), ['fe']);
    assert.deepEqual(((await req('GET', '/v1/networks/fe')).json() as J).labels, { a: 'b' });
    assert.equal((await req('GET', '/v1/networks/nope')).statusCode, 404);
    const ctr = (await req('POST', '/v1/containers', { name: 'netc', image: 'busybox', cmd: ['sleep', '60'] })).json() as J;
    // A created (not running) container is connected as in Docker: the connection is recorded and plugged at its start.
    const early = await req('POST', '/v1/networks/fe/connect', { container: 'netc' });
    assert.equal(early.statusCode, 200, early.body);
    assert.equal((await req('POST', '/v1/networks/fe/disconnect', { container: 'netc' })).statusCode, 200);
    await req('POST', `/v1/containers/${ctr.id}/start`);
    const con = await req('POST', '/v1/networks/fe/connect', { container: 'netc', aliases: ['db'] });
    assert.equal(con.statusCode, 200, con.body);
    assert.deepEqual((con.json() as J).containers[ctr.id].aliases, ['db']);
    assert.equal((await req('POST', '/v1/networks/fe/connect', { container: 'netc', aliases: ['not a name'] })).statusCode, 400);
    assert.equal((await req('POST', '/v1/networks/fe/connect', { container: 'nope' })).statusCode, 404);
    assert.equal((await req('DELETE', '/v1/networks/fe')).statusCode, 409);
    const dis = await req('POST', '/v1/networks/fe/disconnect', { container: 'netc' });
    assert.equal(dis.statusCode, 200, dis.body);
    assert.deepEqual((dis.json() as J).containers, {});
    assert.equal((await req('POST', '/v1/networks/fe/disconnect', { container: 'netc' })).statusCode, 404);
    assert.equal((await req('DELETE', '/v1/networks/fe')).statusCode, 204);
    await req('POST', '/v1/networks', { name: 'spare' });
    assert.deepEqual(((await req('POST', '/v1/networks/prune')).json() as J).removed, ['spare']);
    await req('DELETE', `/v1/containers/${ctr.id}?force=1`);
  });
}
