// Edge autonomy (issue 20) on the netns harness: a node cut off from the server (nft DROP in its
// netns, as a lost WAN link: requests hang) for 60 s keeps every container running (start times
// and restart counts compared), restarts a crashed restart=always container on its own, keeps its
// service port answering from inside its netns, and is Ready again within one heartbeat of the
// link returning. The same across a restart of the agent process while cut off: it boots without
// the server and serves the port from the network map it saved. Ends with the leak check.
// LLMOS_PARTITION_SECONDS shortens or lengthens each partition (default 60, as the issue says).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { healNode, nodeCli, nodesJson, partitionNode, restartNode, startNetnsCluster, type NetnsCluster, type NetnsHost, type NodeJson } from '../support/cluster.js';
import { freePort, pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';

const exec = promisify(execFile);
const skip = process.getuid?.() !== 0 ? 'needs root (netns)' : !existsSync('/usr/bin/etcd') ? 'etcd-server missing' : !existsSync('/usr/bin/curl') ? 'curl missing' : registrySkipReason();
const partitionMs = Number(process.env.LLMOS_PARTITION_SECONDS ?? 60) * 1000;
// Leases slow enough that "within one heartbeat" is measurable on a loaded machine.
const leaseIntervalMs = 4000;
const leaseGraceMs = 12_000;
const httpdCmd = ['/bin/sh', '-c', 'mkdir -p /www && echo edge-web > /www/index.html && exec httpd -f -p 80 -h /www'];

interface Ctr { id: string; name: string; state: string; startedAt?: string; restartCount: number; pid?: number }

async function containers(n: NetnsHost): Promise<Ctr[]> {
  const r = await nodeCli(n, ['ps', '-a', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Ctr[];
}

const runs = (cs: Ctr[]) => Object.fromEntries(cs.map((c) => [c.name, `${c.state} ${c.startedAt} #${c.restartCount}`]));

/** curl from inside the node's netns to its own address (the per-node service table answers). */
async function portAnswers(n: NetnsHost, port: number): Promise<boolean> {
  const r = await exec('ip', ['netns', 'exec', n.netns, 'curl', '-s', '-m', '3', `http://${n.ip}:${port}/`]).catch(() => undefined);
  return r?.stdout.includes('edge-web') ?? false;
}

async function nodeStatus(c: NetnsCluster, name: string): Promise<NodeJson & { connected?: boolean }> {
  const n = (await nodesJson(c.server)).find((x) => x.name === name);
  assert.ok(n, `node ${name} is listed`);
  return n;
}

/** Holds the partition for partitionMs, checking the port every few seconds; heals and answers the time of the heal. */
async function holdPartition(c: NetnsCluster, n: NetnsHost, port: number, during?: () => Promise<void>): Promise<number> {
  const heal = await partitionNode(c, n);
  const from = Date.now();
  try {
    await until(`${n.name} NotReady on the server (cut off)`, async () => (await nodeStatus(c, n.name)).status === 'NotReady', leaseGraceMs + 20_000, 500);
    await during?.();
    let checks = 0;
    while (Date.now() - from < partitionMs) {
      assert.ok(await until(`port ${port} answers inside ${n.name} while cut off`, () => portAnswers(n, port), 15_000, 500));
      checks++;
      await new Promise((r) => setTimeout(r, Math.min(5000, Math.max(0, partitionMs - (Date.now() - from)))));
    }
    assert.ok(checks > 0);
  } finally {
    await heal();
  }
  return Date.now();
}

/** Ready again, and the first renewal after the heal came within one lease interval of it. */
async function readyWithinOneHeartbeat(c: NetnsCluster, n: NetnsHost, healedAt: number): Promise<void> {
  const st = await until(`${n.name} Ready after the heal`, async () => {
    const s = await nodeStatus(c, n.name);
    return s.status === 'Ready' ? s : undefined;
  }, 30_000, 200);
  // The heartbeat seen is the newest; if it is within one interval of the heal, so was the first one.
  const after = Date.parse(st.lastHeartbeat!) - healedAt;
  assert.ok(after <= leaseIntervalMs, `first heartbeat ${after} ms after the heal (one heartbeat: ${leaseIntervalMs} ms)\n${n.output().slice(-2000)}`);
}

test('edge autonomy: a node cut off from the server for 60 s, then across an agent restart while cut off', { skip, timeout: 480_000 }, async (t) => {
  let cluster: NetnsCluster | undefined;
  let reg: TestRegistry | undefined;
  let image = '';
  try {
    cluster = await startNetnsCluster(1, {
      serverModules: { cluster: { leaseIntervalMs, leaseGraceMs } },
      beforeNodes: async (ip) => {
        reg = await startRegistry({ host: ip });
        image = (await pushBusyboxImage(reg, 'test/busybox', { tag: '1' })).ref;
      },
      nodeModules: () => ({ images: { insecureRegistries: [reg!.host] } }),
    });
    const c = cluster;
    const h1 = c.nodes[0]!;
    await until('h1 Ready and connected', async () => {
      const s = await nodeStatus(c, 'h1');
      return s.status === 'Ready' && s.connected === true;
    }, 60_000, 200);
    const port = await freePort();
    const created = await c.server.cli(['service', 'create', 'edge', '--image', image, '--replicas', '1', '-p', `${port}:80`, '--health-http', '/', '--health-interval', '1', '--', ...httpdCmd], { timeoutMs: 60_000 });
    assert.equal(created.code, 0, created.stderr);
    await until(`port ${port} answers inside h1`, () => portAnswers(h1, port), 90_000, 500);
    // Two containers of the node's own: one that will crash, one that must not be touched.
    for (const [name, cmd] of [['crashy', 'exec sleep 3600'], ['steady', 'exec sleep 3600']] as const) {
      const r = await nodeCli(h1, ['run', '-d', '--name', name, '--restart', 'always', image, '/bin/sh', '-c', cmd]);
      assert.equal(r.code, 0, r.stderr);
    }
    await until('crashy and steady running', async () => (await containers(h1)).filter((x) => x.state === 'running').length === 3, 30_000, 300);
    const before = await containers(h1);
    assert.equal(before.length, 3, JSON.stringify(before));

    await t.test('cut off for 60 s: nothing restarts, a crashed restart=always container restarts, the port answers, Ready within one heartbeat of the heal', async () => {
      const crashy = before.find((x) => x.name === 'crashy')!;
      const healedAt = await holdPartition(c, h1, port, async () => {
        // A crash while the server is unreachable: the node's own restart policy brings it back.
        await exec('kill', ['-KILL', String(crashy.pid)]);
        await until('crashy restarted by its policy while cut off', async () => {
          const x = (await containers(h1)).find((y) => y.name === 'crashy');
          return x?.state === 'running' && x.restartCount === crashy.restartCount + 1;
        }, 30_000, 300);
      });
      await readyWithinOneHeartbeat(c, h1, healedAt);
      // The server closed the tunnel that missed its pings; the agent must not wait for TCP keepalive (minutes) to notice.
      await until('h1 connected again within two heartbeats of the heal', async () => (await nodeStatus(c, 'h1')).connected === true, 2 * leaseIntervalMs, 200);
      const now = await containers(h1);
      const { crashy: _was, ...rest } = runs(before);
      const { crashy: is, ...restNow } = runs(now);
      assert.deepEqual(restNow, rest, 'no other container restarted');
      assert.match(is!, new RegExp(`^running .* #${crashy.restartCount + 1}$`));
      assert.ok(await portAnswers(h1, port));
    });

    await t.test('cut off with an agent restart in the middle: it boots without the server, runs everything on, serves the port from its saved map', async () => {
      const mid = await containers(h1);
      const healedAt = await holdPartition(c, h1, port, async () => {
        const t0 = Date.now();
        await restartNode(h1);
        assert.ok(Date.now() - t0 < 30_000, `the agent took ${Date.now() - t0} ms to boot without its server`);
        // The new process put the service port back from the map it saved (the stop removed the rules).
        await until(`port ${port} answers inside h1 after the restart`, () => portAnswers(h1, port), 20_000, 300);
      });
      await readyWithinOneHeartbeat(c, h1, healedAt);
      assert.deepEqual(runs(await containers(h1)), runs(mid), 'no container restarted');
      // Reconnected for good: the tunnel is back and the service still has its one replica, the same container.
      await until('h1 connected again', async () => (await nodeStatus(c, 'h1')).connected === true, 30_000, 300);
      const svc = JSON.parse((await c.server.cli(['service', 'inspect', 'edge', '--json'])).stdout) as { replicaStatus: Array<{ id: string; node?: string }> };
      const replica = mid.find((x) => x.name !== 'crashy' && x.name !== 'steady')!;
      assert.deepEqual(svc.replicaStatus.map((r) => [r.id, r.node]), [[replica.id, 'h1']]);
      assert.ok(await portAnswers(h1, port));
    });
  } finally {
    const h1 = cluster?.nodes[0];
    // A failed step may leave the node cut off or its agent down: heal and boot it, so its containers can be removed.
    if (h1) await healNode(h1).catch(() => undefined);
    if (h1?.proc && h1.proc.exitCode !== null) await restartNode(h1).catch(() => undefined);
    if (h1) for (const name of ['crashy', 'steady']) await nodeCli(h1, ['rm', '-f', name]).catch(() => undefined);
    await cluster?.stop();
    await reg?.stop();
  }
  assert.deepEqual(await cluster!.leftovers(), []);
});
