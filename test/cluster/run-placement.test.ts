// Plain containers and Deployments placed across nodes (issue 19's leftovers), on 2 netns nodes
// and a server on a 3-member etcd: `llmos run IMG` without --node goes where the scheduler puts it
// (never the server, which runs no workloads once nodes joined), `--node-selector K=V` narrows it,
// a cordoned node gets nothing, a container no node can hold is refused with the reasons, `ps`
// shows the NODE; a Kubernetes Deployment's required nodeAffinity keeps its replicas on the
// matching node. Bad input is exit 1 with one line, nothing created.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { nodesJson } from '../support/cluster.js';
import { withImageCluster } from '../support/image-cluster.js';
import { registrySkipReason } from '../support/registry.js';
import { until } from '../support/until.js';
import { client as dockerClient, socketOf } from '../docker/support.js';

const skip = process.getuid?.() !== 0 ? 'needs root (netns)' : !existsSync('/usr/bin/etcd') ? 'etcd-server missing' : !existsSync('/usr/bin/docker') ? 'docker CLI (docker.io) missing' : registrySkipReason();

interface Ps { id: string; name: string; node?: string; owner?: string }
interface Replica { node?: string; ready: boolean }

test('run without --node is placed on a node (selector, cordon, capacity), ps shows NODE; a Deployment\'s nodeAffinity is honoured', { skip, timeout: 240_000 }, async () => {
  await withImageCluster(2, {}, async ({ cluster: c, image, cli }) => {
    const refused = async (args: string[], re: RegExp) => {
      const r = await c.server.cli(args, { timeoutMs: 60_000 });
      assert.equal(r.code, 1, `llmos ${args.join(' ')} should fail: ${r.stdout}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.match(r.stderr, re);
    };
    const ps = async () => JSON.parse(await cli(['ps', '-a', '--json'])) as Ps[];
    await until('2 Ready, connected nodes', async () => {
      const n = (await nodesJson(c.server)) as Array<{ status: string; connected?: boolean }>;
      return n.length === 2 && n.every((x) => x.status === 'Ready' && x.connected);
    }, 60_000, 200);
    await cli(['node', 'label', 'h2', 'disk=ssd']);

    // Placed by the scheduler: on a node, never on the server.
    const a = (await cli(['run', '-d', '--name', 'plain-a', image, 'sleep', '300'])).trim();
    const selected = (await cli(['run', '-d', '--name', 'on-ssd', '--node-selector', 'disk=ssd', image, 'sleep', '300'])).trim();
    let list = await ps();
    const nodeOf = (id: string) => list.find((x) => x.id === id)?.node;
    assert.ok(['h1', 'h2'].includes(nodeOf(a) ?? ''), `plain-a on a node: ${JSON.stringify(list)}`);
    assert.equal(nodeOf(selected), 'h2');
    assert.match(await cli(['ps']), /NODE[\s\S]*on-ssd\s.*h2|on-ssd[\s\S]*h2/);
    // Attached, without --node: the output comes back from the node.
    assert.match(await cli(['run', '--rm', image, 'echo', 'hello-from-a-node']), /hello-from-a-node/);

    // The server's Docker API socket sees and acts on the nodes' containers (through their tunnels).
    const talker = (await cli(['run', '-d', '--name', 'talker', image, 'sh', '-c', 'echo hi-from-a-node; exec sleep 300'])).trim();
    const docker = async (args: string[]) => {
      const r = await dockerClient('docker', args, socketOf(c.server), { timeoutMs: 60_000 });
      assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const dps = await docker(['ps', '--format', '{{.Names}}']);
    for (const n of ['plain-a', 'on-ssd', 'talker']) assert.match(dps, new RegExp(`^${n}$`, 'm'), `docker ps: ${dps}`);
    await until('docker logs of a container on a node', async () => /hi-from-a-node/.test(await docker(['logs', 'talker'])), 30_000, 300);
    const inspected = JSON.parse(await docker(['inspect', 'talker'])) as Array<{ Id: string; State: { Running: boolean } }>;
    assert.equal(inspected[0]!.Id, talker);
    assert.equal(inspected[0]!.State.Running, true);
    await docker(['stop', '-t', '1', 'talker']);
    assert.equal((JSON.parse(await docker(['inspect', 'talker'])) as Array<{ State: { Running: boolean } }>)[0]!.State.Running, false);
    await docker(['rm', 'talker']);
    assert.equal((await ps()).some((x) => x.name === 'talker'), false, 'removed on its node');
    const gone = await dockerClient('docker', ['inspect', 'no-such-one'], socketOf(c.server));
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /No such (container|object)/i);

    // A cordoned node takes none; the selector then fits nowhere (one line, the reason, nothing created).
    await cli(['node', 'cordon', 'h2']);
    await refused(['run', '-d', '--name', 'nowhere', '--node-selector', 'disk=ssd', image, 'sleep', '300'], /no node for container nowhere: 0\/2 nodes are available/);
    const b = (await cli(['run', '-d', '--name', 'plain-b', image, 'sleep', '300'])).trim();
    list = await ps();
    assert.equal(nodeOf(b), 'h1', 'cordoned h2 gets no new container');
    await cli(['node', 'uncordon', 'h2']);
    // More memory than any node has: refused by placement, with the reason.
    await refused(['run', '-d', '--name', 'huge', '--memory', '100000g', image, 'sleep', '300'], /no node for container huge: 0\/2 nodes are available: 2 needs [\d.]+Ti memory, node has .* allocatable free/);
    // Bad selectors: the CLI's own check, one line.
    await refused(['run', '-d', '--node-selector', 'disk', image], /--node-selector "disk": expected KEY=VALUE/);
    await refused(['run', '-d', '--node', 'h1', '--node-selector', 'disk=ssd', image], /exclude each other/);
    assert.equal((await ps()).filter((x) => ['nowhere', 'huge'].includes(x.name)).length, 0);

    // A Deployment with a required node affinity: every replica on the matching node (h1 has tier=edge).
    await cli(['node', 'label', 'h1', 'tier=edge']);
    const yaml = path.join(c.nodes[0]!.dataDir, '..', 'affinity.yaml');
    await writeFile(yaml, `apiVersion: apps/v1
kind: Deployment
metadata: {name: edge-web}
spec:
  replicas: 3
  selector: {matchLabels: {app: edge-web}}
  template:
    metadata: {labels: {app: edge-web}}
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - {key: tier, operator: In, values: [edge]}
              - {key: disk, operator: DoesNotExist}
      containers:
      - name: web
        image: ${image}
        command: [sleep, "300"]
`);
    await cli(['apply', '-f', yaml]);
    const replicas = await until('edge-web: 3 ready replicas', async () => {
      const s = JSON.parse(await cli(['service', 'inspect', 'edge-web', '--json'])) as { readyReplicas: number; replicaStatus: Replica[] };
      return s.readyReplicas === 3 && s.replicaStatus.length === 3 ? s.replicaStatus : undefined;
    }, 120_000, 500);
    assert.deepEqual(replicas.map((r) => r.node), ['h1', 'h1', 'h1']);
    // An affinity no node matches: the replicas wait, and the events say why.
    await writeFile(yaml, (await readFile(yaml, 'utf8')).replace('values: [edge]', 'values: [lab]').replace(/edge-web/g, 'lab-web'));
    await cli(['apply', '-f', yaml]);
    await until('a placement failure naming the affinity', async () => /node affinity tier In \(lab\)/.test(await cli(['events', '--prefix', '/services/'])), 60_000, 500);

    await cli(['service', 'rm', 'edge-web']);
    await cli(['service', 'rm', 'lab-web']);
    await cli(['rm', '-f', 'plain-a', 'on-ssd', 'plain-b']);
    await until('containers removed on every node', async () => (await ps()).length === 0, 60_000, 500);
  });
});
