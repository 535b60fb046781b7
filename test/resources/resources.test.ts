// End to end: a real daemon and the real CLI for namespaces, quotas and admission rejections;
// /metrics and `llmos top`; and eviction under a real memory-pressure scenario with real
// containers (runc, a local registry with busybox), in QoS order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';

const Mi = 2 ** 20;

describe('namespaces, quotas and admission', { concurrency: false }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
  });
  after(async () => {
    await d?.stop();
  });

  test('namespace and quota commands', async () => {
    assert.equal((await d.cli(['namespace', 'create', 'team-a'])).stdout, 'namespace team-a created\n');
    const dup = await d.cli(['namespace', 'create', 'team-a']);
    assert.equal(dup.code, 1);
    assert.equal(dup.stderr, 'llmos: namespace team-a already exists\n');
    const bad = await d.cli(['namespace', 'create', 'Team_A']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /must be a DNS label/);

    const set = await d.cli(['quota', 'set', 'team-a', '--cpu', '2', '--memory', '1Gi', '--workloads', '20']);
    assert.equal(set.code, 0, set.stderr);
    const ls = await d.cli(['quota', 'ls', '--json']);
    const teamA = (JSON.parse(ls.stdout) as Array<{ name: string; quota: unknown }>).find((n) => n.name === 'team-a');
    assert.deepEqual(teamA?.quota, { cpu: 2000, memory: 2 ** 30, workloads: 20 });
    assert.match((await d.cli(['quota', 'ls'])).stdout, /team-a\s+0 \/ 2\s+0B \/ 1\.0GiB\s+0 \/ 20/);
    const badQty = await d.cli(['quota', 'set', 'team-a', '--memory', 'lots']);
    assert.equal(badQty.code, 1);
    assert.equal(badQty.stderr, 'llmos: memory quantity "lots" is not like 512Mi, 1Gi, 64m or 1000000\n');
    assert.equal((await d.cli(['quota', 'set', 'nope', '--cpu', '1'])).code, 1);
  });

  test('rejections carry the quota and node reasons', async () => {
    await d.cli(['quota', 'set', 'team-a', '--memory', '600Mi', '--cpu', 'none']);
    const ok = await d.api<{ qos: string }>('POST', '/v1/scheduler/admissions', { id: 'w1', namespace: 'team-a', requests: { memory: '500Mi' }, limits: { memory: '500Mi', cpu: '250m' } });
    assert.equal(ok.status, 201);
    assert.equal(ok.body.qos, 'Guaranteed'); // the cpu request defaults to its 250m limit; memory request = limit
    const no = await d.api<{ error: string; code: string }>('POST', '/v1/scheduler/admissions', { id: 'w2', namespace: 'team-a', requests: { memory: '200Mi' } });
    assert.equal(no.status, 429);
    assert.equal(no.body.error, 'workload w2 does not fit: quota team-a has 100Mi memory left');
    // More than the node has: the node reason comes first, then the quota's.
    const huge = await d.api<{ error: string }>('POST', '/v1/scheduler/admissions', { id: 'w3', namespace: 'team-a', requests: { memory: '100Ti' } });
    assert.match(huge.body.error, /^workload w3 does not fit: needs 100Ti memory, node has \S+ allocatable free; quota team-a has 100Mi memory left$/);
    assert.equal((await d.api('POST', '/v1/scheduler/admissions', { id: 'w4', namespace: 'ghost' })).status, 404);
    assert.equal((await d.api('DELETE', '/v1/scheduler/admissions/w1')).status, 204);
    const rm = await d.cli(['namespace', 'rm', 'team-a']);
    assert.equal(rm.code, 0, rm.stderr);
  });

  test('/metrics needs the token and serves conventional names; top prints the node', async () => {
    const anon = await fetch(`${d.host}/metrics`);
    assert.equal(anon.status, 401);
    const res = await fetch(`${d.host}/metrics`, { headers: { authorization: `Bearer ${d.token}` } });
    const text = await res.text();
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    for (const name of ['node_cpu_seconds_total{mode="idle"}', 'node_memory_MemAvailable_bytes', 'node_filesystem_avail_bytes{mountpoint=', 'llmos_node_allocatable{resource="memory"}', '# TYPE container_cpu_usage_seconds_total counter'])
      assert.ok(text.includes(name), `missing ${name}`);
    const top = await d.cli(['top', '--once']);
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /^node  cpu \d+\.\d% of \d+ CPUs/);
    const series = await d.api<{ series: Array<{ name: string }> }>('GET', '/v1/metrics/series');
    assert.ok(series.body.series.some((s) => s.name === 'node_memory_MemAvailable_bytes'));
  });
});

const skip = registrySkipReason() || (!existsSync('/usr/sbin/runc') || !existsSync('/usr/bin/conmon') ? 'runc/conmon missing' : process.getuid?.() !== 0 ? 'needs root' : false);

