// End to end: a real daemon, the real CLI, functions invoked over HTTP through the real gateway.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { startBroker, type Broker } from './mosquitto.js';
import { until } from '../support/until.js';

let d: TestDaemon;
let gw: string;
let dir: string;

const code = async (name: string, text: string): Promise<string> => {
  const p = path.join(dir, name);
  await writeFile(p, text);
  return p;
};

async function deploy(name: string, args: string[]): Promise<void> {
  const r = await d.cli(['fn', 'deploy', name, ...args]);
  assert.equal(r.code, 0, `deploy ${name}: ${r.stderr}`);
}


const inspect = async (name: string) => (await d.api<{ stats: { instances: number; ready: number; coldStarts: number }; instances: unknown[] }>('GET', `/v1/functions/${name}`)).body;
const logs = async (name: string) => (await d.api<{ logs: Array<{ level: string; text: string }> }>('GET', `/v1/functions/${name}/logs?tail=500`)).body.logs;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-fn-test-'));
  d = await startDaemon();
  assert.ok(d.gateway, `the daemon printed no gateway line:\n${d.output()}`);
  gw = d.gateway!;
});

after(async () => {
  await d?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('isolate functions over the gateway', () => {
  test('hello world with env, a secret and console capture', async () => {
    const s = await d.cli(['secret', 'create', 'API_KEY'], { input: 'k-123\n' });
    assert.equal(s.code, 0, s.stderr);
    const f = await code(
      'hello.ts',
      `export default {
        async fetch(request: Request, env: Record<string, string>): Promise<Response> {
          const url = new URL(request.url);
          console.log('hello from', url.pathname, { n: url.searchParams.get('name') });
          return new Response('hello ' + (url.searchParams.get('name') ?? 'world') + ' ' + env.GREETING + ' ' + env.API_KEY);
        },
      };`,
    );
    await deploy('hello', ['--code', f, '--env', 'GREETING=hi', '--secret', 'API_KEY']);
    const res = await fetch(`${gw}/fn/hello/some/path?name=ada`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'hello ada hi k-123');
    const lines = await logs('hello');
    assert.ok(lines.some((l) => l.level === 'log' && l.text === 'hello from /some/path {"n":"ada"}'), JSON.stringify(lines));
    const cliLogs = await d.cli(['fn', 'logs', 'hello']);
    assert.match(cliLogs.stdout, /hello from \/some\/path/);
    const inv = await d.cli(['fn', 'invoke', 'hello', '--path', '/?name=cli']);
    assert.equal(inv.stdout, 'hello cli hi k-123');
    // A secret in use cannot be removed.
    const rmSecret = await d.cli(['secret', 'rm', 'API_KEY']);
    assert.equal(rmSecret.code, 1);
    assert.match(rmSecret.stderr, /used by function hello/);
  });

  test('JSON echo from a directory with a relative import', async () => {
    const p = path.join(dir, 'echo');
    await mkdir(p, { recursive: true });
    await writeFile(path.join(p, 'shape.ts'), `export const shape = (body: unknown, method: string, h: string | null) => ({ got: body, method, h, id: crypto.randomUUID().length });`);
    await writeFile(path.join(p, 'index.ts'), `import { shape } from './shape';\nexport default { async fetch(req: Request) { return Response.json(shape(await req.json(), req.method, req.headers.get('x-thing')), { status: 201 }); } };`);
    await deploy('echo', ['--code', p]);
    const res = await fetch(`${gw}/fn/echo/`, { method: 'PUT', headers: { 'content-type': 'application/json', 'x-thing': 'yes' }, body: JSON.stringify({ a: [1, 2], s: 'héllo ✓' }) });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.deepEqual(await res.json(), { got: { a: [1, 2], s: 'héllo ✓' }, method: 'PUT', h: 'yes', id: 36 });
  });

  test('an endless loop hits the CPU limit; the instance is replaced', async () => {
    const f = await code('loop.js', `export default { async fetch(req) { if (new URL(req.url).pathname === '/spin') { while (true) {} } return new Response('alive'); } };`);
    await deploy('loop', ['--code', f, '--cpu', '200ms']);
    const res = await fetch(`${gw}/fn/loop/spin`);
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('x-llmos-failure'), 'cpu-limit');
    assert.match(((await res.json()) as { error: string }).error, /CPU time limit of 200 ms/);
    const again = await fetch(`${gw}/fn/loop/`);
    assert.equal(again.status, 200);
    assert.equal(await again.text(), 'alive');
  });

  test('a memory bomb hits the memory limit; the instance is replaced', async () => {
    const f = await code('bomb.js', `export default { async fetch(req) { if (new URL(req.url).pathname === '/bomb') { const a = []; for (;;) a.push(new Array(100000).fill(Math.random())); } return new Response('fine'); } };`);
    await deploy('bomb', ['--code', f, '--memory', '16m', '--cpu', '10s', '--timeout', '20s']);
    const res = await fetch(`${gw}/fn/bomb/bomb`);
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('x-llmos-failure'), 'memory-limit');
    assert.match(((await res.json()) as { error: string }).error, /memory limit of 16 MiB/);
    const again = await fetch(`${gw}/fn/bomb/`);
    assert.equal(await again.text(), 'fine');
  });

  test('a thrown error is a generic 500 with a request id, and lands in the logs', async () => {
    const f = await code('throw.js', `export default { async fetch() { throw new Error('kaboom 42'); } };`);
    await deploy('thrower', ['--code', f]);
    const res = await fetch(`${gw}/fn/thrower/`);
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('x-llmos-failure'), 'handler-error');
    assert.match(((await res.json()) as { error: string }).error, /^function thrower failed \(request id [0-9a-f-]{36}; the error is in llmos fn logs thrower\)$/);
    assert.ok((await logs('thrower')).some((l) => l.level === 'error' && /kaboom 42/.test(l.text)));
  });

  test('code that does not load is refused at deploy with a clear reason', async () => {
    const bad = await code('bad.ts', `export default { async fetch( { return 1 } };`);
    const r = await d.cli(['fn', 'deploy', 'bad', '--code', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot build function code: bad\.ts:1/);
    const noFetch = await code('nofetch.js', `export default { hello: 1 };`);
    const r2 = await d.cli(['fn', 'deploy', 'nofetch', '--code', noFetch]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /no default export with a fetch/);
    const ls = await d.cli(['fn', 'ls', '--json']);
    assert.ok(!(JSON.parse(ls.stdout) as Array<{ spec: { name: string } }>).some((f) => f.spec.name === 'bad' || f.spec.name === 'nofetch'));
  });

  test('a burst of concurrent cold requests is all answered', async () => {
    const f = await code('burst.js', `export default { async fetch(req) { await new Promise((r) => setTimeout(r, 20)); return new Response(new URL(req.url).searchParams.get('i')); } };`);
    await deploy('burst', ['--code', f, '--max', '3', '--concurrency', '2']);
    const n = 60;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => fetch(`${gw}/fn/burst/?i=${i}`).then(async (r) => [r.status, await r.text()] as const)));
    assert.deepEqual(results, Array.from({ length: n }, (_, i) => [200, String(i)]));
    const s = (await inspect('burst')).stats;
    assert.ok(s.coldStarts >= 1 && s.coldStarts <= 3, `cold starts ${s.coldStarts} within max 3`);
  });

  test('limits at the gateway: 413 body, 504 timeout, 429 queue full with Retry-After', async () => {
    const f = await code('slow.js', `export default { async fetch(req) { const ms = Number(new URL(req.url).searchParams.get('ms') ?? 0); await new Promise((r) => setTimeout(r, ms)); return new Response('done'); } };`);
    await deploy('slow', ['--code', f, '--body-limit', '1k', '--timeout', '300ms']);
    const big = await fetch(`${gw}/fn/slow/`, { method: 'POST', body: 'x'.repeat(2048) });
    assert.equal(big.status, 413);
    const late = await fetch(`${gw}/fn/slow/?ms=2000`);
    assert.equal(late.status, 504);
    assert.equal(late.headers.get('x-llmos-failure'), 'timeout');
    // One instance, one slot, one queue place: of three concurrent requests one is refused at once.
    await deploy('narrow', ['--code', f, '--max', '1', '--concurrency', '1', '--queue', '1']);
    assert.equal((await fetch(`${gw}/fn/narrow/`)).status, 200); // warm: the queue then holds only waiters
    const three = await Promise.all([1, 2, 3].map(() => fetch(`${gw}/fn/narrow/?ms=500`).then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), text: await r.text() }))));
    assert.deepEqual(three.map((r) => r.status).sort(), [200, 200, 429], JSON.stringify(three));
    assert.ok(Number(three.find((r) => r.status === 429)!.retryAfter) >= 1);
  });

  test('scale to zero after the keep-alive, and back from zero', async () => {
    const f = await code('nap.js', `export default { async fetch() { return new Response('up'); } };`);
    await deploy('nap', ['--code', f, '--keepalive', 'fixed:1s']);
    assert.equal(await (await fetch(`${gw}/fn/nap/`)).text(), 'up');
    assert.equal((await inspect('nap')).stats.instances, 1);
    await until('scale to zero', async () => (await inspect('nap')).stats.instances === 0);
    const again = await fetch(`${gw}/fn/nap/`);
    assert.equal(again.status, 200);
    assert.equal((await inspect('nap')).stats.coldStarts, 2);
  });

  test('--min keeps warm instances', async () => {
    const f = await code('warm.js', `export default { async fetch() { return new Response('warm'); } };`);
    await deploy('warm', ['--code', f, '--min', '2', '--keepalive', 'fixed:1s']);
    await until('2 warm instances', async () => (await inspect('warm')).stats.ready === 2);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await inspect('warm')).stats.ready, 2);
  });

  test('async invocation: 202 with an id, then the result', async () => {
    const f = await code('job.js', `export default { async fetch(req) { return Response.json({ got: await req.text() }); } };`);
    await deploy('job', ['--code', f, '--async-public']);
    const res = await fetch(`${gw}/async/fn/job/`, { method: 'POST', body: 'work item' });
    assert.equal(res.status, 202);
    const { id } = (await res.json()) as { id: string };
    const done = await until('async result', async () => {
      const r = await d.cli(['fn', 'result', id, '--json']);
      const rec = JSON.parse(r.stdout) as { status: string; result?: { status: number; body: string } };
      return rec.status === 'succeeded' ? rec : undefined;
    });
    assert.equal(done.result?.status, 200);
    assert.deepEqual(JSON.parse(done.result!.body), { got: 'work item' });
  });

  test('cron trigger fires the function', async () => {
    const f = await code('tick.js', `export default { async fetch(req) { console.log('tick via', req.headers.get('x-llmos-trigger')); return new Response('ok'); } };`);
    await deploy('tick', ['--code', f, '--schedule', '* * * * * *']);
    await until('a cron firing', async () => (await logs('tick')).some((l) => l.text === 'tick via cron'), 10_000);
    const rm = await d.cli(['fn', 'rm', 'tick']);
    assert.equal(rm.code, 0);
  });
});

