#!/usr/bin/env node
// Build step: bundles the CLI (dist/src/cli/bin.js) into dist/src/cli-bundle/, which bin/llmos
// runs. Node spends most of a short command's time resolving and loading small files; one entry
// chunk (main, commander, the client) plus one chunk per command group, loaded only when its
// command runs, starts several times sooner (bench/cli). Each group stays a separate chunk because
// main.ts imports it with import().
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';

const outdir = 'dist/src/cli-bundle';

// Bundled files keep the import.meta.url they had in dist/src (main.ts finds dist/cli-manifest.json
// from it, system.ts dist/daemon.mjs, version.ts package.json): each use becomes that file's URL,
// computed at run time from the chunk's own URL, so the installed tree may live anywhere.
const keepFileUrls = {
  name: 'keep-file-urls',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]src[\\/].*\.js$/ }, async (args) => {
      const src = await readFile(args.path, 'utf8');
      if (!src.includes('import.meta.url')) return undefined;
      const rel = path.relative(path.resolve(outdir), args.path).split(path.sep).join('/');
      return { contents: src.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

await rm(outdir, { recursive: true, force: true }); // chunk names carry hashes: no stale ones
await build({
  entryPoints: { main: 'dist/src/cli/bin.js' },
  outdir,
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  outExtension: { '.js': '.mjs' },
  logLevel: 'warning',
  // Native addons stay outside (`store` opens the SQLite file offline); `llmos up` imports
  // dist/daemon.mjs, its own bundle, by a computed URL that esbuild leaves alone.
  external: ['better-sqlite3', 'isolated-vm', 'esbuild', 'typescript', 'playwright-core'],
  plugins: [keepFileUrls],
  // Bundled CommonJS packages (commander, yaml) call require(); give the ESM chunks one.
  banner: { js: "import { createRequire as __llmosRequire } from 'node:module'; const require = __llmosRequire(import.meta.url);" },
});
