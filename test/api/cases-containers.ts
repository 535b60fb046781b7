// Route cases: containers (over the in-memory fake of the containers contract: the real runtime
// needs root; its own suites run it).
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { ApiRig } from './harness.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const same = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

export async function containerCases(t: TestContext, rig: ApiRig): Promise<void> {
  const { req, containers } = rig;
  await t.test('containers: create, start, inspect, list, stats, exec, logs, stop, kill, wait, remove', async () => {
    const c = await req('POST', '/v1/containers', { name: 'web', image: 'busybox', cmd: ['sleep', '60'], ports: [{ hostPort: 8081, containerPort: 80 }] });
    assert.equal(c.statusCode, 201, c.body);
    const id = (c.json() as J).id as string;
    assert.deepEqual(c.json(), same(containers.records.get(id)), 'the answer is the runtime record, field for field');
    assert.equal((await req('GET', '/v1/containers')).json().containers.length, 0, 'created is not running');
    const s = await req('POST', `/v1/containers/${id}/start`);
    assert.equal(s.statusCode, 200, s.body);
    assert.equal((s.json() as J).state, 'running');
    const list = await req('GET', '/v1/containers?all=1&namespace=default');
    assert.deepEqual((list.json() as J).containers, [same(containers.records.get(id))]);
    assert.deepEqual((await req('GET', '/v1/containers/web')).json(), same(containers.records.get(id)));
    const st = await req('GET', '/v1/containers/web/stats');
    assert.equal(st.statusCode, 200);
    assert.equal((st.json() as J).memoryLimit, 64 * 2 ** 20);
    const ex = await req('POST', '/v1/containers/web/exec', { cmd: ['echo', 'hi'] });
    assert.deepEqual(ex.json(), { exitCode: 0, stdout: 'echo hi\n', stderr: '' });
    assert.equal((await req('POST', '/v1/containers/web/exec', { cmd: [] })).statusCode, 400);
    const logs = await req('GET', '/v1/containers/web/logs?tail=1');
    assert.deepEqual((logs.json() as J).lines.map((l: J) => l.text), ['a warning']);
    const sse = await req('GET', '/v1/containers/web/logs?follow=true');
    assert.match(String(sse.headers['content-type']), /text\/event-stream/);
    assert.match(sse.body, /event: log\ndata: .*hello from web[\s\S]*event: end/);
    const stop = await req('POST', '/v1/containers/web/stop?timeout=1');
    assert.equal((stop.json() as J).state, 'exited');
    assert.equal((await req('POST', '/v1/containers/web/stop?timeout=-1')).statusCode, 400);
    await req('POST', '/v1/containers/web/start');
    const k = await req('POST', '/v1/containers/web/kill?signal=TERM');
    assert.equal(k.statusCode, 204, k.body);
    assert.equal(k.body, '');
    assert.equal((await req('POST', '/v1/containers/web/kill')).statusCode, 409, 'not running');
    const w = await req('POST', '/v1/containers/web/wait');
    assert.deepEqual(w.json(), { exitCode: 143, oomKilled: false });
    const rm = await req('DELETE', '/v1/containers/web?force=true');
    assert.equal(rm.statusCode, 204);
    assert.equal((await req('GET', '/v1/containers/web')).statusCode, 404);
  });
  await t.test('containers: run detached, and run attached streams NDJSON ending with the exit code', async () => {
    const d = await req('POST', '/v1/containers/run', { name: 'det', image: 'busybox' });
    assert.equal(d.statusCode, 201, d.body);
    assert.equal((d.json() as J).state, 'running');
    const started = await req('POST', '/v1/containers?start=true', { name: 'det2', image: 'busybox' });
    assert.equal((started.json() as J).state, 'running');
    const a = await req('POST', '/v1/containers/run?attach=true', { name: 'att', image: 'busybox' });
    assert.equal(a.statusCode, 200);
    const lines = a.body.trim().split('\n').map((l) => JSON.parse(l) as J);
    assert.deepEqual(lines.map((l) => l.type), ['container', 'log', 'log', 'exit']);
    assert.deepEqual(lines.at(-1), { type: 'exit', exitCode: 0, oomKilled: false });
    for (const n of ['det', 'det2', 'att']) await req('DELETE', `/v1/containers/${n}?force=1`);
  });
  await t.test('containers: pause, unpause, rename, top and update need a runtime that offers them (503 naming them)', async () => {
    await req('POST', '/v1/containers', { image: 'busybox', name: 'ctl' });
    for (const [method, url, body] of [['POST', '/v1/containers/ctl/pause'], ['POST', '/v1/containers/ctl/unpause'], ['POST', '/v1/containers/ctl/rename?name=ctl2'], ['GET', '/v1/containers/ctl/top'], ['POST', '/v1/containers/ctl/update', { memory: 64 * 2 ** 20 }]] as const) {
      const r = await req(method, url, body);
      assert.equal(r.statusCode, 503, `${method} ${url}: ${r.body}`);
      assert.match((r.json() as J).error, /no pause, rename, top or update/);
    }
    await req('DELETE', '/v1/containers/ctl?force=1');
  });
  await t.test('volumes: create, list, inspect, remove, prune; a bad name is a 400', async () => {
    const c = await req('POST', '/v1/volumes', { name: 'data1', labels: { a: 'b' } });
    assert.equal(c.statusCode, 201, c.body);
    assert.equal((c.json() as J).name, 'data1');
    assert.deepEqual(((await req('GET', '/v1/volumes')).json() as J).volumes.map((v: J) => v.name), ['data1']);
    assert.deepEqual(((await req('GET', '/v1/volumes/data1')).json() as J).labels, { a: 'b' });
    assert.equal((await req('DELETE', '/v1/volumes/data1')).statusCode, 204);
    assert.equal((await req('GET', '/v1/volumes/data1')).statusCode, 404);
    await req('POST', '/v1/volumes', { name: 'data2' });
    assert.deepEqual(((await req('POST', '/v1/volumes/prune')).json() as J).removed, ['data2']);
    assert.equal((await req('POST', '/v1/volumes', { name: '../x' })).statusCode, 400);
  });
  await t.test('containers: a spec field outside the contract is a 400 naming it', async () => {
    const r = await req('POST', '/v1/containers', { image: 'busybox', superuser: true });
    assert.equal(r.statusCode, 400);
    assert.match((r.json() as J).error, /superuser/);
  });
  await t.test('containers: attach and exec-stdio need an HTTP upgrade; resize needs a runtime with terminals (the fake has none: 503)', async () => {
    assert.equal((await req('POST', '/v1/containers/web/attach?stdin=true')).statusCode, 400);
    assert.equal((await req('POST', '/v1/containers/web/exec-stdio?cmd=sh&tty=true')).statusCode, 400);
    assert.equal((await req('POST', '/v1/containers/web/resize', { rows: 24, cols: 80 })).statusCode, 503);
  });
}
