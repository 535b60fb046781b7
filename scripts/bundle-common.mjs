// Shared by the bundle scripts.
//
// writeAscii: V8 keeps a script's whole source in memory for the life of the
// process, as one byte per character when the text is ASCII and two otherwise. esbuild already
// escapes non-ASCII characters in code (charset: ascii); what is left are comments ("§", "’"),
// so one such character doubles a 6 MB bundle's share of the heap (~6 MiB of idle RSS). Each
// UTF-16 unit becomes its \uXXXX escape, which means the same character in a string, template or
// regular expression literal (esbuild leaves some there, e.g. "µs" in a regex) and is harmless in a
// comment; only the source map's columns after it on that line shift.
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Writes esbuild's in-memory outputs (write: false), with non-ASCII text in .mjs/.cjs/.js turned to '?'. */
export async function writeAscii(result) {
  for (const f of result.outputFiles) {
    const text = /\.[mc]?js$/.test(f.path) ? f.text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : f.contents;
    await mkdir(path.dirname(f.path), { recursive: true });
    await writeFile(f.path, text);
  }
}

/**
 * Bundled files keep the import.meta.url they had in dist/src (cli/main.ts finds
 * dist/cli-manifest.json from it, cli/commands/system.ts dist/daemon.mjs, version.ts package.json,
 * the dashboard its assets): each use becomes that file's URL, computed at run time from the
 * chunk's own URL, so the installed tree may live anywhere. Every chunk must be written to outdir.
 */
export function keepFileUrls(outdir) {
  return {
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
}

/**
 * Bundles one compiled entry into `outdir` as ESM chunks for Node 20 (the CLI's and the daemon's
 * bundles differ only in `entryPoints` and `extra`): the directory is emptied first (chunk names
 * carry hashes, so no stale ones stay), native addons and packages loaded on demand stay external,
 * files keep their import.meta.url, and the output is written ASCII-only.
 */
export async function bundleNode(entryPoints, outdir, { plugins = [], ...extra } = {}) {
  await rm(outdir, { recursive: true, force: true });
  await writeAscii(await build({
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
    write: false,
    external: ['better-sqlite3', 'isolated-vm', 'esbuild', 'typescript', 'playwright-core', 'etcd3'], // etcd3 reads its .proto files beside itself
    plugins: [keepFileUrls(outdir), ...plugins],
    // Bundled CommonJS packages (commander, yaml, ...) call require(); give the ESM chunks one.
    banner: { js: "import { createRequire as __llmosRequire } from 'node:module'; const require = __llmosRequire(import.meta.url);" },
    ...extra,
  }));
}
