// Functions across nodes (issue 19): 3 netns nodes with their gateways on their own addresses, a
// server on a 3-member etcd, and a 4th agent without the functions module. An isolate function
// deployed on the server answers through every node's gateway (`/function/NAME`), run by that
// node's own copy (its pool counts the invocation); an image function's instance for the
// server's gateway is placed on a node, and each node's gateway starts its own (scale to zero
// and cold start per node). `fn ls` on the server shows where instances run. The node without
// the functions module is never sent a function. A function deleted on the server stops
// answering on every node within a bounded time. Teardown leaves nothing on any node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { clusterReport, createToken, nodeCli, nodesJson, startAgent, startNetnsCluster, type NetnsCluster, type NetnsHost } from '../support/cluster.js';
import type { TestDaemon } from '../support/daemon.js';
import { listLeaks } from '../support/leaks.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';

const skip = process.getuid?.() !== 0 ? 'needs root (netns)' : !existsSync('/usr/bin/etcd') ? 'etcd-server missing' : registrySkipReason();

interface Fn {
  spec: { name: string; origin?: string };
  stats: { instances: number; invocations: number };
  instances: Array<{ id: string; node?: string }>;
}

const get = async (url: string, timeoutMs = 15_000): Promise<{ status: number; text: string }> => {
  const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: r.status, text: await r.text() };
};

