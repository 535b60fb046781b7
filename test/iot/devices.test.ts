// End to end on a real daemon, the real mosquitto it supervises and real mqtt.js clients as the
// simulated devices: the manifest interface of issue 21, credentials and ACLs (100 devices, a
// device on another's topic, a wrong password), the twin round trip and its delta, an offline
// device getting desired state on reconnect, bad reported values refused, telemetry series and
// Prometheus text, a device rule function setting another device's desired state, a SIGKILLed
// broker survived, and nothing left behind after the daemon stops.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { freePort } from '../support/registry.js';
import { untilNoLeaks } from '../support/leaks.js';
import { until } from '../support/until.js';
import type { DeviceCredentials, DeviceInfo } from '../../src/contracts/iot.js';

const skip = existsSync('/usr/sbin/mosquitto') ? false : 'mosquitto is not installed';

const MANIFEST = `apiVersion: llmos.io/v1
kind: DeviceModel
metadata: {name: thermometer}
spec:
  properties:
    - {name: temperature, type: number, unit: C, min: -40, max: 125, access: read}
    - {name: setpoint, type: number, min: 5, max: 35, access: readwrite}
    - {name: mode, type: string, enum: [off, heat, cool], access: readwrite}
---
apiVersion: llmos.io/v1
kind: Device
metadata: {name: t1, labels: {room: lab}}
spec: {model: thermometer}
`;

interface Sim {
  client: MqttClient;
  messages: Array<{ topic: string; payload: string; retain: boolean }>;
}

/** A simulated device: an mqtt.js client with its credentials, a retained birth message and LWT. */
async function connectDevice(c: DeviceCredentials, opts: { password?: string; subscribe?: string[]; reconnect?: boolean } = {}): Promise<Sim> {
  const messages: Sim['messages'] = [];
  const client = mqtt.connect(c.url, {
    username: c.username,
    password: opts.password ?? c.password,
    // mqtts:// (the broker's TLS listener): trust the node's CA only.
    ...(c.caFile ? { ca: readFileSync(c.caFile), rejectUnauthorized: true } : {}),
    protocolVersion: 5,
    reconnectPeriod: opts.reconnect === false ? 0 : 200,
    connectTimeout: 5000,
    will: { topic: `devices/${c.username}/status`, payload: Buffer.from('offline'), qos: 1, retain: true },
  });
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), retain: packet.retain }));
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', (e) => reject(e));
    });
    await client.publishAsync(`devices/${c.username}/status`, 'online', { qos: 1, retain: true });
    for (const t of opts.subscribe ?? []) await client.subscribeAsync(t, { qos: 1 });
  } catch (e) {
    // A client left reconnecting would keep this test file's process alive after a failure.
    client.end(true);
    throw e;
  }
  return { client, messages };
}

