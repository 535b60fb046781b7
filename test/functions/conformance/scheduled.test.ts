// Handlers beyond fetch, end to end: a cron trigger runs `scheduled(event, env, ctx)` when the
// module has one (else it posts to fetch, as before), and no request through the gateway can.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../../support/daemon.js';
import { until } from '../../support/until.js';

let d: TestDaemon;
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-scheduled-'));
  d = await startDaemon();
  assert.ok(d.gateway, `no gateway:\n${d.output()}`);
});

after(async () => {
  await d?.stop();
  await rm(dir, { recursive: true, force: true });
});

const logs = async (name: string) => (await d.api<{ logs: Array<{ text: string }> }>('GET', `/v1/functions/${name}/logs?tail=200`)).body.logs.map((l) => l.text);

async function deploy(name: string, code: string, args: string[] = []): Promise<void> {
  const f = path.join(dir, `${name}.js`);
  await writeFile(f, code);
  const r = await d.cli(['fn', 'deploy', name, '--code', f, ...args]);
  assert.equal(r.code, 0, r.stderr);
}

test('cron calls scheduled() with the event, env and a ctx whose waitUntil work runs', { timeout: 60_000 }, async () => {
  await deploy('sched', `export default {
    fetch: () => new Response('fetch'),
    async scheduled(event, env, ctx) {
      console.log('scheduled ' + event.cron + ' ' + (typeof event.scheduledTime) + ' ' + env.X);
      ctx.waitUntil(new Promise((r) => setTimeout(r, 5)).then(() => console.log('background done')));
    },
  };`, ['--schedule', '* * * * * *', '--env', 'X=y']);
  await until('a scheduled run in the logs', async () => (await logs('sched')).some((t) => t === 'scheduled * * * * * * number y'), 20_000);
  await until('its waitUntil work', async () => (await logs('sched')).includes('background done'), 20_000);
  assert.ok(!(await logs('sched')).some((t) => /function answered 500/.test(t)));
});

test('without scheduled(), cron posts to fetch as before', { timeout: 60_000 }, async () => {
  await deploy('cronfetch', `export default { fetch: (r) => { console.log('fetch ' + r.method + ' ' + r.headers.get('x-llmos-trigger')); return new Response('ok'); } };`, ['--schedule', '* * * * * *']);
  await until('a cron POST to fetch', async () => (await logs('cronfetch')).includes('fetch POST cron'), 20_000);
});

test('the scheduled method cannot come through the gateway', { timeout: 30_000 }, async () => {
  await deploy('nosched', `export default { fetch: () => new Response('fetch'), scheduled: () => console.log('ran scheduled') };`);
  const { hostname, port } = new URL(d.gateway!);
  const reply = await new Promise<string>((resolve, reject) => {
    const s = net.connect(Number(port), hostname, () => s.write(`LLMOS-SCHEDULED /fn/nosched/ HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`));
    let out = '';
    s.on('data', (b) => (out += b));
    s.on('end', () => resolve(out));
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
  assert.match(reply, /^HTTP\/1\.1 400/);
  const ok = await fetch(`${d.gateway}/fn/nosched/`);
  assert.equal(await ok.text(), 'fetch');
  assert.ok(!(await logs('nosched')).includes('ran scheduled'));
});
