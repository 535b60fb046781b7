// The dashboard's Nodes page in a real browser (Debian Chromium + playwright-core) against a real
// server with two joined agents: status, roles, zone/cloud, pod subnet, capacity, heartbeat, and
// the cordon/uncordon buttons changing the node record.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createToken, nodesJson, startAgent, startServer, withConfig } from '../support/cluster.js';
import type { TestDaemon } from '../support/daemon.js';
import { browserSkipReason, chromiumPath, ensureDashboardBuilt } from '../dashboard/browser.js';

const skip = browserSkipReason() || (!existsSync('/usr/bin/openssl') ? 'openssl missing' : false);

let server: (TestDaemon & { url: string }) | undefined;
const agents: TestDaemon[] = [];
const dirs: string[] = [];
let b: BrowserContext | undefined;
let page: Page;

before(async () => {
  if (skip) return;
  await ensureDashboardBuilt();
  server = await startServer();
  const token = await createToken(server);
  for (const [name, zone, cloud] of [['pn1', 'z1', 'private'], ['pn2', 'z2', 'public']] as const) {
    // No network module on these agents: they report no pod subnet, so the server allocates one.
    const dir = await withConfig({ modules: { network: { enabled: false } } });
    dirs.push(dir);
    agents.push(await startAgent(server.url, token, name, { dataDir: dir, extra: ['--node-label', `llmos.io/zone=${zone}`, '--node-label', `llmos.io/cloud=${cloud}`] }));
  }
  // As dashboard/browser.ts launches it, and accepting the server's certificate (signed by the cluster CA, which Chromium does not know).
  const profile = await mkdtemp(path.join(os.tmpdir(), 'llmos-chromium-'));
  dirs.push(profile);
  b = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, ignoreHTTPSErrors: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'], viewport: { width: 1360, height: 900 } });
  b.setDefaultTimeout(20_000);
  page = b.pages()[0] ?? (await b.newPage());
});

after(async () => {
  await b?.close();
  for (const a of agents) await a.finish();
  await server?.finish();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test('the Nodes page lists the nodes and cordons and uncordons one', { skip, timeout: 120_000 }, async () => {
  const s = server!;
  await page.goto(`${s.url}/ui/`);
  await page.fill('input[name=token]', s.token);
  await page.click('button[type=submit]');
  await page.goto(`${s.url}/ui/#/nodes`);
  for (const n of ['pn1', 'pn2']) await page.locator(`[data-status="${n}"]`, { hasText: 'Ready' }).waitFor();
  const row = page.locator('tr[data-key="pn2"]');
  const text = await row.innerText();
  assert.match(text, /worker/);
  assert.match(text, /z2 \/ public/);
  assert.match(text, /10\.89\.\d+\.0\/24/);
  assert.match(text, /cores/);
  assert.match(await page.locator('[data-heartbeat="pn2"]').innerText(), /ago|now|s$/);

  await page.click('button[data-action=cordon][data-node="pn1"]');
  await page.locator('[data-status="pn1"]', { hasText: 'Cordoned' }).waitFor();
  assert.equal((await nodesJson(s)).find((n) => n.name === 'pn1')!.unschedulable, true);
  await page.click('button[data-action=uncordon][data-node="pn1"]');
  await page.locator('button[data-action=cordon][data-node="pn1"]').waitFor();
  assert.equal((await nodesJson(s)).find((n) => n.name === 'pn1')!.unschedulable, false);
});
