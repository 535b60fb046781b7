#!/usr/bin/env node
// Build step: bundles the daemon (dist/src/daemon.js and every module it loads) into one file,
// dist/daemon.mjs, which `llmos up` runs. Node spends most of a cold start resolving and loading
// hundreds of small files; one file boots several hundred milliseconds sooner (bench/boot).
// Native addons and packages loaded on demand stay external.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/src/daemon.js'],
  outfile: 'dist/daemon.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  external: ['better-sqlite3', 'isolated-vm', 'esbuild', 'typescript', 'playwright-core'],
  // Bundled CommonJS packages call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __llmosRequire } from 'node:module'; const require = __llmosRequire(import.meta.url);" },
});
