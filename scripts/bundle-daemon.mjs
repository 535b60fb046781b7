#!/usr/bin/env node
// Build step: bundles the daemon (dist/src/daemon.js and every module it loads) into one CommonJS
// file, dist/src/daemon-bundle/daemon.cjs, which `llmos up` runs through dist/daemon.mjs (the
// loader in scripts/daemon-loader.mjs, the stable name system.ts and the contract test import).
// Node spends most of a cold start resolving and loading hundreds of small files; one file boots
// several hundred milliseconds sooner, and one classic script can use a V8 code cache, which ES
// modules cannot on Node 20 (the loader says why). What the daemon imports with import() stays
// inside the file but is not evaluated until then. Native addons stay external.
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { bundleNode } from './bundle-common.mjs';

const outdir = 'dist/src/daemon-bundle';
const daemonExternal = ['better-sqlite3', 'isolated-vm', 'esbuild', 'typescript', 'playwright-core', 'etcd3', 'cockatiel'];
// V8 keeps the whole bundle's source in memory for the life of the daemon, also the parts boot never
// runs. These direct dependencies load only on first use (undici on the first pull or function fetch,
// mqtt.js on the first MQTT link, @fastify/swagger never in a build with dist/openapi.json): left out
// of the bundle, Node loads them from node_modules then. 1.9 MB less source, ~3 MiB less idle RSS
// (bench/footprint).
const lazyPackages = ['undici', 'mqtt', '@fastify/swagger'];
await bundleNode({ daemon: 'dist/src/daemon.js' }, outdir, {
  format: 'cjs',
  splitting: false,
  outExtension: { '.js': '.cjs' },
  // import() inside a vm.Script needs an experimental loader hook on Node 20: the few dynamic imports
  // of external packages (esbuild, typescript) become require() calls instead.
  supported: { 'dynamic-import': false },
  // keepFileUrls' import.meta.url, in a CommonJS file: the bundle's own URL.
  define: { 'import.meta.url': '__llmosBundleUrl' },
  // The file is the function expression that the loader compiles as is, as Node's own CommonJS
  // wrapper would be (a wrapper added by the loader would be a second copy of the source in memory).
  banner: { js: "(function (exports, require, module, __filename, __dirname) { const __llmosBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  footer: { js: '\n})' },
  sourcemap: 'linked', // read only with NODE_OPTIONS=--enable-source-maps (bin/llmos says why)
  external: [...daemonExternal, ...lazyPackages],
  // Whitespace only (names, and so stack traces' function names, stay): the source V8 keeps is 30%
  // smaller, ~2 MiB of idle RSS. Line and column numbers come from the source map, as before.
  minifyWhitespace: true,
});
const hash = createHash('sha256').update(await readFile(`${outdir}/daemon.cjs`)).digest('hex').slice(0, 16);
await rm('dist/daemon.mjs.map', { force: true }); // from the single-file bundle of earlier builds
const loader = await readFile(new URL('./daemon-loader.mjs', import.meta.url), 'utf8');
await writeFile('dist/daemon.mjs', loader.replace('__BUNDLE_HASH__', hash));
