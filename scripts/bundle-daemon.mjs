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
await bundleNode({ daemon: 'dist/src/daemon.js' }, outdir, {
  format: 'cjs',
  splitting: false,
  outExtension: { '.js': '.cjs' },
  // import() inside a vm.Script needs an experimental loader hook on Node 20: the few dynamic imports
  // of external packages (esbuild, typescript) become require() calls instead.
  supported: { 'dynamic-import': false },
  // keepFileUrls' import.meta.url, in a CommonJS file: the bundle's own URL.
  define: { 'import.meta.url': '__llmosBundleUrl' },
  banner: { js: "const __llmosBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  sourcemap: 'linked', // read only with NODE_OPTIONS=--enable-source-maps (bin/llmos says why)
});
const hash = createHash('sha256').update(await readFile(`${outdir}/daemon.cjs`)).digest('hex').slice(0, 16);
await rm('dist/daemon.mjs.map', { force: true }); // from the single-file bundle of earlier builds
const loader = await readFile(new URL('./daemon-loader.mjs', import.meta.url), 'utf8');
await writeFile('dist/daemon.mjs', loader.replace('__BUNDLE_HASH__', hash));
