// End to end: a real `llmos up` and the real CLI.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, runCli, type TestDaemon } from '../support/daemon.js';

let d: TestDaemon;
before(async () => {
  d = await startDaemon();
});
after(async () => {
  await d?.stop();
});

test('status --json shows the five boot stages with durations and the host probe', async () => {
  const r = await d.cli(['status', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.deepEqual(s.boot.stages.map((x: { stage: string }) => x.stage), ['load-image', 'probe-hardware', 'start-kernel-services', 'load-modules', 'start-init']);
  for (const st of s.boot.stages) assert.equal(typeof st.durationMs, 'number');
  assert.ok(s.host.cpus >= 1);
  assert.ok(s.host.memoryBytes > 0);
  assert.ok(['1', '2', 'hybrid', 'none'].includes(String(s.host.cgroup.version)));
  assert.ok('runc' in s.host.binaries && 'conmon' in s.host.binaries);
  assert.ok(s.modules.some((m: { name: string; state: string }) => m.name === 'api' && m.state === 'loaded'));
  const human = await d.cli(['status']);
  assert.match(human.stdout, /BOOT .*\n.*STAGE\s+START\s+DURATION/);
  assert.equal((await d.cli(['-o', 'json', 'modules'])).code, 0);
});

test('API calls without the token get 401; health needs none', async () => {
  const res = await fetch(`${d.host}/v1/status`);
  assert.equal(res.status, 401);
  assert.match(((await res.json()) as { error: string }).error, /token/);
  const wrong = await fetch(`${d.host}/v1/status`, { headers: { authorization: 'Bearer nope' } });
  assert.equal(wrong.status, 401);
  assert.equal((await fetch(`${d.host}/healthz`)).status, 200);
  const cli = await runCli(['status'], { env: { ...process.env, LLMOS_HOST: d.host, LLMOS_TOKEN: 'wrong' } as Record<string, string> });
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /^llmos: missing or invalid API token/);
});

test('malformed bodies get 400 with a message', async () => {
  const res = await fetch(`${d.host}/v1/modules/api/load`, { method: 'POST', headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' }, body: '{"broken' });
  assert.equal(res.status, 400);
  assert.ok(((await res.json()) as { error: string }).error.length > 0);
  const badQuery = await d.api('GET', '/v1/events?limit=-3');
  assert.equal(badQuery.status, 400);
  assert.match(JSON.stringify(badQuery.body), /limit/);
});

test('the OpenAPI document lists the routes', async () => {
  const doc = (await (await fetch(`${d.host}/v1/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
  assert.match(doc.openapi, /^3\./);
  assert.ok(doc.paths['/v1/status'] && doc.paths['/v1/modules/{name}/unload']);
});

test('modules unload of a required module is refused with a clear reason; unknown names too', async () => {
  const r = await d.cli(['modules', 'unload', 'api']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /cannot be unloaded|required by/);
  const u = await d.cli(['modules', 'load', 'no-such-module']);
  assert.equal(u.code, 1);
  assert.match(u.stderr, /no module named no-such-module/);
});

test('modules that others require are refused with their names; unload and load work at run time', async () => {
  const list = JSON.parse((await d.cli(['modules', '--json'])).stdout) as Array<{ name: string; state: string; required: boolean; kind: string; requires: string[] }>;
  const loaded = list.filter((m) => m.state === 'loaded' && !m.required);
  const needed = loaded.find((m) => list.some((o) => o.state === 'loaded' && o.requires.includes(m.kind)));
  if (needed) {
    const r = await d.cli(['modules', 'unload', needed.name]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /required by/);
  }
  const leaf = loaded.find((m) => !list.some((o) => o.state === 'loaded' && o.requires.includes(m.kind)));
  if (!leaf) return; // only required modules are loaded in this build
  assert.equal((await d.cli(['modules', 'unload', leaf.name])).code, 0);
  const after1 = JSON.parse((await d.cli(['modules', '--json'])).stdout) as Array<{ name: string; state: string }>;
  assert.equal(after1.find((m) => m.name === leaf.name)!.state, 'unloaded');
  assert.equal((await d.cli(['modules', 'load', leaf.name])).code, 0);
});

test('the daemon killed with SIGKILL restarts on the same data with its state', async () => {
  const own = await startDaemon();
  try {
    const token = own.token;
    // Committed just before the SIGKILL: a run-time unload, kept in the store.
    assert.equal((await own.cli(['modules', 'unload', 'autoscaler'])).code, 0);
    await own.kill();
    const again = await startDaemon({ dataDir: own.dataDir });
    try {
      assert.equal(again.token, token, 'the token survives');
      const r = await again.cli(['status', '--json']);
      assert.equal(r.code, 0);
      const mods = JSON.parse((await again.cli(['modules', '--json'])).stdout) as Array<{ name: string; state: string }>;
      assert.equal(mods.find((m) => m.name === 'autoscaler')?.state, 'unloaded', 'the unload survived the SIGKILL');
      const ev = JSON.parse((await again.cli(['events', '--json', '--prefix', '/modules'])).stdout) as Array<{ message: string }>;
      assert.ok(ev.some((e) => /autoscaler.* unloaded/.test(e.message)), 'events from before the SIGKILL are kept');
    } finally {
      await again.stop({ keepData: true });
    }
  } finally {
    await own.stop();
  }
});