describe('eviction under memory pressure', { skip, concurrency: false }, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let dataDir: string;
  let image: string;

  before(async () => {
    reg = await startRegistry();
    image = (await pushBusyboxImage(reg, 'test/busybox-evict')).ref;
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-evict-'));
    // Workloads get 400Mi allocatable; eviction starts when less than 100Mi of it is left.
    await writeFile(path.join(dataDir, 'config.json'), JSON.stringify({ reserved: { cpu: 100, memory: os.totalmem() - 400 * Mi }, modules: { monitor: { periodMs: 300, eviction: { enabled: true, memoryAvailable: '100Mi' } } } }));
    d = await startDaemon({ dataDir });
  });
  after(async () => {
    if (d) {
      await d.removeContainers();
      await d.stop();
    }
    await reg?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** A container that holds `mi` MiB: dd's buffer stays resident while it blocks writing into a pipe nobody reads. */
  const hog = (name: string, mi: number, extra: Record<string, unknown> = {}) =>
    d.api<{ id: string }>('POST', '/v1/containers?start=true', { name, image, cmd: ['/bin/sh', '-c', `dd if=/dev/zero bs=${mi}M count=1 2>/dev/null | sleep 600`], network: 'none', init: true, ...extra });

  async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await f();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const memOf = async (name: string) => {
    const m = await d.api<{ workloads: Array<{ name: string; memoryUsage: number }> }>('GET', '/v1/metrics?refresh=true');
    return m.body.workloads.find((w) => w.name === name)?.memoryUsage ?? 0;
  };
  const stateOf = async (name: string) => (await d.api<{ state: string }>('GET', `/v1/containers/${name}`)).body.state;

  test('BestEffort goes first, then Burstable over its request; Guaranteed stays', async () => {
    // 150Mi BestEffort, then a Guaranteed that holds little, then a Burstable asking 50Mi that uses 320Mi.
    assert.equal((await hog('be', 150)).status, 201);
    await until('be to hold its memory', async () => ((await memOf('be')) > 140 * Mi ? true : undefined));
    assert.equal((await hog('guar', 1, { memory: 64 * Mi, cpus: 0.1 })).status, 201);
    assert.equal((await hog('burst', 320, { memory: 400 * Mi, requests: { memory: 50 * Mi } })).status, 201);
    // 400 - 150 - 320 < 100: BestEffort is evicted first; 400 - 320 = 80 < 100: then the Burstable.
    const events = await until('two evictions', async () => {
      const r = await d.api<{ events: Array<{ subject: string; message: string }> }>('GET', '/v1/events?prefix=/monitor/evicted');
      return r.body.events.length >= 2 ? r.body.events : undefined;
    });
    assert.deepEqual(events.map((e) => e.subject), ['container/be', 'container/burst']);
    assert.match(events[0]!.message, /evicting container\/be \(BestEffort/);
    assert.match(events[1]!.message, /evicting container\/burst \(Burstable, \S+ over its 50Mi request/);
    await until('both stopped', async () => ((await stateOf('be')) !== 'running' && (await stateOf('burst')) !== 'running' ? true : undefined));
    assert.equal(await stateOf('guar'), 'running');
    // Pressure is gone: no third eviction.
    await new Promise((r) => setTimeout(r, 1000));
    const after = await d.api<{ events: unknown[] }>('GET', '/v1/events?prefix=/monitor/evicted');
    assert.equal(after.body.events.length, 2);
  });

  test("/metrics reflects a real container's CPU and memory", async () => {
    // A busy loop limited to half a core, beside the 'guar' container still holding memory.
    const spin = await d.api('POST', '/v1/containers?start=true', { name: 'spin', image, cmd: ['/bin/sh', '-c', 'while :; do :; done'], network: 'none', init: true, cpus: 0.5, memory: 32 * Mi });
    assert.equal(spin.status, 201);
    const scrape = async () => (await fetch(`${d.host}/metrics`, { headers: { authorization: `Bearer ${d.token}` } })).text();
    const value = (text: string, metric: string, name: string): number | undefined => {
      const line = text.split('\n').find((l) => l.startsWith(metric + '{') && l.includes(`name="${name}"`));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined;
    };
    const cpu = await until('spin to use half a CPU-second', async () => {
      const v = value(await scrape(), 'container_cpu_usage_seconds_total', 'spin');
      return v !== undefined && v > 0.5 ? v : undefined;
    });
    assert.ok(cpu > 0.5);
    const text = await scrape();
    assert.ok((value(text, 'container_memory_usage_bytes', 'guar') ?? 0) > 0, 'guar uses memory');
    assert.equal(value(text, 'container_spec_memory_limit_bytes', 'spin'), 32 * Mi);
    assert.ok((value(text, 'container_processes', 'spin') ?? 0) >= 1);
    const top = await d.cli(['top', '--once', '--json']);
    const spinRow = (JSON.parse(top.stdout) as { workloads: Array<{ name: string; cpuCores: number; qos: string }> }).workloads.find((w) => w.name === 'spin');
    assert.equal(spinRow?.qos, 'Guaranteed');
    await d.cli(['rm', '-f', 'spin']);
  });

  test('an OOM kill inside a container is an event and a counter', async () => {
    // The shell survives; only dd, asking for 64Mi under a 32Mi limit, is killed.
    const c = await d.api('POST', '/v1/containers?start=true', { name: 'oom', image, cmd: ['/bin/sh', '-c', 'sleep 1; dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 600'], network: 'none', init: true, memory: 32 * Mi });
    assert.equal(c.status, 201);
    const ev = await until('an OOM event', async () => {
      const r = await d.api<{ events: Array<{ subject: string; message: string }> }>('GET', '/v1/events?prefix=/monitor/oom');
      return r.body.events.find((e) => e.subject === 'container/oom');
    });
    assert.match(ev.message, /killed by the OOM killer/);
    const text = await (await fetch(`${d.host}/metrics`, { headers: { authorization: `Bearer ${d.token}` } })).text();
    assert.match(text, /container_oom_events_total\{[^}]*name="oom"[^}]*\} [1-9]/);
    assert.equal(await stateOf('oom'), 'running');
    await d.cli(['rm', '-f', 'oom']);
  });
});
