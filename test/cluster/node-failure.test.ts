// Node failure (issue 20), on real parts: 2 netns nodes, a server on a 3-member etcd with
// --node-grace 3s --eviction-timeout 8s, real runc containers. SIGKILL h1's agent (its containers
// stay up, under conmon): h1 is NotReady within the grace + 1 heartbeat; after the eviction
// timeout, the default service's replica there is replaced on h2, while a service tolerating
// "never" keeps its own; a steady client load on the service's port through the server loses at
// most the requests in flight at the kill; after the agent restarts it stops exactly the replaced
// replica (the other keeps running, same container, no restart) and no service has more than its
// desired replicas. Ends with the leak check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { clusterReport, fastLeases, killNetnsNode, nodeCli, nodesJson, restartNetnsNode, startNetnsCluster, type NetnsCluster, type NetnsHost } from '../support/cluster.js';
import { freePort, pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { until } from '../support/until.js';

const skip = process.getuid?.() !== 0 ? 'needs root (netns)' : !existsSync('/usr/bin/etcd') ? 'etcd-server missing' : !existsSync('/usr/bin/openssl') ? 'openssl missing' : registrySkipReason();
// sh traps TERM so a replica stops at once (httpd as PID 1 would ignore it until the KILL).
const httpdCmd = ['/bin/sh', '-c', 'mkdir -p /www && echo "replica $(hostname)" > /www/index.html && trap "kill \\$p; exit 0" TERM; httpd -f -p 80 -h /www & p=$!; wait $p'];
const podNet = (i: number, s: number) => `10.201.${s}.${i * 32}/27`;
const GRACE_MS = 3000;
const EVICTION_MS = 8000;
const HEARTBEAT_MS = fastLeases.cluster.leaseIntervalMs;

interface Replica { id: string; name: string; node?: string; ready: boolean; state: string }
interface Svc { readyReplicas: number; replicaStatus: Replica[] }
interface Ev { time: string; topic: string; subject?: string; message: string; data?: Record<string, unknown> }
interface Ctr { id: string; name: string; owner?: string; state: string; startedAt?: string }

/** When a replica last answered (its page names its hostname: the container's name or short id). */
const lastServed = (served: Map<string, number>, r: Replica): number => Math.max(0, ...[...served].filter(([who]) => who === r.name || r.id.startsWith(who)).map(([, at]) => at));

/** A steady load: `workers` loops of GET, each with a 2 s timeout, counting answers and failures and what is in flight. */
function load(url: string, workers: number) {
  let stop = false;
  const stats = { ok: 0, failed: 0, inFlight: 0, errors: [] as string[], served: new Map<string, number>() };
  const one = () => new Promise<void>((resolve) => {
    stats.inFlight++;
    const done = (ok: boolean, why?: string, body?: string) => {
      stats.inFlight--;
      if (ok) {
        stats.ok++;
        const who = /replica (\S+)/.exec(body ?? '')?.[1] ?? '?';
        stats.served.set(who, Date.now());
      } else {
        stats.failed++;
        if (stats.errors.length < 20) stats.errors.push(`${new Date().toISOString()} ${why}`);
      }
      resolve();
    };
    const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => done(res.statusCode === 200, `HTTP ${res.statusCode}`, body));
      res.on('error', (e) => done(false, e.message));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => done(false, e.message));
  });
  const loops = Array.from({ length: workers }, async () => {
    while (!stop) await one();
  });
  return { stats, async end() { stop = true; await Promise.all(loops); } };
}

