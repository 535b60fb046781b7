#!/usr/bin/env node
// `npm run fuzz -- --minutes N [filter...]`: builds if the sources are newer than dist/, then runs
// every compiled *.fuzz.test.js with LLMOS_FUZZ_MINUTES=N, so each suite fuzzes for about N minutes
// instead of its bounded `npm test` case count (suites run two at a time).
import { readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const args = process.argv.slice(2);
const i = args.indexOf('--minutes');
const minutes = i >= 0 ? Number(args[i + 1]) : 1;
if (!(minutes > 0)) {
  console.error('usage: npm run fuzz -- --minutes N [filter...]   (N > 0)');
  process.exit(1);
}
const filters = args.filter((_, j) => j !== i && j !== i + 1);

const walk = (d, out = []) => {
  let entries;
  try {
    entries = readdirSync(d);
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e === 'node_modules') continue;
    const p = path.join(d, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
};
const newest = (files) => files.reduce((m, f) => Math.max(m, statSync(f).mtimeMs), 0);
const sources = [...walk('src'), ...walk('test')].filter((f) => f.endsWith('.ts'));
const built = walk('dist').filter((f) => f.endsWith('.js'));
if (!built.length || newest(sources) > newest(built)) {
  console.log('fuzz: sources changed since the last build; building');
  const b = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

const suites = walk('dist').filter((f) => f.endsWith('.fuzz.test.js') && (!filters.length || filters.some((x) => f.includes(x))));
if (!suites.length) {
  console.error('fuzz: no *.fuzz.test.js found');
  process.exit(1);
}
console.log(`fuzz: ${suites.length} suites, about ${minutes} min each:\n  ${suites.join('\n  ')}`);
const r = spawnSync(process.execPath, ['--no-node-snapshot', '--enable-source-maps', '--test', '--test-concurrency=2', '--test-reporter=spec', `--test-timeout=${Math.round((minutes * 2 + 5) * 60_000)}`, ...suites], {
  stdio: 'inherit',
  env: { ...process.env, LLMOS_FUZZ_MINUTES: String(minutes), NODE_OPTIONS: [process.env.NODE_OPTIONS, '--no-node-snapshot'].filter(Boolean).join(' ') },
});
process.exit(r.status ?? 1);
