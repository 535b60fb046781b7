// Per-service hybrid placement (issue 19): `llmos service create --placement prefer=K=V,burst=K=V`
// on 3 netns nodes and a server on a 3-member etcd. Replicas fill the prefer node, overflow to the
// burst node, never go to the node matching neither (though it has room), scale down from the
// burst node first, and move back once a preferred node has room; `prefer=zone=a` alone prefers a
// zone. Bad syntax is exit 1 with one line from the CLI, and a refused manifest from the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { nodesJson } from '../support/cluster.js';
import { withImageCluster } from '../support/image-cluster.js';
import { registrySkipReason } from '../support/registry.js';
import { until } from '../support/until.js';

const skip = process.getuid?.() !== 0 ? 'needs root (netns)' : !existsSync('/usr/bin/etcd') ? 'etcd-server missing' : registrySkipReason();
const httpdCmd = ['/bin/sh', '-c', 'mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 80 -h /www'];

interface Replica { name: string; node?: string; ready: boolean }
interface Svc { readyReplicas: number; replicaStatus: Replica[]; spec: { placement?: unknown } }

const count = (rs: Replica[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const r of [...rs].sort((a, b) => (a.node ?? '').localeCompare(b.node ?? ''))) out[r.node ?? 'server'] = (out[r.node ?? 'server'] ?? 0) + 1;
  return out;
};

test('--placement prefer=tier=onprem,burst=tier=cloud: fill prefer, burst, never neither, scale down burst first, move back; prefer=zone=a alone; bad syntax refused', { skip, timeout: 300_000 }, async () => {
  await withImageCluster(3, {}, async ({ cluster: c, image, cli }) => {
    const inspect = async (name: string) => JSON.parse(await cli(['service', 'inspect', name, '--json'])) as Svc;
    /** Waits until the service has exactly `want` replicas, all ready, on these nodes. */
    const settle = (name: string, want: Record<string, number>) =>
      until(`${name} at ${JSON.stringify(want)}`, async () => {
        const s = await inspect(name);
        const n = Object.values(want).reduce((a, b) => a + b, 0);
        return s.replicaStatus.length === n && s.readyReplicas === n && JSON.stringify(count(s.replicaStatus)) === JSON.stringify(want) ? s : undefined;
      }, 120_000, 500);
    await until('3 Ready, connected nodes', async () => {
      const n = (await nodesJson(c.server)) as Array<{ status: string; connected?: boolean }>;
      return n.length === 3 && n.every((x) => x.status === 'Ready' && x.connected);
    }, 60_000, 200);

    // Bad syntax: one line, exit 1, nothing created (from the CLI's own check and from the server's).
    for (const bad of ['prefer=tier', 'burst=tier=cloud', 'prefer=tier=on prem', 'avoid=tier=cloud']) {
      const r = await c.server.cli(['service', 'create', 'bad', '--image', image, '--placement', bad]);
      assert.equal(r.code, 1, bad);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.match(r.stderr, /--placement: /);
    }
    const badYaml = path.join(c.nodes[0]!.dataDir, '..', 'bad-placement.yaml');
    await writeFile(badYaml, `apiVersion: llmos.io/v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  image: ${image}\n  placement: {burst: {tier: cloud}}\n`);
    const refused = await c.server.cli(['apply', '-f', badYaml]);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    assert.match(refused.stderr, /spec\.placement\.prefer: required/);
    assert.match(await cli(['service', 'ls']), /no services/);

    // h1 is the preferred kind, h2 the burst kind, h3 matches neither. Replicas ask 40% of a
    // node's memory (the --memory limit is the request): 2 fit on a node.
    await cli(['node', 'label', 'h1', 'tier=onprem']);
    await cli(['node', 'label', 'h2', 'tier=cloud']);
    await cli(['node', 'label', 'h3', 'tier=lab']);
    const nodes = await nodesJson(c.server);
    const mib = Math.floor((Math.min(...nodes.map((n) => n.allocatable.memory)) * 0.4) / 2 ** 20);
    await cli(['service', 'create', 'web', '--image', image, '--replicas', '2', '--memory', `${mib}Mi`, '--placement', 'prefer=tier=onprem,burst=tier=cloud', '--', ...httpdCmd]);
    await settle('web', { h1: 2 });
    assert.match(await cli(['service', 'inspect', 'web']), /placement\s+prefer=tier=onprem,burst=tier=cloud/);
    await cli(['scale', 'web', '4']);
    await settle('web', { h1: 2, h2: 2 });
    // A 5th fits nowhere it may go: h3 has room but matches neither side, so it stays at 4 and says why.
    await cli(['scale', 'web', '5']);
    await until('a placement failure naming the nodes matching neither side', async () => /match neither prefer tier=onprem nor burst tier=cloud/.test(await cli(['events', '--prefix', '/services/'])), 60_000, 500);
    assert.deepEqual(count((await inspect('web')).replicaStatus), { h1: 2, h2: 2 });
    // Scale down: the burst replicas go first.
    await cli(['scale', 'web', '3']);
    await settle('web', { h1: 2, h2: 1 });
    // Preferred capacity frees up (h3 joins the preferred kind): the burst replica moves back.
    await cli(['node', 'label', 'h3', 'tier=onprem']);
    await settle('web', { h1: 2, h3: 1 });

    // prefer alone, on the short zone key: zone a (h2) first.
    await cli(['node', 'label', 'h2', 'llmos.io/zone=a']);
    await cli(['service', 'create', 'zoned', '--image', image, '--replicas', '1', '--placement', 'prefer=zone=a', '--', ...httpdCmd]);
    await settle('zoned', { h2: 1 });

    await cli(['service', 'rm', 'web']);
    await cli(['service', 'rm', 'zoned']);
    await until('replicas removed on every node', async () => (JSON.parse(await cli(['ps', '-a', '--json'])) as unknown[]).length === 0, 60_000, 500);
  });
});
