#!/usr/bin/env node
// Build step: bundles the CLI (dist/src/cli/bin.js) into dist/src/cli-bundle/, which bin/llmos
// runs. Node spends most of a short command's time resolving and loading small files; one entry
// chunk (main, commander, the client) plus one chunk per command group, loaded only when its
// command runs, starts several times sooner (bench/cli). Each group stays a separate chunk because
// main.ts imports it with import().
import { build } from 'esbuild';
import { keepFileUrls, writeAscii } from './bundle-common.mjs';
import { rm } from 'node:fs/promises';

const outdir = 'dist/src/cli-bundle';

await rm(outdir, { recursive: true, force: true }); // chunk names carry hashes: no stale ones
await writeAscii(await build({
  entryPoints: { main: 'dist/src/cli/bin.js' },
  outdir,
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  outExtension: { '.js': '.mjs' },
  logLevel: 'warning',
  write: false,
  // Native addons stay outside (`store` opens the SQLite file offline); `llmos up` imports
  // dist/daemon.mjs, its own bundle, by a computed URL that esbuild leaves alone.
  external: ['better-sqlite3', 'isolated-vm', 'esbuild', 'typescript', 'playwright-core'],
  plugins: [keepFileUrls(outdir)],
  // Bundled CommonJS packages (commander, yaml) call require(); give the ESM chunks one.
  banner: { js: "import { createRequire as __llmosRequire } from 'node:module'; const require = __llmosRequire(import.meta.url);" },
}));
