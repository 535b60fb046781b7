// The LLMOS version is package.json's, read once at start-up. The package root is found by walking
// up from this file, so it holds from src/ (tsx), dist/src/ (tsc) and dist/daemon.mjs (bundle).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'llmos' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here (or not ours): keep walking up
    }
    if (dirname(dir) === dir) return '0.0.0-unknown';
  }
}

export const LLMOS_VERSION = packageVersion();
