#!/usr/bin/env node
// `npm run test:unit`: the unit tests beside the code (dist/src/**/*.test.js, after tsc), without
// the fuzz suites and without the end-to-end suites of test/. They need no root and no host
// package (runc, CNI, iptables, a registry): a quick check while working; `npm test` is the full
// suite. Extra arguments filter by path substring, as in scripts/test.mjs.
import { readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const files = [];
const walk = (d) => {
  let entries;
  try { entries = readdirSync(d); } catch { return; }
  for (const e of entries) {
    const p = path.join(d, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.test.js') && !p.endsWith('.fuzz.test.js')) files.push(p);
  }
};
walk('dist/src');
const filter = process.argv.slice(2);
const selected = filter.length ? files.filter((f) => filter.some((x) => f.includes(x))) : files;
if (selected.length === 0) {
  console.error('no unit test files found (did tsc run?)');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--no-node-snapshot', '--enable-source-maps', '--test', '--test-concurrency=2', '--test-reporter=dot', ...selected.sort()], {
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, '--no-node-snapshot'].filter(Boolean).join(' ') },
});
process.exit(r.status ?? 1);
