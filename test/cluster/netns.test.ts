// Three "machines" as network namespaces on one bridge, a 3-member etcd in three more, the server
// on the bridge's address with --store etcd://, and `llmos up --join` in each machine's netns:
// all three nodes are Ready with real capacity; after teardown nothing of the cluster is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { clusterReport, nodesJson, startNetnsCluster, type NetnsCluster } from '../support/cluster.js';
import { until } from '../support/until.js';

const skip = process.getuid?.() !== 0 ? 'needs root (netns)' : !existsSync('/usr/bin/etcd') ? 'etcd-server missing' : !existsSync('/usr/bin/openssl') ? 'openssl missing' : false;

test('3 netns nodes join a server on a 3-member etcd and show Ready with real capacity; teardown leaves nothing', { skip, timeout: 180_000 }, async () => {
  let cluster: NetnsCluster | undefined;
  try {
    cluster = await startNetnsCluster(3, {
      nodeLabels: (i) => [`llmos.io/zone=z${i}`, `llmos.io/cloud=${i === 3 ? 'public' : 'private'}`],
    });
    const c = cluster;
    const nodes = await until('3 Ready nodes', async () => {
      const n = await nodesJson(c.server);
      return n.length === 3 && n.every((x) => x.status === 'Ready') ? n : undefined;
    }, 30_000, 200).catch(async (e: Error) => {
      throw new Error(`${e.message}\n${await clusterReport(c)}`);
    });
    assert.deepEqual(nodes.map((n) => n.name).sort(), ['h1', 'h2', 'h3']);
    for (const n of nodes) {
      assert.ok(n.capacity.cpu >= 1000, `${n.name} cpu ${n.capacity.cpu}`);
      assert.ok(n.capacity.memory > 2 ** 28, `${n.name} memory ${n.capacity.memory}`);
      assert.ok(n.allocatable.cpu <= n.capacity.cpu && n.allocatable.cpu > 0);
      assert.deepEqual(n.allocated, { cpu: 0, memory: 0 });
      assert.deepEqual(n.roles, ['worker']);
      assert.equal(n.labels['llmos.io/zone'], `z${n.name.slice(1)}`);
      assert.ok(n.lastHeartbeat);
    }
    assert.equal(nodes.find((n) => n.name === 'h3')!.labels['llmos.io/cloud'], 'public');
    // Each agent reached the server from its own netns address.
    const inspect = JSON.parse((await c.server.cli(['node', 'inspect', 'h1', 'h2', 'h3'])).stdout) as Array<{ name: string; address: string }>;
    for (const n of inspect) assert.equal(n.address.replace(/^::ffff:/, ''), c.nodes.find((h) => h.name === n.name)!.ip);
    // The node records are in etcd: one member down, the control plane still answers.
    c.etcd[2]!.proc!.kill('SIGKILL');
    await until('nodes listed with one etcd member down', async () => (await nodesJson(c.server).catch(() => [])).length === 3, 30_000, 300);
  } finally {
    await cluster?.stop();
  }
  assert.deepEqual(await cluster!.leftovers(), []);
});