describe('after a daemon restart', () => {
  test('deployed functions and secrets come back and answer', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'llmos-fn-restart-'));
    try {
      const first = await startDaemon({ dataDir });
      const f = path.join(dir, 'persist.ts');
      await writeFile(f, `export default { async fetch(req: Request, env: Record<string, string>) { return new Response('still here ' + env.S); } };`);
      assert.equal((await first.cli(['secret', 'create', 'S', '--from-literal', 'v1'])).code, 0);
      assert.equal((await first.cli(['fn', 'deploy', 'persist', '--code', f, '--secret', 'S'])).code, 0);
      await first.stop();
      const second = await startDaemon({ dataDir });
      try {
        const res = await fetch(`${second.gateway}/fn/persist/`);
        assert.equal(await res.text(), 'still here v1');
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('MQTT trigger through a real Mosquitto broker', () => {
  let broker: Broker | string;
  before(async () => {
    broker = await startBroker();
  });
  after(async () => {
    if (typeof broker !== 'string') await broker.stop();
  });

  test('a message on a matching topic invokes the function', async (t) => {
    if (typeof broker === 'string') return t.skip(broker);
    const url = broker.url;
    const f = await code('sensor.js', `export default { async fetch(req) { console.log('reading', req.headers.get('x-mqtt-topic'), await req.text()); return new Response('ok'); } };`);
    await deploy('sensor', ['--code', f, '--mqtt-topic', 'sensors/+/temp', '--mqtt-url', url]);
    await until('the subscription', async () => (await logs('sensor')).some((l) => /subscribed to sensors\/\+\/temp/.test(l.text)));
    const client = await mqtt.connectAsync(url);
    try {
      await client.publishAsync('sensors/kitchen/temp', '21.5', { qos: 1 });
      await until('the invocation', async () => (await logs('sensor')).some((l) => l.text === 'reading sensors/kitchen/temp 21.5'));
    } finally {
      await client.endAsync();
    }
  });
});

describe('image functions', () => {
  test('served from a real container', async (t) => {
    const mods = (await d.api<{ modules: Array<{ name: string; kind: string; state: string }> }>('GET', '/v1/modules')).body.modules;
    const containers = mods.find((m) => m.kind === 'llmos.containers.v1');
    if (!containers || containers.state !== 'loaded') return t.skip(`the containers module is ${containers ? containers.state : 'not built in'}; image functions need it`);
    const { imageFunctionCase } = await import('./image-case.js');
    const skipped = await imageFunctionCase(d, gw);
    if (skipped) t.skip(skipped);
  });
});
