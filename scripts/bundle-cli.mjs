#!/usr/bin/env node
// Build step: bundles the CLI (dist/src/cli/bin.js) into dist/src/cli-bundle/, which bin/llmos
// runs. Node spends most of a short command's time resolving and loading small files; one entry
// chunk (main, commander, the client) plus one chunk per command group, loaded only when its
// command runs, starts several times sooner (bench/cli). Each group stays a separate chunk because
// main.ts imports it with import().
// Native addons stay outside (`store` opens the SQLite file offline); `llmos up` imports
// dist/daemon.mjs, its own bundle, by a computed URL that esbuild leaves alone.
import { bundleNode } from './bundle-common.mjs';

await bundleNode({ main: 'dist/src/cli/bin.js' }, 'dist/src/cli-bundle');
