#!/usr/bin/env node
// Build step: bundles the CLI (dist/src/cli/bin.js) into dist/src/cli-bundle/, which bin/llmos
// runs. Node spends most of a short command's time resolving and loading small files; one entry
// chunk (main, commander, the client) plus one chunk per command group, loaded only when its
// command runs, starts several times sooner (bench/cli). Each group stays a separate chunk because
// main.ts imports it with import().
// Native addons stay outside (`store` opens the SQLite file offline); `llmos up` imports
// dist/daemon.mjs, its own bundle, by a computed URL that esbuild leaves alone.
import { bundleNode } from './bundle-common.mjs';

/**
 * commander requires node:child_process when it loads, for executable subcommands, which the CLI
 * does not use: Node then compiles child_process, its internals and dgram (10 built-ins) for every
 * command, `--version` included (bench/cli counts them). Inside commander it becomes a stand-in
 * that requires the real module on first use, so nothing changes if commander ever spawns.
 */
const lazyChildProcessInCommander = {
  name: 'lazy-child-process-in-commander',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) => (/[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'lazy-child-process', namespace: 'llmos-lazy' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'llmos-lazy' }, () => ({
      contents: "let real; module.exports = new Proxy({}, { get: (_, k) => (real ??= require('node:child_process'))[k] });",
      loader: 'js',
    }));
  },
};

await bundleNode({ main: 'dist/src/cli/bin.js' }, 'dist/src/cli-bundle', { plugins: [lazyChildProcessInCommander] });
