// The `llmos sim` commands through the real CLI binary (they run locally; no daemon).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, tracesDir } from './paths.js';

const root = projectRoot();
const llmos = (...args: string[]) => spawnSync(process.execPath, ['--no-node-snapshot', join(root, 'bin', 'llmos'), ...args], { cwd: root, encoding: 'utf8' });
const eightHour = join(tracesDir(), 'azure2019-8h-250');
const wc = join(tracesDir(), 'worldcup98', 'invocation_count.csv');
const built = existsSync(join(root, 'dist', 'src', 'cli', 'main.js'));

test('llmos sim functions --json prints the documented shape and writes a report', { skip: (!built && 'not built') || (!existsSync(eightHour) && 'no traces') }, () => {
  const out = mkdtempSync(join(tmpdir(), 'llmos-sim-'));
  try {
    // The path as users type it, relative to the project root.
    const r = llmos('sim', 'functions', '--trace', '../shared/traces/azure2019-8h-250', '--policy', 'fixed:10m,hybrid,oracle', '--seed', '2', '--json', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { policies: Array<Record<string, unknown>> };
    assert.deepEqual(j.policies.map((p) => p['name']), ['fixed:10m', 'hybrid', 'oracle']);
    for (const p of j.policies) assert.deepEqual(Object.keys(p).sort(), ['coldStartP75Pct', 'coldStarts', 'instanceSeconds', 'name', 'wastedMemoryPct']);
    assert.equal(j.policies[0]!['wastedMemoryPct'], 100);
    assert.deepEqual(readdirSync(out).sort(), ['functions-azure2019-8h-250.json', 'functions-azure2019-8h-250.md', 'functions-azure2019-8h-250.svg']);
    assert.match(readFileSync(join(out, 'functions-azure2019-8h-250.svg'), 'utf8'), /^<svg /);
    // The progress bar went to stderr, not into the JSON.
    assert.match(r.stderr, /sim functions \[#+/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('llmos sim service --json on one day of WorldCup98', { skip: (!built && 'not built') || (!existsSync(wc) && 'no traces') }, () => {
  const r = llmos('sim', 'service', '--trace', wc, '--from', '1998-06-30', '--to', '1998-07-01', '--policy', 'all', '--startup', '45s', '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { policies: Array<Record<string, unknown>> };
  assert.deepEqual(j.policies.map((p) => p['name']), ['threshold', 'concurrency', 'predictive', 'learned']);
  for (const p of j.policies) assert.deepEqual(Object.keys(p).sort(), ['name', 'replicaMinutes', 'scalingActions', 'underProvisionedPct']);
});

test('llmos sim rejects bad input with exit 1 and a one-line reason', { skip: (!built && 'not built') || (!existsSync(eightHour) && 'no traces') }, () => {
  const cases: Array<[string[], RegExp]> = [
    [['sim', 'functions', '--trace', eightHour, '--policy', 'lru'], /unknown keep-alive policy "lru"/],
    [['sim', 'functions', '--trace', join(tracesDir(), 'no-such-folder')], /not found/],
    [['sim', 'functions', '--trace', join(tracesDir(), 'worldcup98')], /no invocation CSV/],
    [['sim', 'service', '--trace', wc, '--policy', 'magic'], /unknown scaling policy "magic"/],
    [['sim', 'service', '--trace', wc, '--capacity', '0'], /--capacity must be a number > 0/],
    [['sim', 'service', '--trace', wc, '--startup', 'soon'], /--startup "soon" is not a duration/],
  ];
  for (const [args, re] of cases) {
    const r = llmos(...args);
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr.trim(), re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  }
});
