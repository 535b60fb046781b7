// Where the shared traces live: ../shared/traces/ relative to the project root (the folder with
// package.json), wherever the code runs from (src/ under tsx, dist/ when compiled).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function projectRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src'))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export function tracesDir(): string {
  return join(projectRoot(), '..', 'shared', 'traces');
}
