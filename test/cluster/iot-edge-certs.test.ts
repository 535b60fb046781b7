// Client certificates for a device bound to an edge node (issue 21) on the netns harness: the
// server issues it (signed by the cluster CA, as for its own devices), naming h1's certificate
// listener; h1's broker trusts the cluster CA and the server's CRL from its next sync. The device
// (mosquitto_pub inside h1's netns: a real client) publishes with it and h1 takes the telemetry;
// a certificate issued again revokes the old one, which h1's broker then refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { nodeCli, startNetnsCluster, type NetnsCluster } from '../support/cluster.js';
import { runInNetns } from '../support/netns-run.js';
import { until } from '../support/until.js';

const skip = process.getuid?.() !== 0 ? 'needs root (netns)' : !existsSync('/usr/bin/etcd') ? 'etcd-server missing' : !existsSync('/usr/bin/mosquitto_pub') ? 'mosquitto-clients missing' : !existsSync('/usr/sbin/mosquitto') ? 'mosquitto missing' : undefined;

/** One QoS 1 message with a client certificate from inside a netns; the exit code (0: the broker took it). */
function publishWithCert(netns: string, url: string, dir: string, device: string, msg: string): Promise<{ code: number; out: string }> {
  const u = new URL(url);
  const args = ['-h', u.hostname, '-p', u.port, '--cafile', path.join(dir, 'ca.crt'), '--cert', path.join(dir, `${device}.crt`), '--key', path.join(dir, `${device}.key`), '-q', '1', '-t', `devices/${device}/telemetry`, '-m', msg];
  return runInNetns(netns, 'mosquitto_pub', args);
}

test('a client certificate for an edge device: issued by the server, trusted by the node\'s broker, revoked there when issued again', { skip, timeout: 180_000 }, async () => {
  let cluster: NetnsCluster | undefined;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'iot-edge-certs-'));
  try {
    cluster = await startNetnsCluster(1, { nodeModules: () => ({ iot: { host: '0.0.0.0' }, 'iot-edge': { syncMs: 300 } }) });
    const c = cluster;
    const h1 = c.nodes[0]!;
    const models = path.join(tmp, 'models.yaml');
    await writeFile(models, 'apiVersion: llmos.io/v1\nkind: DeviceModel\nmetadata: {name: thermometer}\nspec:\n  properties:\n    - {name: temperature, type: number, min: -40, max: 125, access: read}\n');
    assert.equal((await c.server.cli(['apply', '-f', models])).code, 0);
    assert.equal((await c.server.cli(['device', 'create', 't1', '--model', 'thermometer', '--node', 'h1'])).code, 0);

    const issue = async (dir: string): Promise<string> => {
      const r = await c.server.cli(['device', 'credentials', 't1', '--cert', '--out', dir, '--json']);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      return (JSON.parse(r.stdout) as { url: string }).url;
    };
    // Refused with a reason until h1 has reported its certificate listener.
    const first = path.join(tmp, 'first');
    const url = await until('a certificate for t1 naming h1\'s certificate listener', async () => {
      const r = await c.server.cli(['device', 'credentials', 't1', '--cert', '--out', first, '--json']);
      if (r.code === 0) return (JSON.parse(r.stdout) as { url: string }).url;
      assert.match(r.stderr, /bound to node h1/);
      return undefined;
    }, 60_000, 300);
    const u = new URL(url);
    assert.equal(u.protocol, 'mqtts:');
    assert.equal(u.hostname, h1.ip, `the URL names h1's address: ${url}`);

    // h1's broker trusts the cluster CA from its next sync: the device publishes with its certificate.
    await until('t1 publishes at h1\'s broker with its certificate', async () => (await publishWithCert(h1.netns, url, first, 't1', JSON.stringify({ temperature: 21 }))).code === 0, 30_000, 300);
    await until('h1 took t1\'s telemetry', async () => {
      const r = await nodeCli(h1, ['device', 'inspect', 't1', '--json']);
      return r.code === 0 && (JSON.parse(r.stdout) as { lastSeen: string | null }).lastSeen !== null;
    }, 15_000, 300);

    // Issued again: the new one works, the old one is revoked (the server's CRL reaches h1 at its next sync).
    const second = path.join(tmp, 'second');
    assert.equal(await issue(second), url);
    await until('the old certificate refused at h1', async () => (await publishWithCert(h1.netns, url, first, 't1', JSON.stringify({ temperature: 22 }))).code !== 0, 30_000, 300);
    const ok = await publishWithCert(h1.netns, url, second, 't1', JSON.stringify({ temperature: 23 }));
    assert.equal(ok.code, 0, ok.out);
  } finally {
    await cluster?.stop();
    await rm(tmp, { recursive: true, force: true });
    if (cluster) assert.deepEqual(await cluster.leftovers(), []);
  }
});
