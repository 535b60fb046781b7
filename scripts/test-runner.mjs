// Shared by scripts/test.mjs and scripts/test-unit.mjs: finds the compiled tests under `roots`,
// keeps those whose path contains one of the command-line filters, and runs them with Node's test
// runner (exits with its status).
import { readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const TEST_TIMEOUT_MS = 20 * 60_000;
const RUN_TIMEOUT_MS = 70 * 60_000;

export function runTests({ roots, keep = () => true, reporter, sort = false, missing }) {
  const files = [];
  const walk = (d) => {
    let entries;
    try { entries = readdirSync(d); } catch { return; }
    for (const e of entries) {
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.test.js') && keep(p)) files.push(p);
    }
  };
  roots.forEach(walk);
  const filter = process.argv.slice(2);
  const selected = filter.length ? files.filter((f) => filter.some((x) => f.includes(x))) : files;
  if (selected.length === 0) {
    console.error(missing);
    process.exit(1);
  }
  if (sort) selected.sort();
  // A hang must fail the run, not use up CI's time: a test past TEST_TIMEOUT_MS fails, a file whose
  // tests are done exits even with handles left open (--test-force-exit), and the whole run stops
  // at RUN_TIMEOUT_MS.
  const r = spawnSync(process.execPath, ['--no-node-snapshot', '--enable-source-maps', '--test', '--test-concurrency=2', '--test-force-exit', `--test-timeout=${TEST_TIMEOUT_MS}`, `--test-reporter=${reporter}`, ...selected], {
    stdio: 'inherit',
    timeout: RUN_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    env: { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, '--no-node-snapshot'].filter(Boolean).join(' ') },
  });
  if (r.error) console.error(`test run stopped: ${r.error.message} (limit ${RUN_TIMEOUT_MS / 60_000} min)`);
  process.exit(r.status ?? 1);
}
