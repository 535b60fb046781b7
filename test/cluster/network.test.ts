// Cluster networking end to end on the netns harness (3 node netns, a 3-member etcd, the server
// on its own bridge and pod subnet): pod subnets at join (configured, allocated, overlapping:
// refused), host-gw routes on every node and the server, a container on node 1 reaching one on
// node 3 by IP with its own source address (no masquerade), a service's published port answering
// on every node's address, routes removed when a node leaves, and nothing left after stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createToken, inNetns, joinOnce, nodeCli, nodesJson, startAgent, startNetnsCluster, type NetnsCluster, type NetnsHost } from '../support/cluster.js';
import { listLeaks } from '../support/leaks.js';
import { freePort, pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';
import { importBusybox, runOn } from '../support/node-busybox.js';
import { daemonTag } from '../../src/modules/network/cni-network.js';

const exec = promisify(execFile);
const skip = process.getuid?.() !== 0 ? 'needs root (netns)' : !existsSync('/usr/bin/etcd') ? 'etcd-server missing' : !existsSync('/usr/bin/openssl') ? 'openssl missing' : registrySkipReason();

const podNet = (i: number, s: number) => `10.201.${s}.${i * 32}/27`;
const protoRoutes = async (netns?: string) => (netns ? await inNetns(netns, 'ip', '-4', 'route', 'show', 'proto', '76') : (await exec('ip', ['-4', 'route', 'show', 'proto', '76'])).stdout).split('\n').filter(Boolean);

test('pod subnets, routes between nodes, pod to pod by IP without masquerade, service ports on every node, cleanup', { skip, timeout: 420_000 }, async () => {
  let cluster: NetnsCluster | undefined;
  let reg: TestRegistry | undefined;
  let s = 0;
  const work = await mkdtemp(path.join(os.tmpdir(), 'llmos-cnet-'));
  try {
    let image = '';
    // The registry listens on the bridge's address, so a replica placed on any node can pull from it.
    cluster = await startNetnsCluster(3, {
      podSubnet: podNet,
      serverPodSubnet: (s) => podNet(0, s),
      beforeNodes: async (ip) => {
        reg = await startRegistry({ host: ip });
        image = (await pushBusyboxImage(reg, 'test/busybox', { tag: '1' })).ref;
      },
      nodeModules: () => ({ images: { insecureRegistries: [reg!.host] } }),
    });
    const c = cluster;
    s = Number(c.server.url.split('.')[2]);
    const [h1, h2, h3] = c.nodes as [NetnsHost, NetnsHost, NetnsHost];

    // 1. Each node's configured pod subnet is recorded and listed.
    const nodes = await until('3 Ready nodes', async () => {
      const n = await nodesJson(c.server);
      return n.length === 3 && n.every((x) => x.status === 'Ready') ? n : undefined;
    }, 30_000, 200);
    for (const n of nodes) assert.equal((n as unknown as { podSubnet: string }).podSubnet, podNet(Number(n.name.slice(1)), s));

    // An overlapping subnet is refused at join with one line, and nothing is registered.
    const token = await createToken(c.server);
    const clashDir = path.join(work, 'clash');
    await mkdir(clashDir, { mode: 0o700 });
    await writeFile(path.join(clashDir, 'config.json'), JSON.stringify({ modules: { network: { bridge: `lc${c.id}x`, subnet: `10.201.${s}.48/28`, name: `llmc-${c.id}-x`, ipamDir: path.join(clashDir, 'ipam'), dnsDir: path.join(clashDir, 'dns') } } }));
    const refused = await joinOnce(c.server.url, token, 'clash', clashDir);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, new RegExp(`overlaps node h1's 10\\.201\\.${s}\\.32/27`));
    assert.equal(refused.stderr.trim().split('\n').filter((l) => /overlaps/.test(l)).length, 1);
    assert.deepEqual((await nodesJson(c.server)).map((n) => n.name).sort(), ['h1', 'h2', 'h3']);
    assert.deepEqual(await listLeaks(clashDir), []);

    // A node with no subnet of its own (no network module here) is given a free /24 of the cluster range.
    const bareDir = path.join(work, 'bare');
    await mkdir(bareDir, { mode: 0o700 });
    await writeFile(path.join(bareDir, 'config.json'), JSON.stringify({ modules: { network: { enabled: false } } }));
    const bare = await startAgent(c.server.url, token, 'bare', { dataDir: bareDir });
    const allocated = (await nodesJson(c.server)).find((n) => n.name === 'bare') as unknown as { podSubnet: string };
    assert.match(allocated.podSubnet, /^10\.89\.\d+\.0\/24$/);
    await bare.stop();
    assert.equal((await c.server.cli(['node', 'rm', 'bare'])).code, 0);

    // 2. Routes: every node to the others and to the server, the server to every node.
    const ip = (i: number) => c.nodes[i - 1]!.ip;
    await until('h1 routes to h2, h3 and the server', async () => {
      const r = await protoRoutes(h1.netns);
      return [2, 3].every((i) => r.some((l) => l.startsWith(`${podNet(i, s)} via ${ip(i)} `))) && r.some((l) => l.startsWith(`${podNet(0, s)} via 10.200.${s}.1 `));
    }, 30_000, 250);
    await until('the server routes to h1..h3', async () => {
      const r = await protoRoutes();
      return [1, 2, 3].every((i) => r.some((l) => l.startsWith(`${podNet(i, s)} via ${ip(i)} `)));
    }, 30_000, 250);

    // 3. A container on h1 reaches one on h3 by IP, and h3 sees h1's pod address (not masqueraded).
    await importBusybox(work, [h1, h3]);
    const ip3 = await runOn(h3, 'web3', 'mkdir -p /www && echo from-h3 > /www/index.html && exec httpd -f -vv -p 80 -h /www');
    const ip1 = await runOn(h1, 'client1', 'exec sleep 600');
    assert.ok(ip3.startsWith(`10.201.${s}.`) && ip1.startsWith(`10.201.${s}.`), `${ip1} ${ip3}`);
    const page = await until('client1 on h1 fetches web3 on h3', async () => {
      const r = await nodeCli(h1, ['exec', 'client1', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip3} 80`]);
      return /from-h3/.test(r.stdout) ? r.stdout : undefined;
    }, 30_000, 500);
    assert.match(page, /200 OK/);
    await until('web3 logged the client\'s own pod address', async () => (await nodeCli(h3, ['logs', 'web3'])).stdout.includes(ip1) || (await nodeCli(h3, ['logs', 'web3'])).stderr.includes(ip1), 10_000, 250);

    // 4. A service's published port answers on every node's address and the server's (its replica runs on one of the nodes).
    const port = await freePort();
    const created = await c.server.cli(['service', 'create', 'cweb', '--image', image, '--replicas', '1', '-p', `${port}:80`, '--health-http', '/', '--health-interval', '1', '--', '/bin/sh', '-c', 'mkdir -p /www && echo cluster-web > /www/index.html && exec httpd -f -p 80 -h /www']);
    assert.equal(created.code, 0, created.stderr);
    for (const addr of [`10.200.${s}.1`, ip(1), ip(2), ip(3)]) {
      await until(`port ${port} answers on ${addr}`, async () => {
        const r = await fetch(`http://${addr}:${port}/`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
        return r?.status === 200 && /cluster-web/.test(await r.text());
      }, 60_000, 500);
    }
    const table = await inNetns(h2.netns, 'nft', 'list', 'table', 'ip', `llmos-${daemonTag(h2.dataDir)}-np-svc`);
    assert.match(table, new RegExp(`tcp dport ${port}`));
    assert.equal((await c.server.cli(['service', 'rm', 'cweb'])).code, 0);

    // 5. A node that leaves is no longer routed to, by the others or the server.
    assert.equal((await c.server.cli(['node', 'rm', 'h2'])).code, 0);
    h2.proc!.kill('SIGTERM');
    await until('h1 and the server drop the route to h2', async () => !(await protoRoutes(h1.netns)).some((l) => l.startsWith(podNet(2, s))) && !(await protoRoutes()).some((l) => l.startsWith(podNet(2, s))), 30_000, 250);

    // 6. An agent that stops removes its routes and rules.
    await nodeCli(h1, ['rm', '-f', 'client1']);
    await nodeCli(h3, ['rm', '-f', 'web3']);
    h1.proc!.kill('SIGTERM');
    await until('h1 stopped', async () => h1.proc!.exitCode !== null || h1.proc!.signalCode !== null, 30_000, 200);
    assert.deepEqual(await protoRoutes(h1.netns), [], h1.output());
    assert.doesNotMatch(await inNetns(h1.netns, 'iptables-save'), /-cluster/);
  } finally {
    // Containers first (a failed step leaves them running), so the nodes stop with nothing mounted.
    for (const [n, names] of [[cluster?.nodes[0], ['client1']], [cluster?.nodes[2], ['web3']]] as const) for (const name of names) if (n) await nodeCli(n, ['rm', '-f', name]).catch(() => undefined);
    await cluster?.stop();
    await reg?.stop();
    await rm(work, { recursive: true, force: true });
  }
  assert.deepEqual(await cluster!.leftovers(), []);
  assert.deepEqual((await protoRoutes()).filter((l) => l.startsWith(`10.201.${s}.`)), []);
});
