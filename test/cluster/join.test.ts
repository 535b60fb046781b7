// Cluster mode on one host: a server serving TLS with its cluster CA (it listens off loopback),
// join tokens, real agents (`llmos up --join`), node leases, and the `llmos node` commands. Each
// refusal (wrong token, an impostor server with another CA, an expired token, a node name held by
// another machine) is one line on the agent, one log line on the server, and registers nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestDaemon } from '../support/daemon.js';
import { createToken, joinOnce, nodesJson, startAgent, startServer } from '../support/cluster.js';
import { assertNoLeaks } from '../support/leaks.js';
import { until } from '../support/until.js';

const skip = !existsSync('/usr/bin/openssl') ? 'openssl missing' : false;
const serverLog = (d: TestDaemon) => readFile(path.join(d.dataDir, 'llmos.log'), 'utf8').catch(() => '');
const oneLine = (s: string) => s.trim().split('\n').length === 1;

describe('cluster: TLS, join tokens, agents and node leases', { skip, concurrency: false }, () => {
  let server: TestDaemon & { url: string };
  const agents: TestDaemon[] = [];
  const dirs: string[] = [];
  const tmpDir = async () => {
    const d = await mkdtemp(path.join(os.tmpdir(), 'llmos-join-'));
    dirs.push(d);
    return d;
  };
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const a of agents) await a.stop();
    const dataDir = server?.dataDir;
    await server?.stop();
    for (const a of agents) await assertNoLeaks(a.dataDir);
    if (dataDir) await assertNoLeaks(dataDir);
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test('off loopback the API serves TLS with the cluster CA; the CLI trusts the data dir\'s CA or --ca FILE', async () => {
    assert.match(server.output(), /API on https:\/\//);
    const ok = await server.cli(['status', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    // Another CA (another server's) is not trusted: one line, exit 1.
    const other = await tmpDir();
    const { ensureCa } = await import('../../src/kernel/cluster-ca.js');
    await ensureCa(other);
    const wrong = await server.cli(['status', '--ca', path.join(other, 'ca', 'ca.crt')]);
    assert.equal(wrong.code, 1);
    assert.ok(oneLine(wrong.stderr), wrong.stderr);
    assert.match(wrong.stderr, /cannot verify the daemon .*--ca/);
    const given = await server.cli(['status', '--json', '--ca', path.join(server.dataDir, 'ca', 'ca.crt')], { env: { LLMOS_DATA_DIR: other, LLMOS_TOKEN: server.token } });
    assert.equal(given.code, 0, given.stderr);
    // Plain HTTP to the TLS port gets no answer from the API.
    const plain = await server.cli(['status'], { env: { LLMOS_HOST: server.url.replace('https:', 'http:') } });
    assert.equal(plain.code, 1);
  });

  test('token create prints K10<sha256 of the CA file>::<secret> alone on its last line', async () => {
    const r = await server.cli(['token', 'create', '--ttl', '1h']);
    assert.equal(r.code, 0, r.stderr);
    const last = r.stdout.trim().split('\n').at(-1)!;
    const hash = createHash('sha256').update(await readFile(path.join(server.dataDir, 'ca', 'ca.crt'))).digest('hex');
    assert.match(last, new RegExp(`^K10${hash}::[0-9a-f]+\\.[A-Za-z0-9_-]+$`));
    const bad = await server.cli(['token', 'create', '--ttl', 'soon']);
    assert.equal(bad.code, 1);
    assert.ok(oneLine(bad.stderr));
  });

  test('an agent joins with its capacity, labels and runtimes, renews its lease, and goes NotReady when it stops', { timeout: 90_000 }, async () => {
    const token = await createToken(server);
    const a = await startAgent(server.url, token, 'n1', { extra: ['--node-label', 'llmos.io/cloud=public', '--node-label', 'llmos.io/zone=z2'] });
    agents.push(a);
    const [n] = await nodesJson(server);
    assert.equal(n?.name, 'n1');
    assert.equal(n.status, 'Ready');
    assert.deepEqual(n.roles, ['worker']);
    assert.equal(n.labels['llmos.io/cloud'], 'public');
    assert.equal(n.labels['llmos.io/zone'], 'z2');
    // The agent's own node capacity (its host probe and ledger), as its local API reports it.
    const { node } = JSON.parse((await a.cli(['status', '--json'])).stdout) as { node: { capacity: { cpu: number; memory: number }; allocatable: { cpu: number; memory: number } } };
    assert.equal(n.capacity.cpu, node.capacity.cpu);
    assert.equal(n.capacity.memory, node.capacity.memory);
    assert.equal(n.allocatable.cpu, node.allocatable.cpu);
    assert.ok(n.capacity.cpu >= 1000 && n.capacity.memory > 2 ** 28, JSON.stringify(n.capacity));
    assert.ok(n.allocatable.cpu > 0 && n.allocatable.cpu <= n.capacity.cpu);
    assert.ok(n.runtimes.includes('runc') || !existsSync('/usr/sbin/runc'));
    const first = n.lastHeartbeat!;
    await until('the lease is renewed', async () => (await nodesJson(server))[0]!.lastHeartbeat !== first, 10_000, 100);
    // label, taint, cordon, uncordon, inspect
    assert.equal((await server.cli(['node', 'label', 'n1', 'tier=gold'])).code, 0);
    assert.equal((await server.cli(['node', 'taint', 'n1', 'gpu=yes:NoSchedule'])).code, 0);
    assert.equal((await server.cli(['node', 'cordon', 'n1'])).code, 0);
    let [i] = JSON.parse((await server.cli(['node', 'inspect', 'n1'])).stdout) as Array<{ labels: Record<string, string>; taints: unknown[]; unschedulable: boolean }>;
    assert.equal(i!.labels.tier, 'gold');
    assert.deepEqual(i!.taints, [{ key: 'gpu', value: 'yes', effect: 'NoSchedule' }]);
    assert.equal(i!.unschedulable, true);
    assert.match((await server.cli(['nodes'])).stdout, /n1\s+Ready,SchedulingDisabled\s+worker\s+z2\s+public/);
    assert.equal((await server.cli(['node', 'uncordon', 'n1'])).code, 0);
    assert.equal((await server.cli(['node', 'taint', 'n1', 'gpu-'])).code, 0);
    [i] = JSON.parse((await server.cli(['node', 'inspect', 'n1'])).stdout) as typeof i[];
    assert.equal(i!.unschedulable, false);
    assert.deepEqual(i!.taints, []);
    const badLabel = await server.cli(['node', 'label', 'n1', 'no value']);
    assert.equal(badLabel.code, 1);
    assert.ok(oneLine(badLabel.stderr));
    await a.stop({ keepData: true });
    await until('n1 NotReady once its lease lapses', async () => (await nodesJson(server))[0]!.status === 'NotReady', 15_000, 200);
    // The node monitor said so on the event bus, once.
    const events = async () => (JSON.parse((await server.cli(['events', '--prefix', '/nodes/', '--subject', 'node/n1', '--json'])).stdout) as Array<{ topic: string }>).map((e) => e.topic);
    await until('a /nodes/not-ready event', async () => (await events()).includes('/nodes/not-ready'), 10_000, 200);
    assert.deepEqual((await events()).filter((t) => t !== '/nodes/joined'), ['/nodes/ready', '/nodes/not-ready']);
  });

  test('refused: a wrong or malformed token; nothing registered', { timeout: 60_000 }, async () => {
    const token = await createToken(server);
    const before = (await nodesJson(server)).map((n) => n.name);
    // A wrong secret: the server refuses it.
    const wrong = token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    const w = await joinOnce(server.url, wrong, 'bad1', await tmpDir());
    assert.equal(w.code, 1, w.stdout + w.stderr);
    assert.ok(oneLine(w.stderr), w.stderr);
    assert.match(w.stderr, /invalid join token/);
    await until('the server logs the refusal', async () => /refused join of node bad1 from .*invalid join token/.test(await serverLog(server)), 5000, 100);
    const f = await joinOnce(server.url, 'not-a-token', 'bad4', await tmpDir());
    assert.equal(f.code, 1);
    assert.ok(oneLine(f.stderr), f.stderr);
    assert.match(f.stderr, /malformed join token/);
    assert.deepEqual((await nodesJson(server)).map((n) => n.name), before);
  });

  test('refused: an impostor server (another CA) never gets the token', { timeout: 60_000 }, async () => {
    const token = await createToken(server);
    // An impostor (another server, another CA) with this cluster's token: the agent refuses before sending it.
    const impostor = await startServer();
    try {
      const m = await joinOnce(impostor.url, token, 'bad2', await tmpDir());
      assert.equal(m.code, 1, m.stdout + m.stderr);
      assert.ok(oneLine(m.stderr), m.stderr);
      assert.match(m.stderr, /server's CA \(sha256 [0-9a-f]+\.\.\.\) does not match the join token's/);
      assert.doesNotMatch(await serverLog(impostor), /join of node bad2/, 'the token never reached the impostor');
      assert.deepEqual(await nodesJson(impostor), []);
    } finally {
      const dir = impostor.dataDir;
      await impostor.stop();
      await assertNoLeaks(dir);
    }
  });

  test('refused: an expired token; nothing registered', { timeout: 60_000 }, async () => {
    const before = (await nodesJson(server)).map((n) => n.name);
    const short = await createToken(server, '1s');
    await until('the token expires', async () => (JSON.parse((await server.cli(['token', 'ls', '--json'])).stdout) as Array<{ expired: boolean }>).some((t) => t.expired), 10_000, 200);
    const e = await joinOnce(server.url, short, 'bad3', await tmpDir());
    assert.equal(e.code, 1);
    assert.ok(oneLine(e.stderr), e.stderr);
    assert.match(e.stderr, /join token [0-9a-f]+ expired at/);
    await until('the server logs the expiry', async () => /refused join of node bad3 .*expired/.test(await serverLog(server)), 5000, 100);
    assert.deepEqual((await nodesJson(server)).map((n) => n.name), before);
  });

  test('a node name held by another machine is refused until `llmos node rm`; the same machine rejoins', { timeout: 120_000 }, async () => {
    const token = await createToken(server);
    const a = await startAgent(server.url, token, 'dup');
    agents.push(a);
    const other = await tmpDir();
    const r = await joinOnce(server.url, token, 'dup', other);
    assert.equal(r.code, 1);
    assert.ok(oneLine(r.stderr), r.stderr);
    assert.match(r.stderr, /node dup is already registered by another machine: remove it first with `llmos node rm dup`/);
    await until('the server logs it', async () => /refused join of node dup .*another machine/.test(await serverLog(server)), 5000, 100);
    // The same machine (its data dir) comes back after a restart with its saved node credential,
    // even once its join token is gone (tokens expire; the node stays).
    await a.stop({ keepData: true });
    assert.equal((await server.cli(['token', 'rm', token.split('::')[1]!.split('.')[0]!])).code, 0);
    const again = await startAgent(server.url, token, 'dup', { dataDir: a.dataDir });
    agents.push(again);
    assert.equal((await nodesJson(server)).find((n) => n.name === 'dup')?.status, 'Ready');
    await again.stop({ keepData: true });
    assert.equal((await server.cli(['node', 'rm', 'dup'])).code, 0);
    const rm1 = await server.cli(['node', 'rm', 'dup']);
    assert.equal(rm1.code, 1);
    assert.match(rm1.stderr, /no node dup/);
    const b = await startAgent(server.url, await createToken(server), 'dup', { dataDir: other });
    agents.push(b);
    assert.equal((await nodesJson(server)).find((n) => n.name === 'dup')?.status, 'Ready');
  });
});
