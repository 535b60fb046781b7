// `llmos up --mqtt-url`: the iot module on a broker it does not manage (a real mosquitto with its
// own password file, started by the test). Twins work through it, and a restart of that broker
// is survived: the module reconnects, its QoS 1 subscriptions come back and desired state is
// published again (the broker kept nothing: persistence off).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { freePort } from '../support/registry.js';
import { until } from '../support/until.js';
import { hashPassword } from '../../src/modules/iot/passwd.js';
import type { BrokerInfo, DeviceInfo } from '../../src/contracts/iot.js';

const skip = existsSync('/usr/sbin/mosquitto') ? false : 'mosquitto is not installed';

const MANIFEST = `apiVersion: llmos.io/v1
kind: DeviceModel
metadata: {name: valve}
spec:
  properties:
    - {name: open, type: boolean, access: readwrite}
    - {name: flow, type: number, min: 0, max: 100, access: read}
---
apiVersion: llmos.io/v1
kind: Device
metadata: {name: v1}
spec: {model: valve}
`;

describe('iot on an external broker (--mqtt-url)', { skip, concurrency: false }, () => {
  let tmp: string;
  let port: number;
  let broker: ChildProcess | undefined;
  let d: TestDaemon;
  const clients: MqttClient[] = [];

  /** The broker's owner: users llmos (for LLMOS) and v1 (the device), persistence off. */
  const startBroker = async () => {
    const p = spawn('/usr/sbin/mosquitto', ['-c', path.join(tmp, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    p.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    await until('the external mosquitto is running', async () => /running/.test(log), 10_000, 50);
    broker = p;
  };
  const stopBroker = async () => {
    const p = broker;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  };
  const twin = async () => (await d.api<DeviceInfo>('GET', '/v1/devices/v1')).body;
  const device = async () => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: 'v1', password: 'device-pw', protocolVersion: 5, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  };

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-iot-ext-'));
    port = await freePort();
    await writeFile(path.join(tmp, 'passwd'), `llmos:${hashPassword('llmos-pw')}\nv1:${hashPassword('device-pw')}\n`, { mode: 0o600 });
    await writeFile(path.join(tmp, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${path.join(tmp, 'passwd')}\npersistence false\nuser root\nlog_dest stderr\n`);
    await startBroker();
    d = await startDaemon({ args: ['--mqtt-url', `mqtt://llmos:llmos-pw@127.0.0.1:${port}`] });
    await writeFile(path.join(tmp, 'devices.yaml'), MANIFEST);
    const r = await d.cli(['apply', '-f', path.join(tmp, 'devices.yaml')]);
    assert.equal(r.code, 0, r.stderr);
  });

  after(async () => {
    for (const c of clients) c.end(true);
    await d?.finish();
    await stopBroker();
    await rm(tmp, { recursive: true, force: true });
  });

  test('the module uses the given broker: no mosquitto of its own, twins round-trip through it', async () => {
    const b = (await d.api<BrokerInfo>('GET', '/v1/iot/broker')).body;
    assert.equal(b.managed, false);
    assert.equal(b.url, `mqtt://127.0.0.1:${port}`);
    await until('connected', async () => (await d.api<BrokerInfo>('GET', '/v1/iot/broker')).body.connected);
    assert.equal((await d.cli(['device', 'set', 'v1', 'open=true'])).code, 0);
    const dev = await device();
    const got: string[] = [];
    dev.on('message', (_t, p) => got.push(p.toString()));
    await dev.subscribeAsync('devices/v1/twin/desired', { qos: 1 });
    await until('the retained desired state', async () => got.some((m) => JSON.parse(m).state?.open === true));
    await dev.publishAsync('devices/v1/twin/reported', JSON.stringify({ open: true, flow: 12 }), { qos: 1 });
    await until('reported through the external broker', async () => (await twin()).reported.flow === 12);
    assert.deepEqual((await twin()).delta, {});
    // Certificates are the broker owner's business: refused in one line.
    const cert = await d.cli(['device', 'credentials', 'v1', '--cert']);
    assert.equal(cert.code, 1);
    assert.match(cert.stderr, /managed broker only/);
    await dev.endAsync();
  });

  test('a restart of the external broker: the module reconnects, subscriptions and desired state come back', async () => {
    await stopBroker();
    await until('the module sees the broker gone', async () => !(await d.api<BrokerInfo>('GET', '/v1/iot/broker')).body.connected, 15_000, 100);
    await startBroker();
    await until('reconnected', async () => (await d.api<BrokerInfo>('GET', '/v1/iot/broker')).body.connected, 30_000, 100);
    const dev = await device();
    const got: string[] = [];
    dev.on('message', (_t, p) => got.push(p.toString()));
    // The new broker process kept nothing: the retained desired state is LLMOS's republish.
    await dev.subscribeAsync('devices/v1/twin/desired', { qos: 1 });
    await until('desired state republished after the restart', async () => got.some((m) => JSON.parse(m).state?.open === true));
    // The module's own subscription is back: a new report lands in the twin.
    await dev.publishAsync('devices/v1/twin/reported', JSON.stringify({ open: true, flow: 34 }), { qos: 1 });
    await until('a report after the restart', async () => (await twin()).reported.flow === 34);
    assert.equal((await d.api('GET', '/v1/iot/broker')).status, 200);
    await dev.endAsync();
  });
});