/** A node's own view of a function (its local API), or undefined when it has none of that name. */
async function onNode(n: NetnsHost, name: string): Promise<Fn | undefined> {
  const r = await nodeCli(n, ['fn', 'ls', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as Fn[]).find((f) => f.spec.name === name);
}

test('functions across nodes: an isolate and an image function through every node\'s gateway, placement, fn ls NODE, never on a node without functions, delete reaches every node', { skip, timeout: 400_000 }, async (t) => {
  let cluster: NetnsCluster | undefined;
  let reg: TestRegistry | undefined;
  let nofn: TestDaemon | undefined;
  const work = await mkdtemp(path.join(os.tmpdir(), 'llmos-cfn-'));
  const nofnDir = path.join(work, 'nofn');
  try {
    let image = '';
    cluster = await startNetnsCluster(3, {
      nodeGateway: '0.0.0.0:8080',
      beforeNodes: async (ip) => {
        reg = await startRegistry({ host: ip });
        image = (await pushBusyboxImage(reg, 'fn/httpd', { cmd: ['/bin/httpd', '-f', '-p', '8080', '-h', '/www'], files: { 'www/index.html': 'hello from a container\n' } })).ref;
      },
      nodeModules: () => ({ images: { insecureRegistries: [reg!.host] } }),
    });
    const c = cluster;
    const cli = async (args: string[]) => {
      const r = await c.server.cli(args, { timeoutMs: 60_000 });
      assert.equal(r.code, 0, `llmos ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const gw = (n: NetnsHost) => `http://${n.ip}:8080`;

    // A 4th node without the functions module (nor a network of its own), cordoned so no container goes there.
    await mkdir(nofnDir, { mode: 0o700 });
    await writeFile(path.join(nofnDir, 'config.json'), JSON.stringify({ modules: { functions: { enabled: false }, network: { enabled: false } } }));
    nofn = await startAgent(c.server.url, await createToken(c.server), 'nofn', { dataDir: nofnDir });
    await cli(['node', 'cordon', 'nofn']);
    const nodes = await until('4 Ready, connected nodes', async () => {
      const n = (await nodesJson(c.server)) as Array<{ name: string; status: string; connected?: boolean; runtimes: string[] }>;
      return n.length === 4 && n.every((x) => x.status === 'Ready' && x.connected) ? n : undefined;
    }, 60_000, 200);
    assert.ok(!nodes.find((n) => n.name === 'nofn')!.runtimes.includes('isolate'));
    for (const h of ['h1', 'h2', 'h3']) assert.ok(nodes.find((n) => n.name === h)!.runtimes.includes('isolate'), h);

    // 1. An isolate function, deployed on the server, answers through every node's gateway and the server's.
    const code = path.join(work, 'hello.js');
    await writeFile(code, 'export default { fetch(req) { const u = new URL(req.url); return new Response(`hello ${u.pathname}`); } };\n');
    await cli(['fn', 'deploy', 'hello', '--code', code, '--keepalive', 'fixed:10m']);
    const server = await get(`${c.server.gateway}/function/hello/x`);
    assert.deepEqual(server, { status: 200, text: 'hello /x' });
    for (const n of c.nodes) {
      const r = await until(`hello answers on ${n.name}'s gateway`, async () => {
        const a = await get(`${gw(n)}/function/hello/from-${n.name}`).catch(() => undefined);
        return a?.status === 200 ? a : undefined;
      }, 30_000, 200);
      assert.equal(r.text, `hello /from-${n.name}`);
      // It ran on that node: its own copy of the function counted it.
      const local = await onNode(n, 'hello');
      assert.ok(local?.spec.origin, `${n.name} holds the server's copy`);
      assert.ok(local.stats.invocations >= 1, `${n.name} ran it: ${JSON.stringify(local.stats)}`);
    }

    // 2. An image function: the server's instance is placed on a node; each node's gateway runs its own.
    // The first cold start pulls the image on its node: on a loaded machine that outlasts the default queue wait.
    await cli(['fn', 'deploy', 'web', '--image', image, '--port', '8080', '--keepalive', 'fixed:6s', '--queue-wait', '90s']);
    assert.deepEqual(await get(`${c.server.gateway}/fn/web/index.html`, 100_000), { status: 200, text: 'hello from a container\n' });
    // (read before the keep-alive lets the instance go)
    const listed = (JSON.parse(await cli(['fn', 'inspect', 'web', '--json'])) as Fn).instances;
    const remote = (JSON.parse(await cli(['ps', '-a', '--json'])) as Array<{ name: string; owner?: string; node?: string }>).filter((p) => p.owner === 'function/web'); // ps shows a node's cluster/ owner without the prefix
    // (no node has run its own copy yet: this is the server's instance)
    assert.equal(remote.length, 1, `one container of web, on a node: ${JSON.stringify(remote)}`);
    assert.ok(['h1', 'h2', 'h3'].includes(remote[0]!.node!), JSON.stringify(remote));
    assert.equal(listed.find((i) => i.id === remote[0]!.name)?.node, remote[0]!.node, `the server lists its instance with its node: ${JSON.stringify(listed)}`);
    for (const n of c.nodes) {
      const r = await until(`web answers on ${n.name}'s gateway`, async () => {
        const a = await get(`${gw(n)}/function/web/index.html`, 100_000).catch(() => undefined);
        return a?.status === 200 ? a : undefined;
      }, 150_000, 500);
      assert.equal(r.text, 'hello from a container\n');
    }

    // 3. fn ls on the server shows where instances run (NODE).
    const table = await cli(['fn', 'ls']);
    assert.match(table, /NODE/);
    const helloRow = table.split('\n').find((l) => l.startsWith('hello '))!;
    for (const h of ['h1', 'h2', 'h3']) assert.match(helloRow, new RegExp(`\\b${h}\\b`), table);
    assert.doesNotMatch(table, /nofn/);

    // 4. Scale to zero and a cold start on one node: its copy's instance goes after the keep-alive, and the next call starts one again.
    const h1 = c.nodes[0]!;
    await until('web on h1 scaled to zero', async () => (await onNode(h1, 'web'))?.stats.instances === 0, 30_000, 250);
    assert.deepEqual(await get(`${gw(h1)}/function/web/index.html`), { status: 200, text: 'hello from a container\n' });

    // 5. The node without the functions module was never sent a function (nor asked for its list).
    assert.doesNotMatch(c.server.output(), /functions: .*node nofn/);

    // 6. Deleted on the server: every node stops answering within a bounded time (a sync pass; 15 s on a loaded machine).
    for (const name of ['hello', 'web']) {
      const t0 = Date.now();
      await cli(['fn', 'rm', name]);
      for (const n of c.nodes) await until(`${name} gone from ${n.name}'s gateway`, async () => (await get(`${gw(n)}/function/${name}/`)).status === 404, 15_000, 100);
      assert.ok(Date.now() - t0 < 15_000, `${name} answered on some node ${Date.now() - t0} ms after its removal`);
      t.diagnostic(`${name}: gone from all 3 nodes' gateways ${Date.now() - t0} ms after fn rm`);
      for (const n of c.nodes) assert.equal(await onNode(n, name), undefined, `${n.name} still lists ${name}`);
    }
    await until('no function containers left on any node', async () => (JSON.parse(await cli(['ps', '-a', '--json'])) as Array<{ owner?: string }>).every((p) => !p.owner?.includes('function')), 30_000, 500);
  } catch (e) {
    console.error(`failed: ${String((e as Error).stack)}\n${cluster ? await clusterReport(cluster) : 'no cluster'}\nnofn: ${nofn?.output().slice(-2000)}`);
    throw e;
  } finally {
    await nofn?.stop();
    await cluster?.stop();
    await reg?.stop();
  }
  assert.deepEqual(await cluster!.leftovers(), []);
  assert.deepEqual(await listLeaks(nofnDir), []);
  await rm(work, { recursive: true, force: true });
});
