// Workloads across nodes (issue 19's done-when): 3 netns nodes, a server on a 3-member etcd. A
// 6-replica busybox httpd service spreads 2-2-2; ps lists them with their node; logs and exec
// work from the server for a replica on every node; each replica is a real runc container in
// its node's data dir. Then hybrid placement: with the private nodes full, new replicas land on
// the public node, and scaling down removes those first. Teardown leaves nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { nodesJson } from '../support/cluster.js';
import { withImageCluster } from '../support/image-cluster.js';
import { registrySkipReason } from '../support/registry.js';
import { until } from '../support/until.js';

const exec = promisify(execFile);
const skip = process.getuid?.() !== 0 ? 'needs root (netns)' : !existsSync('/usr/bin/etcd') ? 'etcd-server missing' : registrySkipReason();
const httpdCmd = ['/bin/sh', '-c', 'mkdir -p /www && echo "replica $(hostname)" > /www/index.html && echo "serving as $(hostname)" && exec httpd -f -p 80 -h /www'];

interface Replica { id: string; name: string; node?: string; ready: boolean; ip?: string }
interface Svc { readyReplicas: number; replicaStatus: Replica[] }

const count = (rs: Replica[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const r of rs) out[r.node ?? 'server'] = (out[r.node ?? 'server'] ?? 0) + 1;
  return out;
};

/** The runc root of a node's data dir (the containers module's own dir). */
async function runcRoot(dataDir: string): Promise<string> {
  const mods = path.join(dataDir, 'modules');
  for (const d of await readdir(mods)) if (existsSync(path.join(mods, d, 'runc'))) return path.join(mods, d, 'runc');
  throw new Error(`no runc root under ${mods}`);
}

test('a 6-replica service spreads 2-2-2 over 3 netns nodes; ps, logs and exec from the server; hybrid placement bursts to public and scales down from it first', { skip, timeout: 300_000 }, async () => {
  await withImageCluster(3, {}, async ({ cluster: c, image, cli }) => {
    await until('3 Ready, connected nodes', async () => {
      const n = (await nodesJson(c.server)) as Array<{ status: string; connected?: boolean }>;
      return n.length === 3 && n.every((x) => x.status === 'Ready' && x.connected);
    }, 60_000, 200);

    await cli(['service', 'create', 'web', '--image', image, '--replicas', '6', '-p', '80', '--health-http', '/', '--health-interval', '1', '--', ...httpdCmd]);
    const svc = await until('6 ready replicas', async () => {
      const s = JSON.parse(await cli(['service', 'inspect', 'web', '--json'])) as Svc;
      return s.readyReplicas === 6 && s.replicaStatus.length === 6 ? s : undefined;
    }, 120_000, 500);
    assert.deepEqual(count(svc.replicaStatus), { h1: 2, h2: 2, h3: 2 });

    // ps from the server: every node's containers with their node; --node narrows to one.
    const ps = JSON.parse(await cli(['ps', '--json'])) as Array<{ id: string; name: string; node?: string; owner?: string }>;
    const replicas = ps.filter((p) => p.owner === 'service/web');
    assert.equal(replicas.length, 6);
    assert.deepEqual(count(replicas as Replica[]), { h1: 2, h2: 2, h3: 2 });
    const table = await cli(['ps']);
    assert.match(table.split('\n')[0]!, /NODE/);
    const onH2 = JSON.parse(await cli(['ps', '--json', '--node', 'h2'])) as Array<{ name: string }>;
    assert.deepEqual(onH2.map((p) => p.name).sort(), replicas.filter((r) => r.node === 'h2').map((r) => r.name).sort());

    for (const h of c.nodes) {
      const r = replicas.find((x) => x.node === h.name)!;
      // logs, exec and inspect of a replica on that node, from the server (proxied through its tunnel).
      assert.match(await cli(['logs', r.name]), /serving as /);
      assert.match(await cli(['exec', r.name, 'cat', '/www/index.html']), /^replica /);
      const info = JSON.parse(await cli(['inspect', r.name])) as Array<{ id: string; state: string }>;
      assert.equal(info[0]!.state, 'running');
      // A real runc container in that node's data dir.
      const { stdout } = await exec('runc', ['--root', await runcRoot(h.dataDir), 'state', r.id]);
      assert.equal((JSON.parse(stdout) as { status: string }).status, 'running');
    }

    // Hybrid: h3 becomes public. A service whose replicas each take 40% of a node's memory (by
    // request): 2 fit on each private node, the 5th and 6th burst to h3; scaling down to 4 removes those.
    await cli(['node', 'label', 'h3', 'llmos.io/cloud=public']);
    const nodes = await nodesJson(c.server);
    const mem = Math.floor(Math.min(...nodes.map((n) => n.allocatable.memory)) * 0.4);
    const manifest = path.join(c.nodes[0]!.dataDir, '..', 'big.yaml');
    const { writeFile } = await import('node:fs/promises');
    const doc = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: big}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: big}}
  template:
    metadata: {labels: {app: big}}
    spec:
      containers:
      - name: big
        image: ${image}
        command: ${JSON.stringify(httpdCmd)}
        resources: {requests: {memory: "${mem}"}}
`;
    const big = async (n: number, want: Record<string, number>) => {
      await writeFile(manifest, doc(n));
      await cli(['apply', '-f', manifest]);
      return until(`big at ${JSON.stringify(want)}`, async () => {
        const s = JSON.parse(await cli(['service', 'inspect', 'big', '--json'])) as Svc;
        const live = s.replicaStatus.filter((r) => r.ready);
        return s.replicaStatus.length === n && live.length === n && JSON.stringify(count(live)) === JSON.stringify(want) ? s : undefined;
      }, 120_000, 500);
    };
    await big(4, { h1: 2, h2: 2 });
    await big(6, { h1: 2, h2: 2, h3: 2 });
    await big(4, { h1: 2, h2: 2 });

    // Drain h1: cordoned, and its replicas move (one at a time, a new one ready before an old one goes).
    await cli(['node', 'drain', 'h1', '--timeout', '3m']);
    const left = JSON.parse(await cli(['ps', '--json', '--node', 'h1'])) as unknown[];
    assert.equal(left.length, 0);
    const webAfter = JSON.parse(await cli(['service', 'inspect', 'web', '--json'])) as Svc;
    assert.equal(webAfter.readyReplicas, 6);
    assert.equal(count(webAfter.replicaStatus).h1, undefined);
    const bigAfter = JSON.parse(await cli(['service', 'inspect', 'big', '--json'])) as Svc;
    assert.deepEqual(count(bigAfter.replicaStatus.filter((r) => r.ready)), { h2: 2, h3: 2 });
    assert.match(await cli(['nodes']), /h1\s+Ready,SchedulingDisabled,Draining/);
    await cli(['node', 'uncordon', 'h1']);

    await cli(['service', 'rm', 'web']);
    await cli(['service', 'rm', 'big']);
    await until('replicas removed on every node', async () => (JSON.parse(await cli(['ps', '-a', '--json'])) as unknown[]).length === 0, 60_000, 500);
  });
});
