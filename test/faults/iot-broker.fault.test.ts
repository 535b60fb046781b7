// Fault: the daemon is SIGKILLed at each step that writes the managed mosquitto's files, starts it
// or removes it (iot.broker.*) while a device is registered, given credentials and the daemon
// stopped. The broker must end with the daemon (parent-death signal), and after a restart on the
// same data dir a device connects with fresh credentials, and a clean stop leaves no broker
// process and no broker directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { freePort } from '../support/registry.js';
import { until } from '../support/until.js';

const skip = existsSync('/usr/sbin/mosquitto') ? false : 'mosquitto is not installed';

function brokersOf(dataDir: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return cmd.includes('mosquitto') && cmd.includes(dataDir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const brokerDirLeft = (dataDir: string) => readdirSync(path.join(dataDir, 'modules')).filter((m) => m.startsWith('llmos.iot') && existsSync(path.join(dataDir, 'modules', m, 'broker')));

const MANIFEST = `apiVersion: llmos.io/v1
kind: DeviceModel
metadata: {name: thermometer}
spec: {properties: [{name: temperature, type: number, min: -40, max: 125}]}
---
apiVersion: llmos.io/v1
kind: Device
metadata: {name: t1}
spec: {model: thermometer}
`;

async function operation(d: TestDaemon, manifest: string): Promise<void> {
  if ((await d.cli(['apply', '-f', manifest])).code !== 0) return; // killed meanwhile
  if ((await d.cli(['device', 'credentials', 't1'])).code !== 0) return;
  await d.stop({ keepData: true });
}

async function newDataDir(): Promise<string> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-iot-fault-'));
  await mkdir(dataDir, { recursive: true });
  await writeFile(path.join(dataDir, 'config.json'), JSON.stringify({ modules: { iot: { port: await freePort() } } }));
  return dataDir;
}

test('a daemon killed at each broker step leaves no mosquitto, and the next boot serves devices', { skip }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-iot-fault-'));
  const manifest = path.join(dir, 'devices.yaml');
  await writeFile(manifest, MANIFEST);
  try {
    const traceFile = path.join(dir, 'trace');
    const dataDir0 = await newDataDir();
    await operation(await startDaemon({ dataDir: dataDir0, env: { LLMOS_FAULT_TRACE: traceFile, LLMOS_FAULT_SCOPE: 'iot.broker.' } }), manifest);
    const steps = readFileSync(traceFile, 'utf8').trim().split('\n');
    assert.deepEqual(steps, ['iot.broker.passwd', 'iot.broker.config', 'iot.broker.spawn', 'iot.broker.passwd', 'iot.broker.remove']);
    await rm(dataDir0, { recursive: true, force: true });
    for (let k = 1; k <= steps.length; k++) {
      const dataDir = await newDataDir();
      const d = await startDaemon({ dataDir, env: { LLMOS_FAULT_KILL_AT: String(k), LLMOS_FAULT_SCOPE: 'iot.broker.' } });
      await operation(d, manifest).catch(() => undefined);
      await until(`the daemon killed at ${steps[k - 1]}`, async () => d.proc.exitCode !== null || d.proc.signalCode !== null, 30_000, 50);
      await until(`its mosquitto to end (step ${steps[k - 1]})`, async () => brokersOf(dataDir).length === 0, 10_000, 50);
      const again = await startDaemon({ dataDir });
      const ap = await again.cli(['apply', '-f', manifest]);
      assert.equal(ap.code, 0, ap.stderr);
      const cr = await again.cli(['device', 'credentials', 't1', '--json']);
      assert.equal(cr.code, 0, cr.stderr);
      const c = JSON.parse(cr.stdout) as { username: string; password: string; url: string; caFile?: string };
      const client = await mqtt.connectAsync(c.url, { username: c.username, password: c.password, reconnectPeriod: 0, ...(c.caFile ? { ca: readFileSync(c.caFile) } : {}) });
      await client.publishAsync('devices/t1/telemetry', JSON.stringify({ temperature: 1 }), { qos: 1 });
      await client.endAsync();
      await again.stop({ keepData: true });
      assert.deepEqual(brokersOf(dataDir), [], `mosquitto left after step ${steps[k - 1]}`);
      assert.deepEqual(brokerDirLeft(dataDir), [], `broker dir left after step ${steps[k - 1]}`);
      await rm(dataDir, { recursive: true, force: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
