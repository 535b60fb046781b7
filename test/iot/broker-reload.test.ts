// Credentials handed out work at once: the managed broker confirms each reload. Found by CI: a
// device got its password, connected, and its first publish on its own topic was refused. The ACL
// was rewritten in place at every credentials call, so a reload could read it half-written, and
// mosquitto drops a SIGHUP that arrives while it reloads: the broker was left with an empty ACL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { ManagedBroker, brokerFiles } from '../../src/modules/iot/broker.js';
import { aclFile, hashPassword, newPassword } from '../../src/modules/iot/passwd.js';
import { freePort } from '../support/registry.js';

const skip = existsSync('/usr/sbin/mosquitto') ? false : 'mosquitto is not installed';
let dir: string;
let broker: ManagedBroker;

before(async () => {
  if (skip) return;
  dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-reload-'));
  broker = new ManagedBroker(brokerFiles(path.join(dir, 'b')), { plain: { host: '127.0.0.1', port: await freePort() } }, pino({ level: 'silent' }));
  await mkdir(broker.files.dir, { recursive: true, mode: 0o700 });
  await broker.setUsers([], aclFile('_admin'));
  await broker.start();
});

after(async () => {
  if (skip) return;
  await broker.stop();
  await rm(dir, { recursive: true, force: true });
});

test('60 credential changes in a burst: every password works when its call returns, and the ACL holds', { skip }, async () => {
  const users: Array<[string, string]> = [];
  const passwords = new Map<string, string>();
  // Unawaited, as concurrent API calls would be: each resolves once mosquitto has read its files.
  const calls = Array.from({ length: 60 }, (_, i) => {
    const pw = newPassword();
    passwords.set(`dev${i}`, pw);
    users.push([`dev${i}`, hashPassword(pw)]);
    return broker.setUsers([...users], aclFile('_admin'));
  });
  await Promise.all(calls);
  for (const name of ['dev0', 'dev31', 'dev59']) {
    const c = await mqtt.connectAsync(broker.url, { username: name, password: passwords.get(name), protocolVersion: 5, reconnectPeriod: 0 }, false);
    try {
      await c.publishAsync(`devices/${name}/telemetry`, '{}', { qos: 1 });
      await assert.rejects(c.publishAsync('devices/other/telemetry', '{}', { qos: 1 }), /Not authorized/);
    } finally {
      await c.endAsync(true);
    }
  }
  // A reload with no change (as a CRL update does) is confirmed as well.
  await broker.reload();
});
