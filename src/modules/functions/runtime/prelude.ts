// The web-platform globals a function sees inside its V8 isolate, as one script: web/entry.ts and
// the polyfills it imports, bundled by esbuild. The build (scripts/bundle-prelude.mjs) puts the
// text in dist/; run from sources, it is bundled here on first use with the same options.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PRELUDE_BUNDLE } from './web/prelude.bundle.js';

export type { PreludeHost } from './web/host.js';

let text: string | null = PRELUDE_BUNDLE;

function bundleNow(): string {
  // esbuild's buildSync takes no plugins, so the build script runs as a child and prints the text.
  const script = ['../../../../scripts/bundle-prelude.mjs', '../../../../../scripts/bundle-prelude.mjs'].map((p) => fileURLToPath(new URL(p, import.meta.url))).find((p) => existsSync(p));
  if (!script) throw new Error('the prelude is not bundled and scripts/bundle-prelude.mjs is not there to bundle it');
  return execFileSync(process.execPath, [script, '--stdout'], { cwd: path.dirname(path.dirname(script)), encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
}

/**
 * The prelude as a script: an IIFE that sets `__llmos_prelude` (local to the caller's wrapper,
 * see bridge.ts BOOT) to `{ install(global, host) }`.
 */
export function preludeScript(): string {
  return (text ??= bundleNow());
}
