// dist/daemon.mjs, the daemon's entry (written by scripts/bundle-daemon.mjs from this file).
// The daemon is one CommonJS bundle compiled through vm.Script with a V8 code cache: Node 20 has no
// compile cache for ES modules (module.enableCompileCache is Node 22), and parsing and compiling
// the 6 MB bundle was the largest part of every boot (bench/boot). The first daemon of a build
// writes the cache (next to the bundle, named by the bundle's content hash, so a cache never
// meets another build's code) once it has booted, so it holds the functions boot compiled too.
// V8 itself refuses a cache made by another Node version or with other V8 flags; then it is
// rewritten. An unwritable install dir only means no cache.
import { createRequire } from 'node:module';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import vm from 'node:vm';

const file = fileURLToPath(new URL('./src/daemon-bundle/daemon.cjs', import.meta.url));
const cacheFile = path.join(path.dirname(file), 'daemon.__BUNDLE_HASH__.v8cache');
// In a function, so the cache's buffer (MiBs) is garbage once V8 has read it, not kept for the daemon's life.
function compile() {
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    /* first boot of this build */
  }
  // The bundle is ASCII (scripts/bundle-common.mjs writeAscii), so latin1 reads it as is, without a
  // UTF-8 decode; the file is already the CommonJS function expression (scripts/bundle-daemon.mjs).
  const script = new vm.Script(readFileSync(file, 'latin1'), { filename: file, cachedData });
  return { script, rewrite: !cachedData || script.cachedDataRejected };
}
const { script, rewrite } = compile();
const mod = { exports: {} };
script.runInThisContext()(mod.exports, createRequire(file), mod, file, path.dirname(file));

if (rewrite) {
  let saved = false;
  const save = () => {
    if (saved) return;
    saved = true;
    try {
      const tmp = `${cacheFile}.${process.pid}`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
    } catch {
      /* read-only install: boot without a cache */
    }
  };
  setTimeout(save, 3000).unref(); // after boot; or at exit, whichever comes first
  process.once('exit', save);
}

export const { runDaemon, storeTools } = mod.exports;