describe('iot devices end to end', { skip, concurrency: false }, () => {
  let d: TestDaemon;
  let tmp: string;
  let tlsPort: number;
  const sims: Sim[] = [];
  const creds = async (name: string): Promise<DeviceCredentials> => {
    const r = await d.api<DeviceCredentials>('POST', `/v1/devices/${name}/credentials`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const inspect = async (name: string): Promise<DeviceInfo> => {
    const r = await d.cli(['device', 'inspect', name, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as DeviceInfo;
  };

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-iot-'));
    const dataDir = path.join(tmp, 'data');
    await mkdir(dataDir);
    tlsPort = await freePort();
    await writeFile(path.join(dataDir, 'config.json'), JSON.stringify({ modules: { iot: { port: await freePort(), tlsPort, certPort: await freePort(), flushMs: 100 } } }));
    d = await startDaemon({ dataDir });
  });

  after(async () => {
    for (const s of sims) s.client.end(true);
    if (!d) return;
    await d.stop({ keepData: true });
    // No broker left running, no broker file left in the module dir.
    const brokers = [];
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmd.includes('mosquitto') && cmd.includes(d.dataDir)) brokers.push(pid);
    }
    assert.deepEqual(brokers, [], 'a mosquitto of the daemon is still running');
    const modDirs = await readdir(path.join(d.dataDir, 'modules')).catch(() => [] as string[]);
    for (const m of modDirs.filter((x) => x.startsWith('llmos.iot'))) assert.equal(existsSync(path.join(d.dataDir, 'modules', m, 'broker')), false, 'the broker dir is left');
    await untilNoLeaks(d.dataDir);
    const { rm } = await import('node:fs/promises');
    await rm(tmp, { recursive: true, force: true });
  });

  test('apply -f takes the DeviceModel and Device manifests of the issue; inspect --json has the twin fields', async () => {
    const f = path.join(tmp, 'devices.yaml');
    await writeFile(f, MANIFEST);
    const r = await d.cli(['apply', '-f', f]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const models = JSON.parse((await d.cli(['device', 'models', 'ls', '--json'])).stdout) as Array<{ name: string; properties: unknown[] }>;
    assert.deepEqual(models.map((m) => [m.name, m.properties.length]), [['thermometer', 3]]);
    const t1 = await inspect('t1');
    assert.equal(t1.model, 'thermometer');
    assert.deepEqual(t1.labels, { room: 'lab' });
    assert.deepEqual([t1.reported, t1.desired, t1.delta, t1.online, t1.lastSeen], [{}, {}, {}, false, null]);
    // Applying the same file again changes nothing.
    const again = await d.cli(['apply', '-f', f, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /unchanged/);
    // A Device of a model that does not exist is a 4xx with the reason, and nothing is created.
    await writeFile(f, MANIFEST.replace('spec: {model: thermometer}', 'spec: {model: nosuch}').replace('name: t1', 'name: t9'));
    const bad = await d.cli(['apply', '-f', f]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /no such device model nosuch/);
    assert.equal((await d.api('GET', '/v1/devices/t9')).status, 404);
  });

  test('credentials --json prints username, password, the mqtts:// url and the CA file; bad input is one line and exit 1', async () => {
    const r = await d.cli(['device', 'credentials', 't1', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout) as DeviceCredentials;
    assert.equal(c.username, 't1');
    assert.ok(c.password && c.password.length >= 16);
    assert.equal(c.url, `mqtts://127.0.0.1:${tlsPort}`);
    assert.equal(c.caFile, path.join(d.dataDir, 'ca', 'ca.crt'));
    // Stored hashed in mosquitto's format, never in clear.
    const dump = JSON.stringify((await d.api('GET', '/v1/devices/t1')).body);
    assert.ok(!dump.includes(c.password));
    const bad = await d.cli(['device', 'set', 't1', 'temperature=20']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /read-only/);
    const range = await d.cli(['device', 'set', 't1', 'setpoint=99']);
    assert.equal(range.code, 1);
    assert.match(range.stderr, /above the maximum 35/);
    const enumBad = await d.api('POST', '/v1/devices/t1/desired', { state: { mode: 'warm' } });
    assert.equal(enumBad.status, 400);
    assert.equal((await d.api('POST', '/v1/devices', { name: 'Bad/Name', model: 'thermometer' })).status, 400);
  });

  test('100 devices from a CSV connect with their own credentials; ACL and wrong passwords are refused', async () => {
    const csv = ['name,model,room', ...Array.from({ length: 100 }, (_, i) => `d${i},thermometer,r${i % 5}`)].join('\n');
    const f = path.join(tmp, 'devices.csv');
    await writeFile(f, csv);
    const r = await d.cli(['device', 'create', '--from-csv', f]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /100 devices registered/);
    const cs = [];
    for (let i = 0; i < 100; i++) cs.push(await creds(`d${i}`));
    const settled = await Promise.allSettled(cs.map((c) => connectDevice(c, { subscribe: [`devices/${c.username}/twin/desired`] })));
    const many = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    sims.push(...many);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    await until('100 devices online', async () => {
      const { body } = await d.api<{ devices: DeviceInfo[] }>('GET', '/v1/devices?labels=room%3Dr1');
      const all = await d.api<{ devices: DeviceInfo[] }>('GET', '/v1/devices');
      return body.devices.length === 20 && all.body.devices.filter((x) => x.name.startsWith('d') && x.online).length === 100;
    }, 20_000, 100);

    // d0 publishing on d1's topic: the broker refuses it (MQTT 5 PUBACK 0x87 not authorized), d1's twin is unchanged.
    const [d0, d1] = many;
    await assert.rejects(d0!.client.publishAsync('devices/d1/twin/reported', JSON.stringify({ setpoint: 10 }), { qos: 1 }), /Not authorized/);
    // d0 subscribing to d1's desired state gets nothing of it.
    await d0!.client.subscribeAsync('devices/d1/#', { qos: 1 });
    const set = await d.api('POST', '/v1/devices/d1/desired', { state: { setpoint: 12 } });
    assert.equal(set.status, 200);
    await until('d1 got its desired state', async () => d1!.messages.some((m) => m.topic === 'devices/d1/twin/desired'), 10_000, 50);
    assert.equal(d0!.messages.filter((m) => m.topic.startsWith('devices/d1/')).length, 0, 'd0 read d1 topics');
    assert.deepEqual((await inspect('d1')).reported, {});

    // A wrong password: CONNACK refuses (bad user name or password / not authorized).
    await assert.rejects(connectDevice(cs[2]!, { password: 'wrong', reconnect: false }), /Bad User Name or Password|Not authorized/i);
    // An old password stops working once credentials are issued again.
    const fresh = await creds('d3');
    await assert.rejects(connectDevice(cs[3]!, { reconnect: false }), /Bad User Name or Password|Not authorized/i);
    sims.push(await connectDevice(fresh));
  });

  test('desired -> device -> reported round trip clears the delta; bad reported values leave the twin unchanged', async () => {
    const c = await creds('t1');
    const t1 = await connectDevice(c, { subscribe: ['devices/t1/twin/desired'] });
    sims.push(t1);
    const set = await d.cli(['device', 'set', 't1', 'setpoint=21', 'mode=heat', '--json']);
    assert.equal(set.code, 0, set.stderr);
    const msg = await until('desired state at the device', async () => t1.messages.find((m) => m.topic === 'devices/t1/twin/desired'), 10_000, 50);
    const desired = JSON.parse(msg.payload) as { version: number; state: Record<string, unknown> };
    assert.deepEqual(desired.state, { setpoint: 21, mode: 'heat' });
    assert.ok(desired.version >= 1);
    let info = await inspect('t1');
    assert.deepEqual(info.delta, { setpoint: 21, mode: 'heat' });
    // The device applies it and reports.
    await t1.client.publishAsync('devices/t1/twin/reported', JSON.stringify({ ...desired.state, temperature: 19.5 }), { qos: 1 });
    info = await until('delta cleared', async () => {
      const i = await inspect('t1');
      return Object.keys(i.delta).length === 0 && i;
    }, 10_000, 50);
    assert.deepEqual(info.reported, { setpoint: 21, mode: 'heat', temperature: 19.5 });
    assert.equal(info.online, true);
    assert.ok(info.lastSeen && Date.parse(info.lastSeen) > Date.now() - 60_000);
    // Out of range, wrong type, unknown property: refused, twin unchanged, counted.
    const before = (await d.api<{ rejected: number }>('GET', '/v1/iot/broker')).body.rejected;
    for (const bad of [{ temperature: 500 }, { setpoint: 'hot' }, { mode: 'warm' }, { humidity: 3 }]) await t1.client.publishAsync('devices/t1/twin/reported', JSON.stringify(bad), { qos: 1 });
    await t1.client.publishAsync('devices/t1/twin/reported', 'not json', { qos: 1 });
    await until('5 rejections counted', async () => (await d.api<{ rejected: number }>('GET', '/v1/iot/broker')).body.rejected >= before + 5, 10_000, 50);
    const after = await inspect('t1');
    assert.deepEqual(after.reported, info.reported);
    assert.equal(after.reportedVersion, info.reportedVersion);
    // LWT: the device goes away without a goodbye and shows offline.
    t1.client.options.reconnectPeriod = 0;
    t1.client.stream.destroy();
    await until('t1 offline', async () => !(await inspect('t1')).online, 120_000, 200);
  });

  test('a device offline while desired state changes gets it (retained, versioned) on reconnect', async () => {
    const c = await creds('d5');
    const s = await connectDevice(c, { subscribe: ['devices/d5/twin/desired'] });
    await s.client.endAsync();
    const r1 = await d.api<DeviceInfo>('POST', '/v1/devices/d5/desired', { state: { setpoint: 7 } });
    const r2 = await d.api<DeviceInfo>('POST', '/v1/devices/d5/desired', { state: { setpoint: 8 } });
    assert.equal(r2.body.desiredVersion, r1.body.desiredVersion + 1);
    const back = await connectDevice(c, { subscribe: ['devices/d5/twin/desired'] });
    sims.push(back);
    const m = await until('retained desired on reconnect', async () => back.messages.find((x) => x.topic === 'devices/d5/twin/desired'), 10_000, 50);
    assert.equal(m.retain, true);
    assert.deepEqual(JSON.parse(m.payload), { version: r2.body.desiredVersion, state: { setpoint: 8 }, time: JSON.parse(m.payload).time });
  });

  test('telemetry goes into a series per property, telemetry --since shows it, and Prometheus text has it', async () => {
    const c = await creds('d6');
    const s = await connectDevice(c);
    sims.push(s);
    // A burst: many arrive within the same millisecond, and every point is kept (regression: they were dropped).
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.client.publishAsync('devices/d6/telemetry', JSON.stringify({ temperature: 20 + i / 10, bogus: 1 }), { qos: 1 })));
    const t = await until('telemetry points', async () => {
      const r = await d.cli(['device', 'telemetry', 'd6', '--since', '10m', '--json']);
      const j = JSON.parse(r.stdout) as { series: Record<string, Array<{ v: number }>> };
      return (j.series.temperature?.length ?? 0) >= 20 && j;
    }, 10_000, 100);
    assert.deepEqual(t.series.temperature!.map((p) => Math.round(p.v * 10)), Array.from({ length: 20 }, (_, i) => 200 + i));
    const human = await d.cli(['device', 'telemetry', 'd6']);
    assert.match(human.stdout, /temperature/);
    const res = await fetch(`${d.host}/metrics`, { headers: { authorization: `Bearer ${d.token}` } });
    const text = await res.text();
    assert.match(text, /llmos_device_telemetry\{device="d6",property="temperature"\} 21\.9/);
    assert.match(text, /llmos_device_online\{device="d6"\} 1/);
  });

  test('a rule function fires on a threshold and sets another device desired state, end to end', async () => {
    const code = path.join(tmp, 'alert.js');
    await writeFile(
      code,
      `export default { async fetch(req, env) {
        const ev = await req.json();
        await env.devices.set('d7', { mode: 'cool', setpoint: 18 });
        return new Response('handled ' + ev.device + ' ' + ev.property + '=' + ev.value);
      } };`,
    );
    const dep = await d.cli(['fn', 'deploy', 'alert', '--code', code, '--on-device', 'model=thermometer,room=r4', '--when', 'temperature > 30']);
    assert.equal(dep.code, 0, dep.stderr + dep.stdout);
    const badWhen = await d.cli(['fn', 'deploy', 'alert2', '--code', code, '--on-device', 'model=thermometer', '--when', 'temperature >']);
    assert.equal(badWhen.code, 1);
    assert.match(badWhen.stderr, /--when/);
    const heater = await connectDevice(await creds('d7'), { subscribe: ['devices/d7/twin/desired'] });
    const sensor = await connectDevice(await creds('d4')); // room r4
    sims.push(heater, sensor);
    await sensor.client.publishAsync('devices/d4/telemetry', JSON.stringify({ temperature: 25 }), { qos: 1 });
    await sensor.client.publishAsync('devices/d4/telemetry', JSON.stringify({ temperature: 31.5 }), { qos: 1 });
    const m = await until('the heater got desired state from the rule', async () => heater.messages.find((x) => x.topic === 'devices/d7/twin/desired' && x.payload.includes('cool')), 30_000, 100);
    assert.deepEqual(JSON.parse(m.payload).state, { mode: 'cool', setpoint: 18 });
    const logs = await d.cli(['fn', 'logs', 'alert']);
    assert.match(logs.stdout, /device trigger: function answered 200/);
  });

  test('the broker SIGKILLed: restarted, the module reconnects, devices reconnect, retained desired state is back', async () => {
    const pidFile = (await readdir(path.join(d.dataDir, 'modules'))).find((x) => x.startsWith('llmos.iot'))!;
    const pid = Number(await readFile(path.join(d.dataDir, 'modules', pidFile, 'broker', 'broker.pid'), 'utf8'));
    assert.ok(pid > 1);
    const c = await creds('d8');
    const s = await connectDevice(c);
    sims.push(s);
    await d.api('POST', '/v1/devices/d8/desired', { state: { setpoint: 9 } });
    process.kill(pid, 'SIGKILL');
    await until('a new broker', async () => {
      const b = await d.api<{ restarts: number; connected: boolean }>('GET', '/v1/iot/broker');
      return b.body.restarts >= 1 && b.body.connected;
    }, 30_000, 100);
    // The device's own client reconnects and its reported state arrives (the module's QoS 1 subscriptions are back).
    await until('device reconnected', async () => s.client.connected, 30_000, 100);
    await s.client.publishAsync('devices/d8/twin/reported', JSON.stringify({ setpoint: 9 }), { qos: 1 });
    await until('reported after the restart', async () => (await inspect('d8')).reported.setpoint === 9, 10_000, 100);
    // A subscriber that comes now still gets the retained desired state (republished by the module).
    const late = await connectDevice(c, { subscribe: ['devices/d8/twin/desired'] });
    sims.push(late);
    const m = await until('retained desired after the broker restart', async () => late.messages.find((x) => x.topic === 'devices/d8/twin/desired'), 10_000, 50);
    assert.deepEqual(JSON.parse(m.payload).state, { setpoint: 9 });
  });

  test('rm removes a device and its credentials; a model in use cannot be removed', async () => {
    const inUse = await d.cli(['device', 'models', 'rm', 'thermometer']);
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, /used by/);
    const rm = await d.cli(['device', 'rm', 'd9']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal((await d.api('GET', '/v1/devices/d9')).status, 404);
    const ls = await d.cli(['device', 'ls']);
    assert.match(ls.stdout, /NAME\s+MODEL\s+ONLINE/);
  });
});
