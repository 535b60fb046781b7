// Route cases: status, modules, workloads, events, scheduler, monitor, store (all real modules).
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { Kinds } from '../../src/contracts/kinds.js';
import type { MonitorApi } from '../../src/contracts/monitor.js';
import type { ApiRig } from './harness.js';
import { Mi } from './harness.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export async function kernelCases(t: TestContext, rig: ApiRig): Promise<void> {
  const { req } = rig;
  await t.test('GET /v1/status answers the kernel status as the kernel gives it', async () => {
    const r = await req('GET', '/v1/status');
    assert.equal(r.statusCode, 200);
    const body = r.json() as J;
    const direct = JSON.parse(JSON.stringify(rig.kernel.status())) as J;
    // uptime and module init times move; the rest is the same JSON
    assert.deepEqual(Object.keys(body).sort(), Object.keys(direct).sort());
    assert.deepEqual(body.boot, direct.boot);
    assert.deepEqual(body.host, direct.host);
    assert.equal(body.modules.length, direct.modules.length);
  });
  await t.test('GET /v1/modules, unload and load at run time', async () => {
    const r = await req('GET', '/v1/modules');
    assert.equal(r.statusCode, 200);
    assert.deepEqual((r.json() as J).modules, JSON.parse(JSON.stringify(rig.kernel.modules())));
    const u = await req('POST', '/v1/modules/dashboard/unload');
    assert.equal(u.statusCode, 200, u.body);
    assert.equal((u.json() as J).state, 'unloaded');
    const ui = await req('GET', '/ui/');
    assert.equal(ui.statusCode, 503, 'the UI is away while its module is');
    const l = await req('POST', '/v1/modules/dashboard/load');
    assert.equal(l.statusCode, 200, l.body);
    assert.equal((l.json() as J).state, 'loaded');
    const refused = await req('POST', '/v1/modules/state-store/unload');
    assert.equal(refused.statusCode, 409, refused.body);
    assert.match((refused.json() as J).error, /required|require/);
    const unknown = await req('POST', '/v1/modules/nope/load');
    assert.equal(unknown.statusCode, 404, unknown.body);
  });
  await t.test('GET /v1/workloads lists the workload table', async () => {
    rig.kernel.workloads.add({ id: 'w-api-1', type: 'container', name: 'w1', labels: { a: 'b' }, requests: { cpu: 100 }, limits: {} });
    const r = await req('GET', '/v1/workloads?type=container');
    assert.equal(r.statusCode, 200);
    const w = (r.json() as J).workloads.find((x: J) => x.id === 'w-api-1');
    assert.deepEqual(w, JSON.parse(JSON.stringify(rig.kernel.workloads.get('w-api-1'))));
    rig.kernel.workloads.remove('w-api-1');
  });
  await t.test('GET /v1/events (recent, filtered by prefix; bad limit is a 400)', async () => {
    rig.kernel.events.publish({ topic: '/api-test/ping', subject: 'test/one', message: 'ping', data: { n: 1 } });
    const r = await req('GET', '/v1/events?prefix=/api-test&limit=5');
    assert.equal(r.statusCode, 200);
    const evs = (r.json() as J).events;
    assert.equal(evs.length, 1);
    assert.deepEqual({ topic: evs[0].topic, subject: evs[0].subject, data: evs[0].data }, { topic: '/api-test/ping', subject: 'test/one', data: { n: 1 } });
    assert.equal((await req('GET', '/v1/events?limit=0')).statusCode, 400);
  });
  await t.test('scheduler: namespaces, quota, admissions, describe', async () => {
    const c = await req('POST', '/v1/namespaces', { name: 'team-a' });
    assert.equal(c.statusCode, 201, c.body);
    assert.equal((c.json() as J).name, 'team-a');
    assert.equal((await req('POST', '/v1/namespaces', { name: 'team-a' })).statusCode, 409);
    const q = await req('PUT', '/v1/namespaces/team-a/quota', { cpu: '500m', memory: '256Mi' });
    assert.equal(q.statusCode, 200, q.body);
    assert.deepEqual((q.json() as J).quota, { cpu: 500, memory: 256 * Mi });
    assert.equal((await req('PUT', '/v1/namespaces/team-a/quota', { cpu: 'lots' })).statusCode, 400);
    const a = await req('POST', '/v1/scheduler/admissions', { id: 'adm-1', namespace: 'team-a', requests: { cpu: 200, memory: '64Mi' } });
    assert.equal(a.statusCode, 201, a.body);
    assert.equal((a.json() as J).qos, 'Burstable');
    const over = await req('POST', '/v1/scheduler/admissions', { id: 'adm-2', namespace: 'team-a', requests: { cpu: 400 } });
    assert.equal(over.statusCode, 429, over.body);
    assert.match((over.json() as J).error, /quota team-a/);
    const list = await req('GET', '/v1/scheduler/admissions?namespace=team-a');
    assert.deepEqual((list.json() as J).admissions.map((x: J) => x.id), ['adm-1']);
    const quotas = await req('GET', '/v1/quotas');
    assert.equal((quotas.json() as J).quotas.find((n: J) => n.name === 'team-a').used.cpu, 200);
    const ns = await req('GET', '/v1/namespaces');
    assert.deepEqual((ns.json() as J).namespaces.map((n: J) => n.name).sort(), ['default', 'team-a']);
    const d = await req('GET', '/v1/scheduler');
    assert.equal(d.statusCode, 200);
    assert.equal((d.json() as J).node.requested.cpu, 200);
    assert.equal((await req('DELETE', '/v1/namespaces/team-a')).statusCode, 409, 'not empty while an admission holds it');
    assert.equal((await req('DELETE', '/v1/scheduler/admissions/adm-1')).statusCode, 204);
    const del = await req('DELETE', '/v1/namespaces/team-a');
    assert.equal(del.statusCode, 204, del.body);
    assert.equal(del.body, '');
  });
  await t.test('monitor: latest sample, series, query, one workload, Prometheus text', async () => {
    const m = await req('GET', '/v1/metrics?refresh=true');
    assert.equal(m.statusCode, 200, m.body);
    assert.equal((m.json() as J).node.cpus, 2);
    const mon = rig.kernel.getSingle<MonitorApi>(Kinds.monitor);
    const s = await req('GET', '/v1/metrics/series?name=node_cpu_busy');
    assert.equal(s.statusCode, 200);
    assert.deepEqual((s.json() as J).series, mon.series({ name: 'node_cpu_busy' }));
    const name = mon.series()[0]?.name ?? 'node_cpu_busy';
    const q = await req('GET', `/v1/metrics/query?name=${encodeURIComponent(name)}`);
    assert.equal(q.statusCode, 200, q.body);
    assert.deepEqual((q.json() as J).points, mon.query(name, {}));
    assert.equal((await req('GET', '/v1/metrics/query?name=x&labels=nokey')).statusCode, 400);
    const w = await req('GET', '/v1/metrics/workloads/none');
    assert.deepEqual(w.json(), { id: 'none', series: [] });
    const p = await req('GET', '/metrics');
    assert.equal(p.statusCode, 200);
    assert.match(String(p.headers['content-type']), /^text\/plain/);
    assert.match(p.body, /# TYPE node_/);
  });
  await t.test('store: check and a backup that is a SQLite file', async () => {
    const c = await req('GET', '/v1/store/check?full=true');
    assert.equal(c.statusCode, 200);
    assert.deepEqual({ ...(c.json() as J), file: undefined }, { ok: true, backend: 'sqlite', file: undefined, full: true, problems: [] });
    const b = await req('GET', '/v1/store/backup');
    assert.equal(b.statusCode, 200);
    assert.equal(b.headers['content-type'], 'application/vnd.sqlite3');
    assert.equal(b.rawPayload.subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
  });
}
