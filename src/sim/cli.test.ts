// The `llmos sim` commands through the real CLI binary (they run locally; no daemon).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { projectRoot } from './paths.js';
import { writeTraceFolder } from './synthetic-traces.js';

const root = projectRoot();
const llmos = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(join(root, 'bin', 'llmos'), args, { cwd: root, encoding: 'utf8', env });
// Generated traces in the real traces' layout (the real ones are not in the repository).
const traces = writeTraceFolder(mkdtempSync(join(tmpdir(), 'llmos-sim-traces-')), 4);
after(() => rmSync(traces, { recursive: true, force: true }));
const eightHour = join(traces, 'azure2019-8h-250');
const wc = join(traces, 'worldcup98', 'invocation_count.csv');
const built = existsSync(join(root, 'dist', 'src', 'cli', 'main.js'));

test('llmos sim functions --json prints the documented shape and writes a report', { skip: !built && 'not built' }, () => {
  const out = mkdtempSync(join(tmpdir(), 'llmos-sim-'));
  try {
    // The path as users type it, relative to the project root.
    const r = llmos(['sim', 'functions', '--trace', relative(root, eightHour), '--policy', 'fixed:10m,hybrid,oracle', '--seed', '2', '--json', '--out', out]);
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

test('llmos sim service --json on one day of WorldCup98', { skip: !built && 'not built' }, () => {
  const r = llmos(['sim', 'service', '--trace', wc, '--from', '1998-06-30', '--to', '1998-07-01', '--policy', 'all', '--startup', '45s', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { policies: Array<Record<string, unknown>> };
  assert.deepEqual(j.policies.map((p) => p['name']), ['threshold', 'concurrency', 'predictive', 'learned', 'blend']);
  for (const p of j.policies) assert.deepEqual(Object.keys(p).sort(), ['name', 'replicaMinutes', 'scalingActions', 'underProvisionedPct']);
});

test('llmos sim rejects bad input with exit 1 and a one-line reason', { skip: !built && 'not built' }, () => {
  const cases: Array<[string[], RegExp]> = [
    [['sim', 'functions', '--trace', eightHour, '--policy', 'lru'], /unknown keep-alive policy "lru"/],
    [['sim', 'functions', '--trace', join(traces, 'no-such-folder')], /not found/],
    [['sim', 'functions', '--trace', join(traces, 'worldcup98')], /no invocation CSV/],
    [['sim', 'service', '--trace', wc, '--policy', 'magic'], /unknown scaling policy "magic"/],
    [['sim', 'service', '--trace', wc, '--capacity', '0'], /--capacity must be a number > 0/],
    [['sim', 'service', '--trace', wc, '--startup', 'soon'], /--startup "soon" is not a duration/],
  ];
  for (const [args, re] of cases) {
    const r = llmos(args);
    assert.equal(r.status, 1, args.join(' '));
    assert.match(r.stderr.trim(), re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  }
});

test('llmos sim report needs the traces folder: --trace DIR or LLMOS_TRACES, else one line and exit 1', { skip: !built && 'not built' }, () => {
  const env = { ...process.env };
  delete env['LLMOS_TRACES'];
  const missing = llmos(['sim', 'report', '--out', join(traces, 'never')], env);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr.trim(), /^llmos: no traces given: pass --trace DIR or set LLMOS_TRACES/);
  assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
  assert.equal(existsSync(join(traces, 'never')), false);
  // LLMOS_TRACES is read when there is no flag: an empty folder there is named in the error.
  const fromEnv = llmos(['sim', 'report', '--out', join(traces, 'never')], { ...env, LLMOS_TRACES: join(traces, 'empty') });
  assert.equal(fromEnv.status, 1);
  assert.match(fromEnv.stderr.trim(), /trace folder .*empty\/azure2019-fullday-1000 not found/);
  // The documented command, on the generated folder.
  const out = mkdtempSync(join(tmpdir(), 'llmos-sim-report-'));
  try {
    const r = llmos(['sim', 'report', '--trace', traces, '--out', out, '--json'], env);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { functions: Array<{ sample: string }> };
    assert.deepEqual(j.functions.map((f) => f.sample), ['azure2019-fullday-1000', 'azure2019-8h-250']);
    assert.match(readFileSync(join(out, 'evaluation.md'), 'utf8'), /^# Evaluation: /);
    // The Pareto view (cold starts vs wasted memory) marks hybrid and the oracle and shades what beats hybrid.
    const pareto = readFileSync(join(out, 'evaluation', 'azure2019-8h-250-pareto.svg'), 'utf8');
    assert.match(pareto, />hybrid \(baseline\)</);
    assert.match(pareto, />oracle \(bound\)</);
    assert.match(pareto, /class="dominates"/);
    assert.match(pareto, />cold starts \(total\)</);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
