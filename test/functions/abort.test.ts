// End to end: a client that goes away before its answer cancels the invocation. The handler spins
// (or awaits forever) under a 30 s CPU limit and a 60 s timeout, so without cancellation it would
// hold its instance and burn its host's CPU for that long; with it the instance is freed at once,
// the host's CPU use stops, and the function serves the next request from a new instance.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { untilNoLeaks } from '../support/leaks.js';
import { until } from '../support/until.js';

const SPIN = `export default { async fetch(req) {
  if (new URL(req.url).pathname === '/ok') return new Response('ok');
  for (;;) {} } };`;
const HANG = `export default { async fetch(req) {
  if (new URL(req.url).pathname === '/ok') return new Response('ok');
  await new Promise(() => {}); } };`;

let d: TestDaemon;

interface Info {
  instances: Array<{ id: string }>;
  stats: { inflight: number; instances: number };
}
const info = async (name: string) => (await d.api<Info>('GET', `/v1/functions/${name}`)).body;

/** CPU seconds (user + system) of a process, from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // fields 14 and 15, in clock ticks (USER_HZ 100)
}

function hostPid(): number {
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('host-main.js') && readFileSync(`/proc/${e}/status`, 'utf8').includes(`PPid:\t${d.proc.pid}\n`)) return Number(e);
    } catch {
      continue;
    }
  }
  throw new Error('no function host');
}

/** Starts a request and returns a way to drop its connection (the client going away). */
function startRequest(url: string): { abort(): void; settled: Promise<string> } {
  const req = request(url);
  const settled = new Promise<string>((resolve) => {
    req.on('response', (res) => resolve(`answered ${res.statusCode}`));
    req.on('error', (e) => resolve(`client error ${e.message}`));
  });
  req.end();
  return { abort: () => req.destroy(), settled };
}

async function deploy(name: string, code: string): Promise<void> {
  const r = await d.api('POST', '/v1/functions', { name, code: { files: { 'index.js': code }, entry: 'index.js' }, cpu: '30s', timeout: '60s' });
  assert.ok(r.status < 300, JSON.stringify(r.body));
  assert.equal(await (await fetch(`${d.gateway}/fn/${name}/ok`)).text(), 'ok');
}

before(async () => {
  d = await startDaemon();
  await deploy('spin', SPIN);
  await deploy('hang', HANG);
});

after(async () => {
  const dataDir = d.dataDir;
  await d?.stop({ keepData: true });
  await untilNoLeaks(dataDir);
});

describe('a client that goes away cancels its invocation', () => {
  test('a spinning handler: the instance is freed and the host stops using CPU', async () => {
    const pid = hostPid();
    const first = (await info('spin')).instances[0]!.id;
    const r = startRequest(`${d.gateway}/fn/spin/`);
    await until('the request is running', async () => (await info('spin')).stats.inflight === 1, 10_000, 20);
    // The spin runs: the host's CPU time grows.
    const c0 = cpuSeconds(pid);
    await until('the host spins', async () => cpuSeconds(pid) - c0 >= 0.2, 10_000, 20);
    r.abort();
    assert.match(await r.settled, /client error/);
    await until('the spinning instance is gone', async () => !(await info('spin')).instances.some((i) => i.id === first), 10_000, 50);
    // CPU metering stops: over a stretch of polls the host uses (almost) no CPU any more.
    let last = { at: performance.now(), cpu: cpuSeconds(pid) };
    await until('the host is quiet', async () => {
      const now = { at: performance.now(), cpu: cpuSeconds(pid) };
      const wall = (now.at - last.at) / 1000;
      if (wall < 0.5) return false;
      const busy = (now.cpu - last.cpu) / wall;
      last = now;
      return busy < 0.3;
    }, 10_000, 100);
    const res = await fetch(`${d.gateway}/fn/spin/ok`);
    assert.equal(await res.text(), 'ok');
    const logs = (await d.api<{ logs: Array<{ text: string }> }>('GET', '/v1/functions/spin/logs?tail=50')).body.logs;
    assert.ok(logs.some((l) => /client closed the connection/.test(l.text)), JSON.stringify(logs));
  });

  test('a handler awaiting forever: the instance is freed at once, not at its 60 s timeout', async () => {
    const first = (await info('hang')).instances[0]!.id;
    const r = startRequest(`${d.gateway}/fn/hang/`);
    await until('the request is running', async () => (await info('hang')).stats.inflight === 1, 10_000, 20);
    r.abort();
    await until('the hanging instance is gone', async () => {
      const i = await info('hang');
      return i.stats.inflight === 0 && !i.instances.some((x) => x.id === first);
    }, 10_000, 50);
    assert.equal(await (await fetch(`${d.gateway}/fn/hang/ok`)).text(), 'ok');
  });
});