test('SIGKILL of an agent: NotReady within grace + 1 heartbeat, replicas replaced after the eviction timeout, no loss beyond in-flight, no duplicates after it returns', { skip, timeout: 420_000 }, async (tc) => {
  let cluster: NetnsCluster | undefined;
  let reg: TestRegistry | undefined;
  let traffic: ReturnType<typeof load> | undefined;
  let killed: NetnsHost | undefined; // an agent that is down: started again before the teardown, which needs it
  try {
    let image = '';
    cluster = await startNetnsCluster(2, {
      podSubnet: podNet,
      serverPodSubnet: (s) => podNet(0, s),
      beforeNodes: async (ip) => {
        reg = await startRegistry({ host: ip });
        image = (await pushBusyboxImage(reg, 'test/busybox', { tag: '1' })).ref;
      },
      nodeModules: () => ({ images: { insecureRegistries: [reg!.host] } }),
      serverModules: fastLeases,
      serverArgs: ['--node-grace', `${GRACE_MS / 1000}s`, '--eviction-timeout', `${EVICTION_MS / 1000}s`],
    });
    const c = cluster;
    const s = Number(c.server.url.split('.')[2]);
    const [h1, h2] = c.nodes as [NetnsHost, NetnsHost];
    const cli = async (args: string[]) => {
      const r = await c.server.cli(args, { timeoutMs: 60_000 });
      assert.equal(r.code, 0, `llmos ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const inspect = async (name: string) => JSON.parse(await cli(['service', 'inspect', name, '--json'])) as Svc;
    const onNode = async (n: NetnsHost, owner: string) => {
      const r = await nodeCli(n, ['ps', '-a', '--json']);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as Ctr[]).filter((x) => x.owner === `cluster/service/${owner}`);
    };
    const nodeStatus = async (name: string) => (await nodesJson(c.server)).find((n) => n.name === name) as (Awaited<ReturnType<typeof nodesJson>>[number] & { connected?: boolean; notReadySince?: string | null }) | undefined;
    await until('2 Ready, connected nodes', async () => {
      const n = (await nodesJson(c.server)) as Array<{ status: string; connected?: boolean }>;
      return n.length === 2 && n.every((x) => x.status === 'Ready' && x.connected);
    }, 60_000, 200);

    // web: the default toleration (the server's 8 s); keep: tolerates an unreachable node for good.
    const port = await freePort();
    await cli(['service', 'create', 'web', '--image', image, '--replicas', '2', '-p', `${port}:80`, '--health-http', '/', '--health-interval', '1', '--', ...httpdCmd]);
    await cli(['service', 'create', 'keep', '--image', image, '--replicas', '2', '-p', '80', '--health-http', '/', '--health-interval', '1', '--tolerate-unreachable', 'never', '--', ...httpdCmd]);
    const spread = async (name: string) => until(`${name}: 2 ready replicas, one per node`, async () => {
      const sv = await inspect(name);
      return sv.readyReplicas === 2 && sv.replicaStatus.length === 2 && new Set(sv.replicaStatus.map((r) => r.node)).size === 2 ? sv : undefined;
    }, 120_000, 500);
    const web0 = await spread('web');
    const keep0 = await spread('keep');
    const webOnH1 = web0.replicaStatus.find((r) => r.node === 'h1')!;
    const keepOnH1 = keep0.replicaStatus.find((r) => r.node === 'h1')!;
    const keepStarted = (await onNode(h1, 'keep')).find((x) => x.id === keepOnH1.id)!.startedAt;
    assert.ok(keepStarted);

    // A steady load on the service's port, through the server's address (balanced over both nodes).
    const url = `http://10.200.${s}.1:${port}/`;
    await until(`port ${port} answers`, async () => (await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => undefined))?.status === 200, 60_000, 300);
    traffic = load(url, 4);
    const t = traffic;
    await until('the load is served by both nodes', async () => t.stats.served.size >= 2 && t.stats.ok >= 20, 60_000, 100);

    // 1. SIGKILL h1's agent.
    const inFlightAtKill = t.stats.inFlight;
    const failedBefore = t.stats.failed;
    const tKill = Date.now();
    killed = h1;
    await killNetnsNode(h1);

    // NotReady within the grace + 1 heartbeat: the server's own event, and llmos nodes.
    const notReady = await until('h1 NotReady', async () => {
      const n = await nodeStatus('h1');
      return n?.status === 'NotReady' ? n : undefined;
    }, 30_000, 100);
    const tSeen = Date.now();
    const ev = JSON.parse(await cli(['events', '--prefix', '/nodes/not-ready', '--json'])) as Ev[];
    const evt = ev.find((e) => e.subject === 'node/h1' && Date.parse(e.time) >= tKill);
    assert.ok(evt, `a /nodes/not-ready event for h1: ${JSON.stringify(ev)}`);
    const detect = Date.parse(evt.time) - tKill;
    assert.ok(detect <= GRACE_MS + HEARTBEAT_MS + 500, `NotReady after ${detect} ms (grace ${GRACE_MS} + heartbeat ${HEARTBEAT_MS}, +500 ms for the loop's own tick)`);
    assert.ok(notReady.notReadySince, 'nodes --json says since when');
    const since = Date.parse(notReady.notReadySince);

    // Before the eviction timeout: both services still count h1's replicas (nothing started elsewhere).
    if (Date.now() < since + EVICTION_MS - 2000) {
      const w = await inspect('web');
      assert.equal(w.replicaStatus.length, 2, `before the eviction timeout, web keeps 2 replicas: ${JSON.stringify(w.replicaStatus)}`);
      assert.ok(w.replicaStatus.some((r) => r.id === webOnH1.id), 'h1\'s replica still counted');
    }

    // 2. After the eviction timeout, web's h1 replica is replaced on h2; keep's is not.
    const web1 = await until('web: 2 ready replicas on h2', async () => {
      const w = await inspect('web');
      return w.readyReplicas === 2 && w.replicaStatus.length === 2 && w.replicaStatus.every((r) => r.node === 'h2') ? w : undefined;
    }, 60_000, 300);
    const sev = (JSON.parse(await cli(['events', '--prefix', '/services/replica-evicted', '--json'])) as Ev[]).filter((e) => e.subject === 'service/web');
    assert.equal(sev.length, 1, JSON.stringify(sev));
    assert.ok(Date.parse(sev[0]!.time) >= since + EVICTION_MS - 50, `evicted at ${sev[0]!.time}, not before NotReady (${notReady.notReadySince}) + ${EVICTION_MS} ms`);
    const startedOnH2 = (JSON.parse(await cli(['events', '--prefix', '/services/replica-started', '--json'])) as Ev[]).filter((e) => e.subject === 'service/web' && Date.parse(e.time) >= tKill);
    assert.equal(startedOnH2.length, 1, `exactly one replacement: ${JSON.stringify(startedOnH2)}`);
    const keep1 = await inspect('keep');
    assert.equal(keep1.replicaStatus.length, 2, `keep tolerates for good: ${JSON.stringify(keep1.replicaStatus)}`);
    assert.ok(keep1.replicaStatus.some((r) => r.id === keepOnH1.id && r.node === 'h1'), 'keep\'s h1 replica stays');
    assert.ok(!(JSON.parse(await cli(['events', '--prefix', '/services/replica-evicted', '--json'])) as Ev[]).some((e) => e.subject === 'service/keep'));

    // The load lost at most what was in flight at the kill (h1's containers stayed up; its replica
    // left the balancer when its probe failed through the closed tunnel).
    const replacement = web1.replicaStatus.find((r) => !web0.replicaStatus.some((o) => o.id === r.id))!;
    await until('the load is served by the replacement', async () => lastServed(t.stats.served, replacement) > 0, 20_000, 100);
    const lost = t.stats.failed - failedBefore;
    assert.ok(lost <= inFlightAtKill, `lost ${lost} requests, ${inFlightAtKill} were in flight at the kill: ${t.stats.errors.join('; ')}`);

    // 3. The agent comes back: Ready within a heartbeat of its join; it stops exactly the replaced replica.
    await restartNetnsNode(c, h1);
    killed = undefined;
    const tBack = Date.now();
    // Ready as soon as its agent says it joined: it renewed its lease before (one read, whatever the CLI's own latency).
    const back = await nodeStatus('h1');
    const readyMs = Date.now() - tBack;
    assert.equal(back?.status, 'Ready', JSON.stringify(back));
    assert.ok(back.lastHeartbeat && Date.parse(back.lastHeartbeat) > tKill);
    await until('h1 has no web replica left', async () => (await onNode(h1, 'web')).length === 0, 30_000, 200);
    // The agent stopped exactly the replaced replica (its own event), within a reconcile period of its return.
    const stopped = await until('the agent\'s replaced-stopped event', async () => {
      const ev = JSON.parse((await nodeCli(h1, ['events', '--prefix', '/nodes/replaced-stopped', '--json'])).stdout) as Ev[];
      return ev.length ? ev : undefined;
    }, 10_000, 200);
    assert.deepEqual(stopped.map((e) => e.subject), [`container/${webOnH1.name}`]);
    const stopMs = Date.parse(stopped[0]!.time) - tBack;
    // desired + surge at most, and only for one reconcile period (the agent's first check at start, plus the stop).
    assert.ok(stopMs <= 10_000, `the replaced replica ran ${stopMs} ms after the node's return`);
    // keep's h1 replica: the same container, never restarted, ready again.
    const keepAfter = await until('keep: 2 ready, h1\'s the same', async () => {
      const k = await inspect('keep');
      return k.readyReplicas === 2 && k.replicaStatus.length === 2 && k.replicaStatus.some((r) => r.id === keepOnH1.id && r.ready) ? k : undefined;
    }, 30_000, 300);
    assert.ok(keepAfter);
    const keepCtr = (await onNode(h1, 'keep')).find((x) => x.id === keepOnH1.id);
    assert.equal(keepCtr?.state, 'running');
    assert.equal(keepCtr?.startedAt, keepStarted, 'not restarted');
    // No duplicates: exactly the desired replicas, on the nodes themselves too.
    const web2 = await inspect('web');
    assert.equal(web2.replicaStatus.length, 2);
    assert.deepEqual(web2.replicaStatus.map((r) => r.id).sort(), web1.replicaStatus.map((r) => r.id).sort());
    assert.equal((await onNode(h2, 'web')).filter((x) => x.state === 'running').length, 2);
    assert.equal((await onNode(h1, 'keep')).length + (await onNode(h2, 'keep')).length, 2);
    // The replaced replica served nothing once h1 was back.
    assert.ok(lastServed(t.stats.served, webOnH1) < tBack, 'the replaced replica took no traffic after the return');
    await traffic.end();
    assert.ok(t.stats.failed - failedBefore <= inFlightAtKill, `lost ${t.stats.failed - failedBefore}: ${t.stats.errors.join('; ')}`);
    assert.ok(tSeen >= tKill);
    tc.diagnostic(`NotReady event ${detect} ms after the kill (seen by llmos nodes after ${tSeen - tKill} ms); evicted ${Date.parse(sev[0]!.time) - since} ms after NotReady; `
      + `requests ${t.stats.ok} answered, ${t.stats.failed - failedBefore} failed, ${inFlightAtKill} in flight at the kill; replaced replica stopped ${stopMs} ms after the agent's return; Ready at the first look, ${readyMs} ms after it`);

    await cli(['service', 'rm', 'web']);
    await cli(['service', 'rm', 'keep']);
    await until('replicas removed on every node', async () => (JSON.parse(await cli(['ps', '-a', '--json'])) as unknown[]).length === 0, 60_000, 500);
  } catch (e) {
    const ev = await cluster?.server.cli(['events', '--prefix', '/']).catch(() => undefined);
    console.error(`failed: ${String((e as Error).stack)}\nevents: ${ev?.stdout.slice(-5000)}\n${cluster ? await clusterReport(cluster) : 'no cluster'}`);
    throw e;
  } finally {
    await traffic?.end();
    if (cluster && killed) await restartNetnsNode(cluster, killed).catch((e: unknown) => console.error(`cannot start ${killed?.name} again for the teardown: ${String(e)}`));
    await cluster?.stop();
    await reg?.stop();
  }
  assert.deepEqual(await cluster!.leftovers(), []);
});
