// The dashboard's own unit tests and type check. web/ is bundled by Vite, not compiled by the root
// tsc (its output would land in dist/web, where the Vite build goes), so its tests run from source
// with tsx and its types are checked with web/tsconfig.json (DOM library).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../support/daemon.js';

const run = promisify(execFile);
const bin = (name: string) => path.join(projectRoot, 'node_modules', '.bin', name);

test('web/src unit tests pass', async () => {
  const files = readdirSync(path.join(projectRoot, 'web', 'src')).filter((f) => f.endsWith('.test.ts')).map((f) => path.join('web', 'src', f));
  assert.ok(files.length > 0);
  const r = await run(bin('tsx'), ['--test', '--test-reporter=dot', ...files], { cwd: projectRoot, timeout: 120_000 }).catch((e: { stdout?: string; stderr?: string }) => assert.fail(`${e.stdout}\n${e.stderr}`));
  assert.doesNotMatch(r.stdout, /fail [1-9]/);
});

test('web/ type-checks against the DOM library', async () => {
  await run(bin('tsc'), ['-p', path.join('web', 'tsconfig.json')], { cwd: projectRoot, timeout: 120_000 }).catch((e: { stdout?: string }) => assert.fail(e.stdout));
});
