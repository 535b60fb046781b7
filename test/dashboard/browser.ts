// Headless Debian Chromium driven by playwright-core, with a fresh profile per run (removed on close),
// and the dashboard build the daemon serves.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { projectRoot } from '../support/daemon.js';

const run = promisify(execFile);
export const chromiumPath = '/usr/bin/chromium';

export function browserSkipReason(): string | false {
  return existsSync(chromiumPath) ? false : `${chromiumPath} is not installed (Debian package chromium)`;
}

/** Builds the dashboard when dist/web is missing (a plain `tsc` build does not run Vite). */
export async function ensureDashboardBuilt(): Promise<void> {
  if (existsSync(path.join(projectRoot, 'dist', 'web', 'index.html'))) return;
  await run(path.join(projectRoot, 'node_modules', '.bin', 'vite'), ['build', 'web', '--logLevel', 'warn'], { cwd: projectRoot, timeout: 120_000 });
}

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'llmos-chromium-'));
  // launchPersistentContext passes --user-data-dir itself and adds --headless with headless: true.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1360, height: 900 },
    deviceScaleFactor: 1,
  });
  context.setDefaultTimeout(20_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
