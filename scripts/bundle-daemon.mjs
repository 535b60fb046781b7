#!/usr/bin/env node
// Build step: bundles the daemon (dist/src/daemon.js and every module it loads) into
// dist/src/daemon-bundle/, which `llmos up` runs through dist/daemon.mjs (a one-line re-export,
// the stable name system.ts and the contract test import). Node spends most of a cold start
// resolving and loading hundreds of small files; one file boots several hundred milliseconds
// sooner (bench/boot). What the daemon imports with import() (undici, the registry client's, on
// the first pull) becomes a chunk of its own that is neither parsed nor held in memory until then.
// Native addons and packages loaded on demand stay external.
import { build } from 'esbuild';
import { rm, writeFile } from 'node:fs/promises';
import { keepFileUrls, writeAscii } from './bundle-common.mjs';

const outdir = 'dist/src/daemon-bundle';
await rm(outdir, { recursive: true, force: true }); // chunk names carry hashes: no stale ones
await writeAscii(await build({
  entryPoints: { daemon: 'dist/src/daemon.js' },
  outdir,
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  outExtension: { '.js': '.mjs' },
  sourcemap: 'linked', // read only with NODE_OPTIONS=--enable-source-maps (bin/llmos says why)
  logLevel: 'warning',
  write: false,
  external: ['better-sqlite3', 'isolated-vm', 'esbuild', 'typescript', 'playwright-core'],
  plugins: [keepFileUrls(outdir)],
  // Bundled CommonJS packages call require(); give the ESM chunks one.
  banner: { js: "import { createRequire as __llmosRequire } from 'node:module'; const require = __llmosRequire(import.meta.url);" },
}));
await rm('dist/daemon.mjs.map', { force: true }); // from the single-file bundle of earlier builds
await writeFile('dist/daemon.mjs', "// Built by scripts/bundle-daemon.mjs: the daemon's bundle.\nexport * from './src/daemon-bundle/daemon.mjs';\n");
