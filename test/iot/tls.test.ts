// The managed broker's TLS listeners, with real mosquitto and mqtt.js devices: a password over
// mqtts:// trusting only the node's CA; client certificates (CN = device name) on their own
// listener, held to the same ACL; a replaced or removed device's certificate refused (CRL); a
// certificate from another CA refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type IClientOptions } from 'mqtt';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { freePorts } from '../support/registry.js';
import { until } from '../support/until.js';
import { clientCert, ensureCa } from '../../src/kernel/cluster-ca.js';
import type { DeviceCredentials, DeviceInfo } from '../../src/contracts/iot.js';

const skip = existsSync('/usr/sbin/mosquitto') ? false : 'mosquitto is not installed';

const MANIFEST = `apiVersion: llmos.io/v1
kind: DeviceModel
metadata: {name: thermometer}
spec:
  properties:
    - {name: temperature, type: number, unit: C, min: -40, max: 125, access: read}
---
apiVersion: llmos.io/v1
kind: Device
metadata: {name: c1}
spec: {model: thermometer}
---
apiVersion: llmos.io/v1
kind: Device
metadata: {name: c2}
spec: {model: thermometer}
`;

/** Connects once (no reconnect); rejects with the broker's or TLS's reason. */
async function connect(url: string, o: IClientOptions) {
  const c = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000, ...o });
  try {
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
      c.once('close', () => reject(new Error('closed before CONNACK')));
    });
    return c;
  } catch (e) {
    c.end(true);
    throw e;
  }
}

describe('iot: the broker over TLS, passwords and client certificates', { skip, concurrency: false }, () => {
  let d: TestDaemon;
  let tmp: string;
  let tlsPort: number;
  let certPort: number;

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'llmos-iot-tls-'));
    const dataDir = path.join(tmp, 'data');
    await mkdir(dataDir);
    let port: number;
    [port, tlsPort, certPort] = (await freePorts(3)) as [number, number, number];
    await writeFile(path.join(dataDir, 'config.json'), JSON.stringify({ modules: { iot: { port, tlsPort, certPort, flushMs: 100 } } }));
    d = await startDaemon({ dataDir });
    await writeFile(path.join(tmp, 'devices.yaml'), MANIFEST);
    const r = await d.cli(['apply', '-f', path.join(tmp, 'devices.yaml')]);
    assert.equal(r.code, 0, r.stderr);
  });

  after(async () => {
    await d?.finish();
    await rm(tmp, { recursive: true, force: true });
  });

  const lastSeen = async (name: string) => ((await d.api<DeviceInfo>('GET', `/v1/devices/${name}`)).body.lastSeen);

  test('a password over mqtts:// trusts the node CA only; the plain listener is not what devices are given', async () => {
    const r = await d.cli(['device', 'credentials', 'c1', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout) as DeviceCredentials;
    assert.equal(c.url, `mqtts://127.0.0.1:${tlsPort}`);
    const ca = await readFile(c.caFile!);
    const ok = await connect(c.url, { username: 'c1', password: c.password, ca });
    await ok.publishAsync('devices/c1/telemetry', JSON.stringify({ temperature: 20 }), { qos: 1 });
    await ok.endAsync();
    await until('c1 seen over TLS', async () => (await lastSeen('c1')) !== null);
    // A client that trusts another CA refuses the broker's certificate.
    await mkdir(path.join(tmp, 'other'));
    const other = await ensureCa(path.join(tmp, 'other'));
    await assert.rejects(connect(c.url, { username: 'c1', password: c.password, ca: other.certPem }), /certificate/i);
    // The right CA and a wrong password: refused by the broker.
    await assert.rejects(connect(c.url, { username: 'c1', password: 'wrong', ca }), /Bad User Name or Password|Not authorized/);
  });

  test('a client certificate: its CN is the username, the ACL holds, another CA is refused', async () => {
    const out = path.join(tmp, 'certs1');
    const r = await d.cli(['device', 'credentials', 'c2', '--cert', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { username: string; url: string; files: string[] };
    assert.equal(info.url, `mqtts://127.0.0.1:${certPort}`);
    const [cert, key, ca] = ['c2.crt', 'c2.key', 'ca.crt'].map((f) => readFileSync(path.join(out, f)));
    const dev = await connect(info.url, { cert, key, ca });
    await dev.publishAsync('devices/c2/telemetry', JSON.stringify({ temperature: 22 }), { qos: 1 });
    await until('c2 seen with its certificate', async () => (await lastSeen('c2')) !== null);
    // Only its own topics: a publish as c1 is refused (MQTT 5 PUBACK 0x87).
    await assert.rejects(dev.publishAsync('devices/c1/telemetry', JSON.stringify({ temperature: 99 }), { qos: 1 }), /Not authorized/);
    await dev.endAsync();
    // No certificate on the certificate listener: refused.
    await assert.rejects(connect(info.url, { ca, username: 'c2' }));
    // A certificate with CN=c2 from a CA of one's own: refused.
    await mkdir(path.join(tmp, 'forger'));
    const forged = await clientCert(path.join(tmp, 'forger'), 'c2');
    await assert.rejects(connect(info.url, { cert: forged.cert, key: forged.key, ca }));
  });

  test("a new certificate revokes the previous one; rm revokes the device's", async () => {
    const first = JSON.parse((await d.cli(['device', 'credentials', 'c1', '--cert', '--json'])).stdout) as DeviceCredentials;
    const second = JSON.parse((await d.cli(['device', 'credentials', 'c1', '--cert', '--json'])).stdout) as DeviceCredentials;
    assert.ok(first.cert && second.cert && first.cert !== second.cert);
    const ca = first.ca!;
    await until('the first certificate is refused', async () => connect(first.url, { cert: first.cert, key: first.key, ca }).then((c) => (c.end(true), false), () => true), 10_000, 200);
    const ok = await connect(second.url, { cert: second.cert, key: second.key, ca });
    await ok.endAsync();
    assert.equal((await d.cli(['device', 'rm', 'c1'])).code, 0);
    await until("the removed device's certificate is refused", async () => connect(second.url, { cert: second.cert, key: second.key, ca }).then((c) => (c.end(true), false), () => true), 10_000, 200);
  });
});
