// The dashboard end to end: a real daemon, the real Vite build served at /ui, headless Chromium.
// Set LLMOS_SCREENSHOTS=DIR to save a PNG of each page there (docs/screenshots in the repo).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { projectRoot, startDaemon, type TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { browserSkipReason, ensureDashboardBuilt, launchBrowser, type TestBrowser } from './browser.js';
import { writeWorldCupSeries } from '../../src/sim/synthetic-traces.js';

interface ModuleStatus {
  name: string;
  kind: string;
  state: string;
  required: boolean;
  requires: string[];
}

const skip = browserSkipReason();
const shots = process.env.LLMOS_SCREENSHOTS;
const started = Date.now();

async function screenshot(page: Page, name: string): Promise<void> {
  if (!shots) return;
  await mkdir(shots, { recursive: true });
  await page.evaluate("document.getElementById('toasts')?.replaceChildren()");
  await page.waitForTimeout(400); // let charts finish their first frame
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

describe('dashboard in a real browser', { skip }, () => {
  let d: TestDaemon;
  let b: TestBrowser;
  let page: Page;
  let registry: TestRegistry | undefined;
  let pulled: string | undefined;

  before(async () => {
    await ensureDashboardBuilt();
    d = await startDaemon();
    b = await launchBrowser();
    page = b.page;
  });
  after(async () => {
    await b?.close();
    await d?.stop();
    await registry?.stop();
  });

  const modules = async () => (await d.api<{ modules: ModuleStatus[] }>('GET', '/v1/modules')).body.modules;
  const go = async (p: string) => {
    await page.goto(`${d.host}/ui/#/${p}`);
    await page.locator(`.page[data-page="${p}"]`).waitFor();
  };
  /** Screenshots only: invocations of hello for `seconds`, in waves of up to `peak` at once, so charts have a shape. */
  const traffic = async (seconds: number, peak = 4) => {
    const body = Buffer.from('traffic').toString('base64');
    const slow = "export default { async fetch(req) { await new Promise((r) => setTimeout(r, 400)); return new Response('hello ' + (await req.text())); } }";
    if (peak > 4) await d.api('POST', '/v1/functions', { name: 'hello', code: { files: { 'index.js': slow } } });
    // `peak` workers, of which a slow wave keeps 1..peak busy: sustained, varying concurrency.
    const start = Date.now();
    await Promise.all(
      Array.from({ length: peak }, async (_, i) => {
        while (Date.now() - start < seconds * 1000) {
          const active = Math.max(1, Math.round(peak * (0.5 + 0.5 * Math.sin((Date.now() - start) / 6000))));
          if (i < active) await d.api('POST', '/v1/functions/hello/invoke', { method: 'POST', path: '/', body });
          else await new Promise((r) => setTimeout(r, 200));
        }
      }),
    );
  };
  /** Why a test that needs this module cannot run, or false when it is loaded. */
  const moduleMissing = async (name: string): Promise<string | false> => {
    const m = (await modules()).find((x) => x.name === name);
    return m?.state === 'loaded' ? false : `the ${name} module is ${m ? m.state : 'not in this build'}`;
  };

  test('the files are public, the data is not', async () => {
    const ui = await fetch(`${d.host}/ui`, { redirect: 'manual' });
    assert.equal(ui.status, 302);
    assert.equal(ui.headers.get('location'), '/ui/');
    const index = await fetch(`${d.host}/ui/`);
    assert.equal(index.status, 200);
    assert.match(await index.text(), /<div id="app">/);
    assert.equal((await fetch(`${d.host}/ui/functions`)).status, 200, 'page paths fall back to the app');
    assert.equal((await fetch(`${d.host}/ui/assets/missing.js`)).status, 404);
    assert.equal((await fetch(`${d.host}/ui/..%2f..%2fpackage.json`)).status, 404);
    assert.equal((await fetch(`${d.host}/v1/status`)).status, 401);
  });

  test('a wrong token is refused on the sign-in form', async () => {
    await page.goto(`${d.host}/ui/`);
    await page.fill('input[name=token]', 'not-the-token');
    await page.click('button[type=submit]');
    await page.locator('.login-error', { hasText: 'not accepted' }).waitFor();
    await screenshot(page, 'login');
  });

  test('the route types were generated from the document the daemon serves', async () => {
    // scripts/openapi.mjs builds dist/openapi.json in-process at build time; web/src/api-schema.gen.ts
    // comes from it. Both must describe the API the running daemon serves.
    const built = JSON.parse(await readFile(path.join(projectRoot, 'dist', 'openapi.json'), 'utf8')) as { paths: Record<string, unknown> };
    const served = await d.api<{ paths: Record<string, unknown> }>('GET', '/v1/openapi.json');
    assert.equal(served.status, 200);
    assert.deepEqual(served.body.paths, built.paths);
    assert.ok(Object.keys(built.paths).length > 50, 'every route group is in the document');
    const gen = await readFile(path.join(projectRoot, 'web', 'src', 'api-schema.gen.ts'), 'utf8');
    for (const p of Object.keys(built.paths)) assert.ok(gen.includes(`"${p}": {`), `${p} is in the generated types`);
  });

  test('signs in with the token and shows the boot timeline', async () => {
    await page.goto(`${d.host}/ui/`);
    await page.fill('input[name=token]', d.token);
    await page.click('button[type=submit]');
    await page.locator('.page[data-page="overview"]').waitFor();
    const chart = page.locator('.boot-chart[data-stages="5"] canvas');
    await chart.waitFor();
    for (const stage of ['load-image', 'probe-hardware', 'start-kernel-services', 'load-modules', 'start-init']) {
      await page.locator('td', { hasText: stage }).first().waitFor();
    }
    await page.locator('.live-dot.on').waitFor();
    assert.equal(await page.evaluate("sessionStorage.getItem('llmos.token')"), d.token);
    await screenshot(page, 'overview');
  });

  test('unloads and reloads a module from the modules table', async () => {
    const ms = await modules();
    const loadedKinds = (m: ModuleStatus) => ms.some((o) => o.state === 'loaded' && o.requires.includes(m.kind));
    const free = ms.filter((m) => m.state === 'loaded' && !m.required && !loadedKinds(m));
    // Any real module nothing else needs; the dashboard itself only if it is the only one.
    const m = free.find((x) => x.name !== 'dashboard') ?? free[0];
    assert.ok(m, `no unloadable module among ${ms.map((x) => x.name).join(', ')}`);
    await go('overview');
    await page.click(`button[data-action=unload][data-module="${m.name}"]`);
    await page.locator(`tr[data-key="${m.name}"] .badge`, { hasText: /^unloaded$/ }).waitFor();
    assert.equal((await modules()).find((x) => x.name === m.name)?.state, 'unloaded');
    // The event reaches the live feed without a reload.
    await page.locator('.event', { hasText: `module ${m.kind}` }).first().waitFor();
    await page.click(`button[data-action=load][data-module="${m.name}"]`);
    await page.locator(`tr[data-key="${m.name}"] .badge`, { hasText: /^loaded$/ }).waitFor();
    assert.equal((await modules()).find((x) => x.name === m.name)?.state, 'loaded');
  });

  test('deploys a function, invokes it from the Try it box and sees its invocation count rise', async (t) => {
    const missing = await moduleMissing('functions');
    if (missing) return t.skip(missing);
    const code = "export default { async fetch(req) { const b = await req.text(); return new Response('hello ' + (b || 'world')); } }";
    const dep = await d.api('POST', '/v1/functions', { name: 'hello', code: { files: { 'index.js': code } } });
    assert.ok(dep.status === 201 || dep.status === 200, JSON.stringify(dep.body));
    try {
      await go('functions');
      await page.locator('tr[data-key="hello"]').waitFor();
      const count = page.locator('[data-metric=invocations]');
      await count.waitFor();
      const before = Number((await count.innerText()).replace(/\D/g, '') || 0);
      for (let i = 1; i <= 3; i++) {
        await page.fill('textarea[aria-label="request body"]', `dashboard ${i}`);
        await page.click('button[data-action=invoke]');
        await page.locator('pre[data-output]', { hasText: `hello dashboard ${i}` }).waitFor();
      }
      await page.locator('pre[data-output] [data-status="200"]').waitFor();
      // The count comes from the API's stats on the next refresh, without a reload.
      await page.waitForFunction(`Number(document.querySelector('[data-metric=invocations]')?.textContent?.replace(/\\D/g, '') || 0) >= ${before + 3}`);
      if (shots) {
        await traffic(40);
        await page.locator('.stat-value', { hasText: / ms|µs/ }).first().waitFor();
      }
      await screenshot(page, 'functions');
    } catch (e) {
      await d.api('DELETE', '/v1/functions/hello');
      throw e;
    }
  });

  test('shows an autoscaler of the function with its decision log', async (t) => {
    if (!(await d.api('GET', '/v1/functions/hello')).status.toString().startsWith('2')) return t.skip('the function test above did not deploy hello');
    const missing = await moduleMissing('autoscaler');
    if (missing) return t.skip(missing);
    try {
      const put = await d.api('POST', '/v1/autoscalers', { name: 'hello', target: 'function/hello', policy: 'concurrency', min: 1, max: 4, metrics: [{ metric: 'concurrency', target: 1 }], periodMs: 500 });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      await go('autoscaling');
      await page.locator('tr[data-key="default/hello"]').waitFor();
      // Every control step is in the log: the page shows the controller's recorded decisions.
      await page.locator('.page[data-page="autoscaling"] .events td strong', { hasText: 'function/hello' }).first().waitFor();
      await page.locator('.page[data-page="autoscaling"] .chart canvas').first().waitFor();
      if (shots) {
        await traffic(45, 6);
        await page.waitForTimeout(3500);
      }
      await screenshot(page, 'autoscaling');
    } finally {
      // hello stays deployed for the overview below; the daemon's data dir goes with it in after().
      await d.api('DELETE', '/v1/autoscalers/default/hello');
    }
  });

  test('pulls an image with progress and lists it', async (t) => {
    const missing = registrySkipReason() || (await moduleMissing('images'));
    if (missing) return t.skip(missing);
    registry = await startRegistry();
    const img = await pushBusyboxImage(registry, 'dash/busybox', { cmd: ['/bin/sh', '-c', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 1; done'] });
    await go('images');
    await page.fill('input[aria-label="image reference"]', img.ref);
    await page.click('button[data-action=pull]');
    await page.locator(`[data-pulled="${img.ref}"]`).waitFor({ timeout: 60_000 });
    await page.locator('td', { hasText: img.ref }).first().waitFor();
    const list = (await d.api<{ images: { repoTags: string[] }[] }>('GET', '/v1/images')).body.images;
    assert.ok(list.some((i) => i.repoTags.includes(img.ref)));
    pulled = img.ref;
    await screenshot(page, 'images');
  });

  test("follows a container's logs live and stops it from the page", async (t) => {
    const missing = (await moduleMissing('containers')) || (pulled ? false : 'no image was pulled (see the test above)');
    if (missing) return t.skip(missing);
    const run = await d.api<{ id: string }>('POST', '/v1/containers?start=true', { name: 'dash-ticker', image: pulled, network: 'none', init: true, cpus: 0.2, memory: 64 * 2 ** 20 });
    assert.equal(run.status, 201, JSON.stringify(run.body));
    try {
      await go('containers');
      await page.locator('tr[data-key="dash-ticker"] .badge', { hasText: 'running' }).waitFor();
      await page.click('button[data-action=logs][data-container="dash-ticker"]');
      // Lines written after the tail opened arrive without a reload.
      await page.locator('pre.logs', { hasText: 'tick 1' }).waitFor();
      await page.locator('pre.logs', { hasText: 'tick 3' }).waitFor();
      await screenshot(page, 'containers');
      await page.click('button[data-action=stop][data-container="dash-ticker"]');
      await page.locator('tr[data-key="dash-ticker"] .badge', { hasText: 'exited' }).waitFor({ timeout: 30_000 });
      const c = await d.api<{ state: string }>('GET', '/v1/containers/dash-ticker');
      assert.equal(c.body.state, 'exited');
    } finally {
      await d.api('DELETE', '/v1/containers/dash-ticker?force=true');
    }
  });

  test('scales a service from the page', async (t) => {
    const missing = (await moduleMissing('services')) || (pulled ? false : 'no image was pulled (see the test above)');
    if (missing) return t.skip(missing);
    const created = await d.api('POST', '/v1/services', { apiVersion: 'llmos.io/v1', kind: 'Service', metadata: { name: 'dash-web' }, spec: { image: pulled, replicas: 2, resources: { limits: { cpu: '100m', memory: '32Mi' } } } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    try {
      await go('containers');
      await page.locator('td', { hasText: /^2 \/ 2$/ }).waitFor({ timeout: 60_000 });
      if (shots) {
        // The overview while things run: two replicas and the function from the tests above.
        await go('overview');
        await page.locator('.page[data-page="overview"] td', { hasText: 'dash-web' }).first().waitFor();
        await page.waitForTimeout(1500);
        await screenshot(page, 'overview');
        await go('containers');
        await page.locator('td', { hasText: /^2 \/ 2$/ }).waitFor();
      }
      await page.fill('input[aria-label="replicas of dash-web"]', '1');
      await page.click('button[data-action=scale][data-service="dash-web"]');
      await page.locator('td', { hasText: /^1 \/ 1$/ }).waitFor({ timeout: 60_000 });
      const svc = await d.api<{ spec: { replicas: number } }>('GET', '/v1/services/dash-web');
      assert.equal(svc.body.spec.replicas, 1);
      if (shots) {
        await page.waitForFunction(`document.querySelectorAll('tr[data-key^="dash-web-"]').length === 1`);
        await page.click('tr[data-key^="dash-web-"] button[data-action=logs]');
        await page.locator('pre.logs', { hasText: 'tick 3' }).waitFor();
      }
      await screenshot(page, 'containers');
    } finally {
      await d.api('DELETE', '/v1/services/dash-web');
    }
  });

  test('opens a report of a real `llmos sim` run and charts it', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'llmos-dash-sim-'));
    try {
      // A generated WorldCup98-format day (the real trace is not in the repository).
      const trace = writeWorldCupSeries(path.join(out, 'trace', 'invocation_count.csv'), { seed: 2, from: '1998-06-10', days: 1 });
      const sim = await d.cli(['sim', 'service', '--trace', trace, '--from', '1998-06-10', '--to', '1998-06-11', '--out', out], { timeoutMs: 120_000 });
      assert.equal(sim.code, 0, sim.stderr);
      const json = (await readdir(out)).find((f) => f.endsWith('.json'));
      assert.ok(json, `no JSON report in ${out}`);
      const report = JSON.parse(await readFile(path.join(out, json), 'utf8')) as { policies: { name: string }[] };
      await go('simulator');
      await page.setInputFiles('input[type=file]', path.join(out, json));
      for (const p of report.policies) await page.locator('td strong', { hasText: new RegExp(`^${p.name}$`) }).waitFor();
      // One chart of demand vs replicas over the trace, and one bar chart per reported metric.
      await page.locator('.page[data-page="simulator"] .chart canvas').nth(1).waitFor();
      await screenshot(page, 'simulator');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  test('every page renders, and a page whose module is missing says so', async () => {
    for (const p of ['containers', 'functions', 'autoscaling', 'images', 'simulator']) {
      if (shots && existsSync(path.join(shots, `${p}.png`)) && statSync(path.join(shots, `${p}.png`)).mtimeMs > started) continue; // a test above took a better one
      await go(p);
      await page.locator(`.page[data-page="${p}"] .card`).first().waitFor();
      // Either data, an empty state, or a plain "unavailable" notice; never an error page.
      assert.equal(await page.locator('.notice.bad').count(), 0, `${p} shows an error: ${await page.locator('.notice.bad').allInnerTexts()}`);
      await screenshot(page, p);
    }
  });

  test('the overview reflects what happened, from the live event feed and the monitor', async () => {
    await go('overview');
    await page.locator('.boot-chart canvas').waitFor();
    // Events of the earlier tests (deploys, pulls, containers) are in the feed, newest first.
    const topics = (await d.api<{ events: { topic: string }[] }>('GET', '/v1/events?limit=60')).body.events.map((e) => e.topic);
    const last = topics.at(-1)!;
    await page.locator('.event .topic', { hasText: last }).first().waitFor();
  });

  test('llmos ui prints the URL; unloading the dashboard module takes /ui offline', async () => {
    const human = await d.cli(['ui']);
    assert.equal(human.code, 0, human.stderr);
    assert.equal(human.stdout.split('\n')[0], `${d.host}/ui/`);
    const json = await d.cli(['--json', 'ui']);
    assert.equal((JSON.parse(json.stdout) as { url: string }).url, `${d.host}/ui/`);

    assert.equal((await d.api('POST', '/v1/modules/dashboard/unload')).status, 200);
    const off = await fetch(`${d.host}/ui/`);
    assert.equal(off.status, 503);
    assert.match(((await off.json()) as { error: string }).error, /dashboard/);
    const cli = await d.cli(['ui']);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /llmos modules load dashboard/);
    assert.equal((await d.api('POST', '/v1/modules/dashboard/load')).status, 200);
    assert.equal((await fetch(`${d.host}/ui/`)).status, 200);
  });
});
