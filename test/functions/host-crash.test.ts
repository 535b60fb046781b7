// End to end: isolates run in function-host processes, one per namespace (or per function with
// --own-host), each in its own cgroup. A tenant that exhausts its host's memory gets its host
// OOM-killed by the kernel: only that host's in-flight requests fail (502 host-crashed), another
// namespace's functions and the API go on, and the host is started again on the next request.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { until } from '../support/until.js';

let d: TestDaemon;
let gw: string;
let dir: string;
let dataDir: string;

async function deploy(name: string, source: string, args: string[]): Promise<void> {
  const f = path.join(dir, `${name}.js`);
  await writeFile(f, source);
  const r = await d.cli(['fn', 'deploy', name, '--code', f, ...args]);
  assert.equal(r.code, 0, r.stderr);
}

/** Function-host processes under the daemon: pid -> cmdline. */
function hostPids(): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${e}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      try {
        if (readFileSync(`/proc/${c}/cmdline`, 'utf8').includes('host-main.js')) out.push(c);
      } catch {
        continue;
      }
      walk(c);
    }
  };
  walk(d.proc.pid!);
  return out;
}

const HOG = `export default { async fetch(req) {
  if (new URL(req.url).pathname === '/hog') { const a = []; for (;;) a.push(new Float64Array(1 << 20).fill(1.5)); }
  return new Response('hog ok'); } };`;
const SLOW = `export default { async fetch() { await new Promise((r) => setTimeout(r, 1500)); return new Response('slow ok'); } };`;
const STEADY = `export default { async fetch() { return new Response('steady ok'); } };`;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-hostcrash-'));
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-hostcrash-data-'));
  // A small host cgroup, so the tenant reaches it long before its own 2 GiB isolate limit.
  await writeFile(path.join(dataDir, 'config.json'), JSON.stringify({ modules: { functions: { hostMemory: 256 * 2 ** 20 } } }));
  d = await startDaemon({ dataDir });
  gw = d.gateway!;
  await deploy('hog', HOG, ['-n', 'tenant-a', '--memory', '2g', '--cpu', '20s', '--timeout', '30s']);
  await deploy('neighbor', SLOW, ['-n', 'tenant-a']);
  await deploy('steady', STEADY, ['-n', 'tenant-b']);
});

after(async () => {
  await d?.stop();
  await rm(dir, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

describe('function-host processes', () => {
  test('each namespace has its own host process, in its own cgroup, without the daemon environment', async () => {
    for (const f of ['hog', 'neighbor', 'steady']) assert.equal((await fetch(`${gw}/fn/${f}/`)).status, 200, f);
    const pids = hostPids();
    assert.equal(pids.length, 2, `hosts: ${pids.join(' ')}`);
    const token = readFileSync(path.join(dataDir, 'token'), 'utf8').trim();
    for (const pid of pids) {
      const cg = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      assert.match(cg, /memory:\/llmos-functions\/[0-9a-f]{12}\/ns-tenant-[ab]/);
      assert.match(cg, /pids:\/llmos-functions\//);
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      assert.doesNotMatch(environ, /LLMOS_/);
      assert.ok(!environ.includes(token), 'the API token is not in the host environment');
    }
    const memDir = readFileSync(`/proc/${pids[0]}/cgroup`, 'utf8').match(/memory:(\S+)/)![1];
    assert.equal(readFileSync(`/sys/fs/cgroup/memory${memDir}/memory.limit_in_bytes`, 'utf8').trim(), String(256 * 2 ** 20));
  });

  test("a tenant exhausting its host's memory fails only that host's in-flight requests; the host comes back", async () => {
    const before = hostPids();
    const inflight = fetch(`${gw}/fn/neighbor/`); // same host, in flight when it dies
    await new Promise((r) => setTimeout(r, 200)); // let it reach the host
    const hog = await fetch(`${gw}/fn/hog/hog`);
    assert.equal(hog.status, 502, await hog.clone().text());
    assert.equal(hog.headers.get('x-llmos-failure'), 'host-crashed');
    assert.match(await hog.text(), /function host ns-tenant-a killed by SIGKILL/);
    const n = await inflight;
    assert.equal(n.status, 502, 'the neighbour in the same host lost its in-flight request');
    // Another namespace, and the API, did not notice.
    assert.equal(await (await fetch(`${gw}/fn/steady/`)).text(), 'steady ok');
    assert.equal((await fetch(`${d.host}/healthz`)).status, 200);
    assert.equal(d.proc.exitCode, null);
    // The next request starts a new host for tenant-a.
    await until('tenant-a to be served again', async () => (await (await fetch(`${gw}/fn/hog/`)).text()) === 'hog ok', 20_000, 100);
    assert.equal(await (await fetch(`${gw}/fn/neighbor/`)).text(), 'slow ok');
    const afterPids = hostPids();
    assert.equal(afterPids.length, 2);
    assert.equal(afterPids.filter((p) => before.includes(p)).length, 1, 'tenant-b kept its host; tenant-a has a new one');
    const ev = await d.api<{ events: Array<{ topic: string; message: string }> }>('GET', '/v1/events?prefix=/functions/host-crashed');
    assert.ok(JSON.stringify(ev.body).includes('ns-tenant-a'), JSON.stringify(ev.body).slice(0, 300));
  });

  test('--own-host gives a function a host of its own', async () => {
    await deploy('alone', STEADY, ['-n', 'tenant-b', '--own-host']);
    assert.equal((await fetch(`${gw}/fn/alone/`)).status, 200);
    const cgs = hostPids().map((p) => readFileSync(`/proc/${p}/cgroup`, 'utf8'));
    assert.ok(cgs.some((c) => /memory:\/llmos-functions\/[0-9a-f]{12}\/fn-alone/.test(c)));
  });

  test('stopping the daemon ends its hosts and removes their cgroups', async () => {
    const pids = hostPids();
    const memDir = readFileSync(`/proc/${pids[0]}/cgroup`, 'utf8').match(/memory:(\S+)/)![1]!;
    await d.stop({ keepData: true });
    for (const p of pids) assert.equal(existsSync(`/proc/${p}`), false, `host ${p} still runs`);
    assert.equal(existsSync(`/sys/fs/cgroup/memory${path.dirname(memDir)}`), false, 'the daemon cgroup dir is gone');
  });
});
