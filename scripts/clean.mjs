#!/usr/bin/env node
// Removes compiled files whose sources are gone, so a stale dist/ never runs a deleted test.
// (tsc never deletes outputs; a full `rm -rf dist` would race with a running daemon.)
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const walk = (d) => {
  if (!existsSync(d)) return;
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (p.endsWith('.js') && !existsSync(path.relative('dist', p).replace(/\.js$/, '.ts'))) {
      rmSync(p, { force: true });
      rmSync(p + '.map', { force: true });
    }
  }
};
for (const root of ['dist/src', 'dist/test', 'dist/bench']) walk(root);
