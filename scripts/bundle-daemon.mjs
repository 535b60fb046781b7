#!/usr/bin/env node
// Build step: bundles the daemon (dist/src/daemon.js and every module it loads) into
// dist/src/daemon-bundle/, which `llmos up` runs through dist/daemon.mjs (a one-line re-export,
// the stable name system.ts and the contract test import). Node spends most of a cold start
// resolving and loading hundreds of small files; one file boots several hundred milliseconds
// sooner (bench/boot). What the daemon imports with import() (undici, the registry client's, on
// the first pull) becomes a chunk of its own that is neither parsed nor held in memory until then.
// Native addons and packages loaded on demand stay external.
import { rm, writeFile } from 'node:fs/promises';
import { bundleNode } from './bundle-common.mjs';

await bundleNode({ daemon: 'dist/src/daemon.js' }, 'dist/src/daemon-bundle', {
  sourcemap: 'linked', // read only with NODE_OPTIONS=--enable-source-maps (bin/llmos says why)
});
await rm('dist/daemon.mjs.map', { force: true }); // from the single-file bundle of earlier builds
await writeFile('dist/daemon.mjs', "// Built by scripts/bundle-daemon.mjs: the daemon's bundle.\nexport * from './src/daemon-bundle/daemon.mjs';\n");
