// Route cases: device models, devices, bulk create, credentials, desired state, telemetry, the
// broker, and DeviceModel / Device in /v1/apply (the iot module, with the real mosquitto it
// manages; without mosquitto the module skips and the routes answer 503, which is checked too).
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { existsSync } from 'node:fs';
import type { ApiRig } from './harness.js';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const model = { name: 'thermo', properties: [{ name: 'temperature', type: 'number', unit: 'C', min: -40, max: 125, access: 'read' }, { name: 'setpoint', type: 'number', min: 5, max: 35, access: 'readwrite' }] };

export async function iotCases(t: TestContext, rig: ApiRig): Promise<void> {
  const { req } = rig;
  if (!existsSync('/usr/sbin/mosquitto')) {
    await t.test('iot routes answer 503 without mosquitto', async () => {
      for (const [m, u] of [['GET', '/v1/device-models'], ['GET', '/v1/devices'], ['GET', '/v1/iot/broker']] as const) assert.equal((await req(m, u)).statusCode, 503);
    });
    return;
  }
  await t.test('device models: create, list, get, bad input is 400, remove in use is 409', async () => {
    const c = await req('POST', '/v1/device-models', model);
    assert.equal(c.statusCode, 201, c.body);
    assert.equal((c.json() as J).properties.length, 2);
    assert.equal((await req('POST', '/v1/device-models', model)).statusCode, 409);
    const bad = await req('POST', '/v1/device-models', { name: 'x', properties: [{ name: 'a', type: 'number', min: 5, max: 1 }] });
    assert.equal(bad.statusCode, 400);
    assert.match((bad.json() as J).error, /min 5 is above max 1/);
    assert.equal((await req('POST', '/v1/device-models', { name: 'x', properties: [{ name: 'a', type: 'float' }] })).statusCode, 400);
    assert.deepEqual(((await req('GET', '/v1/device-models')).json() as J).models.map((m: J) => m.name), ['thermo']);
    assert.equal((await req('GET', '/v1/device-models/thermo')).statusCode, 200);
    assert.equal((await req('GET', '/v1/device-models/nope')).statusCode, 404);
  });
  await t.test('devices: create, bulk, list by label, get, credentials, desired, telemetry, remove', async () => {
    const c = await req('POST', '/v1/devices', { name: 'a1', model: 'thermo', labels: { room: 'lab' } });
    assert.equal(c.statusCode, 201, c.body);
    assert.equal((c.json() as J).online, false);
    assert.equal((await req('POST', '/v1/devices', { name: 'a1', model: 'thermo' })).statusCode, 409);
    assert.equal((await req('POST', '/v1/devices', { name: 'a2', model: 'nope' })).statusCode, 400);
    const bulk = await req('POST', '/v1/devices/bulk', { devices: [{ name: 'b1', model: 'thermo' }, { name: 'b2', model: 'thermo', labels: { room: 'lab' } }] });
    assert.equal(bulk.statusCode, 201, bulk.body);
    assert.deepEqual(bulk.json(), { created: 2 });
    // All or nothing: one bad device, none created.
    assert.equal((await req('POST', '/v1/devices/bulk', { devices: [{ name: 'b3', model: 'thermo' }, { name: 'B 4', model: 'thermo' }] })).statusCode, 400);
    assert.equal((await req('GET', '/v1/devices/b3')).statusCode, 404);
    const lab = (await req('GET', '/v1/devices?labels=room%3Dlab')).json() as J;
    assert.deepEqual(lab.devices.map((d: J) => d.name), ['a1', 'b2']);
    assert.equal((await req('GET', '/v1/devices?labels=nokv')).statusCode, 400);
    const cr = await req('POST', '/v1/devices/a1/credentials');
    assert.equal(cr.statusCode, 200, cr.body);
    assert.deepEqual(Object.keys(cr.json() as J).sort(), ['caFile', 'password', 'url', 'username']);
    const cert = await req('POST', '/v1/devices/a1/credentials?type=certificate');
    assert.equal(cert.statusCode, 200, cert.body);
    assert.deepEqual(Object.keys(cert.json() as J).sort(), ['ca', 'caFile', 'cert', 'key', 'url', 'username']);
    assert.equal((await req('POST', '/v1/devices/a1/credentials?type=token')).statusCode, 400);
    const set = await req('POST', '/v1/devices/a1/desired', { state: { setpoint: '20' } });
    assert.equal(set.statusCode, 200, set.body);
    assert.deepEqual((set.json() as J).delta, { setpoint: 20 });
    assert.equal((await req('POST', '/v1/devices/a1/desired', { state: { temperature: 3 } })).statusCode, 400);
    assert.equal((await req('GET', '/v1/devices/a1')).statusCode, 200);
    const tel = await req('GET', '/v1/devices/a1/telemetry?since=1h');
    assert.equal(tel.statusCode, 200, tel.body);
    assert.deepEqual(tel.json(), { device: 'a1', series: {} });
    assert.equal((await req('GET', '/v1/devices/a1/telemetry?since=soon')).statusCode, 400);
    const b = await req('GET', '/v1/iot/broker');
    assert.equal(b.statusCode, 200);
    assert.equal((b.json() as J).managed, true);
    assert.equal((await req('DELETE', '/v1/device-models/thermo')).statusCode, 409);
    for (const n of ['a1', 'b1', 'b2']) assert.equal((await req('DELETE', `/v1/devices/${n}`)).statusCode, 204);
    assert.equal((await req('DELETE', '/v1/devices/a1')).statusCode, 404);
    assert.equal((await req('DELETE', '/v1/device-models/thermo')).statusCode, 204);
  });
  await t.test('apply: DeviceModel and Device manifests, dry run first', async () => {
    const docs = [
      { apiVersion: 'llmos.io/v1', kind: 'DeviceModel', metadata: { name: 'thermometer' }, spec: { properties: model.properties } },
      { apiVersion: 'llmos.io/v1', kind: 'Device', metadata: { name: 't1', labels: { room: 'lab' } }, spec: { model: 'thermometer' } },
    ];
    const dry = await req('POST', '/v1/apply', { documents: docs, dryRun: true });
    assert.equal(dry.statusCode, 200, dry.body);
    assert.equal((await req('GET', '/v1/devices/t1')).statusCode, 404);
    const r = await req('POST', '/v1/apply', { documents: docs });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual((r.json() as J).results.map((x: J) => [x.kind, x.name, x.action]), [['DeviceModel', 'thermometer', 'created'], ['Device', 't1', 'created']]);
    const bad = await req('POST', '/v1/apply', { documents: [{ ...docs[1], spec: { model: 'thermometer', colour: 'red' } }] });
    assert.equal(bad.statusCode, 400, bad.body);
    assert.equal((await req('DELETE', '/v1/devices/t1')).statusCode, 204);
  });
}
